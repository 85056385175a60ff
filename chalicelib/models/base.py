"""Shared pieces of the pynamodb models.

Table names come from the stage at import time (pynamodb evaluates Meta then),
so set WACAST_STAGE before importing any model.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any

from chalicelib.config import resource_name


def table_name(name: str) -> str:
    return resource_name(name)


def region() -> str:
    return os.environ.get("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))


def now_ms() -> int:
    return int(time.time() * 1000)


def now_s() -> int:
    return int(time.time())


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
