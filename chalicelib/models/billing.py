"""Billing: one account item per user, reservation guards, and seen Stripe events.

The message counters keep an invariant, ``used + reserved + available == quota``,
so a reservation is a single conditional UpdateItem on ``available`` (DynamoDB
conditions cannot add attributes together).
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.models.base import EpochMsAttribute, region, table_name

DUNNING_PAST_DUE = "past_due"


class AccountsByCustomer(GlobalSecondaryIndex["BillingAccountModel"]):
    """Stripe customer id → user id, for events that only name the customer."""

    class Meta:
        index_name = "by_customer"
        projection = KeysOnlyProjection()

    stripe_customer_id = UnicodeAttribute(hash_key=True)


class AccountsInDunning(GlobalSecondaryIndex["BillingAccountModel"]):
    """Sparse: only accounts with a failed payment, ordered by when it failed."""

    class Meta:
        index_name = "by_dunning"
        projection = KeysOnlyProjection()

    dunning = UnicodeAttribute(hash_key=True)
    past_due_since = EpochMsAttribute(range_key=True)


class BillingAccountModel(Model):
    class Meta:
        table_name = table_name("billing")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    user_id = UnicodeAttribute(hash_key=True)
    plan = UnicodeAttribute(default="free")
    # Ours: active | past_due. Stripe's own word is kept in subscription_status.
    status = UnicodeAttribute(default="active")
    stripe_customer_id = UnicodeAttribute(null=True)
    stripe_subscription_id = UnicodeAttribute(null=True)
    subscription_status = UnicodeAttribute(null=True)
    cancel_at_period_end = BooleanAttribute(default=False)
    renews_at = EpochMsAttribute(null=True)
    # The counting period (epoch ms); rolls over on invoice.paid (free: every 30 days).
    period_start = EpochMsAttribute()
    period_end = EpochMsAttribute()
    quota = NumberAttribute()
    used = NumberAttribute(default=0)
    reserved = NumberAttribute(default=0)
    available = NumberAttribute()
    numbers_allowed = NumberAttribute()
    past_due_since = EpochMsAttribute(null=True)
    dunning = UnicodeAttribute(null=True)
    paused_at = EpochMsAttribute(null=True)
    created_at = EpochMsAttribute()
    updated_at = EpochMsAttribute()
    by_customer = AccountsByCustomer()
    by_dunning = AccountsInDunning()


class QuotaReservationModel(Model):
    """Guard item: one per (user, request token), so a retried reserve never counts twice."""

    class Meta:
        table_name = table_name("quota_reservations")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    user_id = UnicodeAttribute(hash_key=True)
    token = UnicodeAttribute(range_key=True)
    messages = NumberAttribute()
    created_at = EpochMsAttribute()
    expires_at = TTLAttribute()


class StripeEventModel(Model):
    """A Stripe event we have claimed (processing, with a lease) or finished (done)."""

    class Meta:
        table_name = table_name("stripe_events")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    event_id = UnicodeAttribute(hash_key=True)
    type = UnicodeAttribute()
    state = UnicodeAttribute()
    lease_until = EpochMsAttribute(null=True)
    received_at = EpochMsAttribute()
    processed_at = EpochMsAttribute(null=True)
    expires_at = TTLAttribute()
