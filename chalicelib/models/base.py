"""Shared pieces of the pynamodb models.

Table names come from the stage at import time (pynamodb evaluates Meta then),
so set WACAST_STAGE before importing any model.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import NumberAttribute

from chalicelib.config import resource_name

# Epoch values below this are seconds: 1e11 ms is March 1973, 1e11 s the year 5138.
SECONDS_BELOW = 100_000_000_000


def table_name(name: str) -> str:
    return resource_name(name)


def region() -> str:
    return os.environ.get("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))


def now_ms() -> int:
    return int(time.time() * 1000)


def now_s() -> int:
    return int(time.time())


class EpochMsAttribute(NumberAttribute):
    """Epoch milliseconds. A value written in seconds before issue 17 (billing, a
    conversation's preview expiry) reads as ms, so code never sees the old unit while
    ``python -m chalicelib.admin migrate-epoch-ms`` has not rewritten it yet."""

    def deserialize(self, value: Any) -> Any:
        number = super().deserialize(value)
        return number * 1000 if 0 < number < SECONDS_BELOW else number


def expiry(epoch_s: int) -> datetime:
    """TTL attributes take datetimes."""
    return datetime.fromtimestamp(epoch_s, tz=UTC)


def plain(value: Any) -> dict[str, Any]:
    """A raw MapAttribute (or dict, or None) as a plain dict."""
    if value is None:
        return {}
    if hasattr(value, "as_dict"):
        return dict(value.as_dict())
    return dict(value)


def condition_failed(error: Exception) -> bool:
    """Whether a pynamodb write failed on its condition (another write got there first)."""
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"
