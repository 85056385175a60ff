"""Campaigns and their messages (one item per recipient)."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.models.base import region, table_name


class CampaignModel(Model):
    class Meta:
        table_name = table_name("campaigns")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    user_id = UnicodeAttribute(hash_key=True)
    campaign_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    status = UnicodeAttribute()
    template = UnicodeAttribute()
    media_key = UnicodeAttribute(null=True)
    audience = MapAttribute(default=dict)  # type: ignore[var-annotated]  # {all: bool, tags: [..]}
    session_ids = ListAttribute[str](default=list)
    send_at = NumberAttribute(null=True)  # epoch ms; None means "now"
    timezone = UnicodeAttribute(default="UTC")
    pacing = MapAttribute(default=dict)  # type: ignore[var-annotated]
    on_missing_variable = UnicodeAttribute(default="block")  # block | skip
    pause_reason = UnicodeAttribute(null=True)
    # Counters per message status, moved with atomic ADDs (aggregated per frame).
    total = NumberAttribute(default=0)
    pending = NumberAttribute(default=0)
    leased = NumberAttribute(default=0)
    sent = NumberAttribute(default=0)
    delivered = NumberAttribute(default=0)
    read = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    skipped = NumberAttribute(default=0)
    unknown = NumberAttribute(default=0)
    cancelled = NumberAttribute(default=0)
    replies = NumberAttribute(default=0)
    # Outcomes of the last sends, newest last ("1" failed, "0" not), for auto-pause.
    recent_outcomes = UnicodeAttribute(default="")
    reserved = NumberAttribute(default=0)  # quota held for this campaign
    launch_token = UnicodeAttribute(null=True)
    materialised = BooleanAttribute(default=False)
    materialise_cursor = UnicodeAttribute(null=True)
    materialise_chunks = NumberAttribute(default=0)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    launched_at = NumberAttribute(null=True)
    first_sent_at = NumberAttribute(null=True)
    completed_at = NumberAttribute(null=True)
    # When its sends first hit OpenWA's licence wall (it pauses once for that).
    license_wall_at = NumberAttribute(null=True)
    # --- planning and the preparing walk (docs/campaign-planning.md) ---
    deadline = NumberAttribute(null=True)  # epoch ms: "must be done by"
    launch_problem = MapAttribute(null=True)  # type: ignore[var-annotated]  # {code, message, details}
    send_limit = NumberAttribute(null=True)  # "send to the first N": the rest skip (quota)
    queued = NumberAttribute(default=0)  # messages written pending so far, for send_limit
    prepare_page = NumberAttribute(default=0)  # pages of the audience walked while preparing
    prepare_cursor = UnicodeAttribute(null=True)
    prepare_counts = MapAttribute(null=True)  # type: ignore[var-annotated]  # checked, recipients, …
    prepare_affected = ListAttribute(null=True)  # type: ignore[var-annotated]  # first 100 problems
    # Why it waits: the non-gap reason all its numbers wait for, and since when (housekeeping).
    waiting_reason = UnicodeAttribute(null=True)
    waiting_since = NumberAttribute(null=True)
    waiting_notified_for = UnicodeAttribute(null=True)  # reasons already notified
    # --- follow-ups and the frequency cap (campaigns/followups.py, frequency.py) ---
    # {campaign_id, kind, after_days}: only that campaign's recipients matching the kind.
    follow_up = MapAttribute(null=True)  # type: ignore[var-annotated]
    frequency_cap_hours = NumberAttribute(null=True)  # leave out those messaged in N h; 0/None off
    frequency_capped = NumberAttribute(default=0)  # recipients skipped for it at launch
    # --- A/B variants (campaigns/variants.py): the template is A, these are B-D ---
    variants = ListAttribute(null=True)  # type: ignore[var-annotated]  # [{template}]
    rollout = MapAttribute(null=True)  # type: ignore[var-annotated]  # {test_size, wait_hours}
    rollout_decision = MapAttribute(null=True)  # type: ignore[var-annotated]  # winner, figures
    variant_counts = MapAttribute(default=dict)  # type: ignore[var-annotated]  # "A_sent": n
    ab_tested = NumberAttribute(default=0)  # test-group messages written so far
    ab_held = NumberAttribute(default=0)  # messages parked until the winner is known


class Outbox(GlobalSecondaryIndex["CampaignMessageModel"]):
    """Sparse: only pending messages carry these attributes. Keyed by sending number."""

    class Meta:
        index_name = "outbox"
        projection = AllProjection()

    outbox_session = UnicodeAttribute(hash_key=True)
    outbox_order = UnicodeAttribute(range_key=True)  # "<priority>#<campaign_id>#<seq>"


class Leases(GlobalSecondaryIndex["CampaignMessageModel"]):
    """Sparse: only leased messages carry these attributes."""

    class Meta:
        index_name = "leases"
        projection = KeysOnlyProjection()

    lease_session = UnicodeAttribute(hash_key=True)
    lease_until = NumberAttribute(range_key=True)


class ByWaMessage(GlobalSecondaryIndex["CampaignMessageModel"]):
    """Sent messages by WhatsApp message id, so acks find their message."""

    class Meta:
        index_name = "by_wa_message"
        projection = KeysOnlyProjection()

    wa_message_id = UnicodeAttribute(hash_key=True)


class CampaignMessageModel(Model):
    class Meta:
        table_name = table_name("campaign_messages")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    campaign_id = UnicodeAttribute(hash_key=True)
    phone = UnicodeAttribute(range_key=True)
    user_id = UnicodeAttribute()
    session_id = UnicodeAttribute()
    status = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    detail = UnicodeAttribute(null=True)  # the engine's own words for a failure
    name = UnicodeAttribute(null=True)
    # The contact's variables as they were at launch: renders stay stable.
    values = MapAttribute(default=dict)  # type: ignore[var-annotated]
    text = UnicodeAttribute(null=True)  # only test sends carry their text ready-made
    media_key = UnicodeAttribute(null=True)  # an inbox answer's own image
    attempts = NumberAttribute(default=0)
    wa_message_id = UnicodeAttribute(null=True)
    queued_at = NumberAttribute()
    leased_at = NumberAttribute(null=True)
    sent_at = NumberAttribute(null=True)
    delivered_at = NumberAttribute(null=True)
    read_at = NumberAttribute(null=True)
    failed_at = NumberAttribute(null=True)
    replied_at = NumberAttribute(null=True)
    outbox_session = UnicodeAttribute(null=True)
    outbox_order = UnicodeAttribute(null=True)
    lease_session = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    # The number whose expired lease returned it to pending: that number's late result
    # still counts (it may have sent just before the lease ran out).
    returned_from = UnicodeAttribute(null=True)
    variant = UnicodeAttribute(null=True)  # A-D, sticky per recipient (campaigns/variants.py)
    outbox = Outbox()
    leases = Leases()
    by_wa_message = ByWaMessage()


class MessageLogModel(Model):
    """Audit trail: one record per outcome of every message, written in batches."""

    class Meta:
        table_name = table_name("message_logs")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    campaign_id = UnicodeAttribute(hash_key=True)
    log_id = UnicodeAttribute(range_key=True)  # "<ts ms>#<phone>#<event>"
    user_id = UnicodeAttribute()
    phone = UnicodeAttribute()
    event = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    session_id = UnicodeAttribute(null=True)
    wa_message_id = UnicodeAttribute(null=True)
    at = NumberAttribute()
    detail = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
