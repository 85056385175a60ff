"""The one time unit of the API and the data: integer epoch milliseconds (UTC).

Stripe and DynamoDB TTL count seconds; convert at that boundary only (``from_s``;
TTL attributes take datetimes, see ``models.base.expiry``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

MS_NOTE = "Epoch milliseconds (UTC)."

EpochMs = Annotated[int, Field(description=MS_NOTE)]


def from_s(epoch_s: int | float | None) -> int | None:
    """An epoch-seconds value from outside (Stripe) in milliseconds; None stays None."""
    return int(epoch_s) * 1000 if epoch_s else None


def ttl_ms(value: datetime | None) -> int:
    """A TTL attribute (a datetime, stored in seconds) in milliseconds; 0 when unset."""
    return int(value.timestamp()) * 1000 if value is not None else 0
