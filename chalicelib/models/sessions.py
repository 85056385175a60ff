"""WhatsApp sessions (linked numbers) and in-app notifications."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
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
    first_connected_at = NumberAttribute(null=True)  # age of the number, for warm-up
    # Sends today (UTC day), for the daily cap; reset when the day changes.
    sent_day = UnicodeAttribute(null=True)
    sent_today = NumberAttribute(default=0)
    # After WhatsApp rate-limits the number: no sends until then; doubles each time.
    backoff_until = NumberAttribute(null=True)
    backoff_s = NumberAttribute(null=True)
    stopped_at = NumberAttribute(null=True)
    purge_after = NumberAttribute(null=True)
    history = ListAttribute(of=StateChange, default=list)
    # Why the number is failed/restricted, as a code (StartFailReason, "restricted"), and
    # when a restriction lifts (epoch ms), so the API can say it in words.
    status_reason = UnicodeAttribute(null=True)
    restricted_until = NumberAttribute(null=True)
    # The number's own OpenWA licence key, sealed by chalicelib.sessions.vault; only the
    # last four characters are ever shown.
    license_sealed = UnicodeAttribute(null=True)
    license_last4 = UnicodeAttribute(null=True)
    license_updated_at = NumberAttribute(null=True)
    # Show "typing…" in the chat for a moment before each send (chalicelib/conversations).
    show_typing = BooleanAttribute(null=True)
    by_agent = SessionsByAgent()


NUMBERS_COUNTER_KEY = "#numbers"
# Every session id starts so; the user's other items in the table (the counter) do not.
SESSION_ID_PREFIX = "ses_"


def sessions_of(user_id: str) -> list[WaSessionModel]:
    """The user's numbers (deleted ones included), without the counter item."""
    return list(
        WaSessionModel.query(user_id, WaSessionModel.session_id.startswith(SESSION_ID_PREFIX))
    )


class SessionCountModel(Model):
    """Per-user count of active numbers, an item in the sessions table (sort key
    ``#numbers``, which sorts before every session id). Moved in the same transaction
    that creates or stops a session, so parallel adds cannot pass the plan's limit."""

    class Meta:
        table_name = table_name("wa_sessions")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    user_id = UnicodeAttribute(hash_key=True)
    session_id = UnicodeAttribute(range_key=True, default=NUMBERS_COUNTER_KEY)
    active = NumberAttribute(default=0)


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
