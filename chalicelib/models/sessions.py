"""WhatsApp sessions (linked numbers) and in-app notifications."""

from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import region, table_name


class SessionsByAgent(GlobalSecondaryIndex["WaSessionModel"]):
    class Meta:
        index_name = "by_agent"
        projection = AllProjection()

    agent_id = UnicodeAttribute(hash_key=True)
    session_id = UnicodeAttribute(range_key=True)


class StateChange(MapAttribute):
    state = UnicodeAttribute()
    at = NumberAttribute()
    reason = UnicodeAttribute(null=True)


class WaSessionModel(Model):
    class Meta:
        table_name = table_name("wa_sessions")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    user_id = UnicodeAttribute(hash_key=True)
    session_id = UnicodeAttribute(range_key=True)
    label = UnicodeAttribute()
    status = UnicodeAttribute()
    agent_id = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    qr = UnicodeAttribute(null=True)
    qr_expires_at = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    # The agent's timestamp of the newest state applied: older reports are stale.
    state_ts = NumberAttribute(default=0)
    connected_at = NumberAttribute(null=True)
    stopped_at = NumberAttribute(null=True)
    purge_after = NumberAttribute(null=True)
    history = ListAttribute(of=StateChange, default=list)
    by_agent = SessionsByAgent()


class NotificationModel(Model):
    class Meta:
        table_name = table_name("notifications")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    user_id = UnicodeAttribute(hash_key=True)
    # Time-ordered id: newest first with a descending query.
    notification_id = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    session_id = UnicodeAttribute(null=True)
    campaign_id = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    read_at = NumberAttribute(null=True)
    expires_at = TTLAttribute(null=True)
