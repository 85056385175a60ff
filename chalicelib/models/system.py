"""Rate-limit buckets and small system records (scheduler heartbeat)."""

from __future__ import annotations

from pynamodb.attributes import MapAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.models.base import region, table_name


class RateLimitModel(Model):
    """GCRA state: the theoretical arrival time (ms) of the next request."""

    class Meta:
        table_name = table_name("rate_limits")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    bucket = UnicodeAttribute(hash_key=True)
    tat = NumberAttribute()
    expires_at = TTLAttribute(null=True)


class SystemModel(Model):
    """Named system records, e.g. ``schedule#<handler>`` with its last run."""

    class Meta:
        table_name = table_name("system")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    key = UnicodeAttribute(hash_key=True)
    updated_at = NumberAttribute()
    data = MapAttribute(null=True)  # type: ignore[var-annotated]
