"""Stripe webhooks: verify, deduplicate, re-read, apply.

* The signature is checked on the raw body (300 s tolerance).
* Each event id is claimed with a conditional put; a finished event answers
  "duplicate" and does nothing; one being processed (lease) answers 409 so Stripe
  retries later; a crash frees the claim so Stripe's retry runs it again.
* Events may arrive in any order, so every handler re-reads the subscription from
  Stripe and applies its current state; all writes are conditional, so applying a
  state twice is harmless.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import DeleteError, PutError

from chalicelib.billing import accounts, hooks, notify, plans, stripe_api
from chalicelib.billing.errors import BillingNotConfigured, InvalidSignature
from chalicelib.billing.quota import find_account, get_account, grace_ends_at
from chalicelib.billing.stripe_api import SubscriptionFacts
from chalicelib.errors import Conflict
from chalicelib.logs import logger
from chalicelib.models.base import condition_failed, expiry, now_ms
from chalicelib.models.billing import StripeEventModel

TOLERANCE_S = 300
LEASE_MS = 60_000
KEEP_EVENTS_S = 35 * 86400  # longer than Stripe's 3-day retry window, with room


def verify(raw: bytes, signature: str | None) -> dict[str, Any]:
    from chalicelib import secret_store as secrets

    try:
        secret = secrets.stripe_webhook_secret()
    except secrets.SecretsUnavailable:
        raise BillingNotConfigured("Billing is unavailable right now; try again soon.") from None
    if not secret:
        raise BillingNotConfigured("Stripe webhooks are not configured on this server.")
    import stripe

    try:
        event = json.loads(raw)
    except (ValueError, UnicodeDecodeError, TypeError):
        event = None
    data = event.get("data") if isinstance(event, dict) else None
    if (
        not isinstance(event, dict)
        or not isinstance(event.get("id"), str)
        or not isinstance(event.get("type"), str)
        or not isinstance(data, dict)
        or not isinstance(data.get("object"), dict)
    ):
        raise InvalidSignature("The body is not a Stripe event.", code="invalid_event")
    try:
        # Checks the HMAC over the raw bytes and the timestamp's age.
        stripe.Webhook.construct_event(raw, signature, secret, tolerance=TOLERANCE_S)
    except stripe.SignatureVerificationError:
        raise InvalidSignature("The Stripe-Signature header does not verify.") from None
    return event


def handle(raw: bytes, signature: str | None) -> dict[str, Any]:
    event = verify(raw, signature)
    event_id, kind = event["id"], event["type"]
    if not _claim(event_id, kind):
        return {"received": True, "duplicate": True}
    try:
        handler = HANDLERS.get(kind)
        if handler is not None:
            handler(event["data"]["object"])
    except Exception:
        _abandon(event_id)
        raise
    StripeEventModel(event_id).update(
        actions=[
            StripeEventModel.state.set("done"),
            StripeEventModel.processed_at.set(now_ms()),
            StripeEventModel.lease_until.remove(),
        ]
    )
    logger.info("stripe event applied", extra={"event_id": event_id, "type": kind})
    return {"received": True, "duplicate": False}


def _claim(event_id: str, kind: str) -> bool:
    now = now_ms()
    record = StripeEventModel(
        event_id,
        type=kind[:100],
        state="processing",
        lease_until=now + LEASE_MS,
        received_at=now,
        expires_at=expiry(now // 1000 + KEEP_EVENTS_S),
    )
    try:
        record.save(
            condition=StripeEventModel.event_id.does_not_exist()
            | ((StripeEventModel.state == "processing") & (StripeEventModel.lease_until < now))
        )
        return True
    except PutError as error:
        if not condition_failed(error):
            raise
    current = StripeEventModel.get(event_id, consistent_read=True)
    if current.state == "done":
        return False
    raise Conflict("This event is being processed; retry later.", code="event_in_progress")


def _abandon(event_id: str) -> None:
    try:
        StripeEventModel(event_id).delete(condition=StripeEventModel.state == "processing")
    except DeleteError:
        logger.exception("could not free the claim on a failed event")


# --- applying Stripe's state -----------------------------------------------------------


def _owner(sub: SubscriptionFacts, hint: str | None = None) -> str | None:
    """Our user for a subscription: the one whose Stripe customer it belongs to."""
    for candidate in (sub.user_id, hint):
        if candidate:
            account = find_account(candidate)
            if account is not None and account.stripe_customer_id == sub.customer:
                return candidate
    owner = accounts.find_user_by_customer(sub.customer) if sub.customer else None
    if owner is None:
        logger.warning("subscription of an unknown customer", extra={"subscription": sub.id})
    return owner


def sync(user_id: str, sub: SubscriptionFacts) -> None:
    """Make the account match the subscription as Stripe has it now."""
    before = get_account(user_id)
    if sub.ended:
        if accounts.downgrade_to_free(user_id, sub.id):
            notify.downgraded(user_id)
            if before.past_due_since is not None:
                hooks.fire_resume(user_id)  # the free plan is not in arrears
        return
    if not sub.live:
        return  # incomplete: nothing is granted until the first payment succeeds
    if (
        before.stripe_subscription_id
        and before.stripe_subscription_id != sub.id
        and before.plan != plans.FREE
    ):
        logger.warning(
            "a second live subscription replaces the first",
            extra={"user_id": user_id, "old": before.stripe_subscription_id, "new": sub.id},
        )
    plan = plans.for_price(sub.price_id)
    if plan is None:
        logger.error("subscription to a price we do not sell", extra={"price": sub.price_id})
        return
    after = accounts.apply_subscription(
        user_id,
        plan,
        subscription_id=sub.id,
        subscription_status=sub.status,
        renews_at=sub.period_end,
        cancel_at_period_end=sub.cancel_at_period_end,
    )
    if before.plan != plan.id:
        notify.plan_started(user_id, plan.name)
    if sub.status == "past_due":
        if accounts.mark_past_due(user_id):
            after.refresh(consistent_read=True)
            notify.payment_failed(user_id, grace_ends_at(after))
    elif accounts.clear_past_due(user_id):
        hooks.fire_resume(user_id)
    if sub.cancel_at_period_end and not before.cancel_at_period_end:
        notify.cancellation_scheduled(user_id, sub.period_end)


def _apply(subscription_id: str | None, hint: str | None = None) -> tuple[str, SubscriptionFacts]:
    if not subscription_id:
        raise _Skip
    sub = stripe_api.retrieve_subscription(subscription_id)
    owner = _owner(sub, hint)
    if owner is None:
        raise _Skip
    sync(owner, sub)
    return owner, sub


class _Skip(Exception):
    """The event concerns nothing of ours."""


def on_checkout_completed(session: dict[str, Any]) -> None:
    if session.get("mode") != "subscription":
        return
    _apply(_ref(session.get("subscription")), session.get("client_reference_id"))


def on_subscription(subscription: dict[str, Any]) -> None:
    _apply(_ref(subscription.get("id")))


def on_invoice_paid(invoice: dict[str, Any]) -> None:
    owner, sub = _apply(stripe_api.invoice_subscription_id(invoice))
    if sub.status in ("active", "trialing") and sub.period_start and sub.period_end:
        accounts.roll_period(owner, sub.period_start, sub.period_end)


def on_invoice_payment_failed(invoice: dict[str, Any]) -> None:
    # sync() marks past_due only if the re-read subscription says so: a late
    # failure event after a successful retry changes nothing.
    _apply(stripe_api.invoice_subscription_id(invoice))


def _ref(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("id")
    return str(value) if value else None


def _skipping(fn: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def run(obj: dict[str, Any]) -> None:
        try:
            fn(obj)
        except _Skip:
            logger.info("stripe event skipped: nothing of ours")

    return run


HANDLERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "checkout.session.completed": _skipping(on_checkout_completed),
    "customer.subscription.created": _skipping(on_subscription),
    "customer.subscription.updated": _skipping(on_subscription),
    "customer.subscription.deleted": _skipping(on_subscription),
    "invoice.paid": _skipping(on_invoice_paid),
    "invoice.payment_failed": _skipping(on_invoice_payment_failed),
}
