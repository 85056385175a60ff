"""Plain options of a campaign's audience that the API's models read at start-up: the
frequency cap's bounds and the follow-up kinds (the logic is in frequency.py, followups.py)."""

from __future__ import annotations

from typing import Literal

DEFAULT_HOURS = 24  # new campaigns leave out contacts messaged in the last day
MAX_HOURS = 720  # 30 days

# Who a follow-up goes to, among the origin's recipients the message reached.
Kind = Literal["not_read", "not_replied", "read_not_replied"]
DEFAULT_AFTER_DAYS = 2
