"""The Stripe client, created lazily (stripe costs ~130 ms to import), and the
few facts we read from Stripe objects, tolerant of API versions (periods moved
from the subscription onto its items; invoices name their subscription under
``parent.subscription_details`` since 2025)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib import epoch
from chalicelib.billing.errors import BillingNotConfigured
from chalicelib.config import settings

if TYPE_CHECKING:
    from stripe import StripeClient

_lock = threading.Lock()
_cache: dict[tuple[str, str], StripeClient] = {}


def client() -> StripeClient:
    from chalicelib import secret_store as secrets

    s = settings()
    try:
        secret_key = secrets.stripe_secret_key()
    except secrets.SecretsUnavailable:
        raise BillingNotConfigured("Billing is unavailable right now; try again soon.") from None
    if not secret_key:
        raise BillingNotConfigured("Billing is not configured on this server.")
    key = (secret_key, s.stripe_api_base)
    with _lock:
        found = _cache.get(key)
        if found is None:
            from stripe import StripeClient

            bases: Any = {"api": s.stripe_api_base} if s.stripe_api_base else None
            found = StripeClient(secret_key, base_addresses=bases, max_network_retries=2)
            _cache[key] = found
        return found


def reset_client() -> None:
    with _lock:
        _cache.clear()


def as_dict(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    return dict(obj.to_dict())


@dataclass(frozen=True)
class SubscriptionFacts:
    id: str
    customer: str
    status: str
    price_id: str | None
    period_start: int | None  # epoch ms (Stripe's seconds converted on reading)
    period_end: int | None
    cancel_at_period_end: bool
    user_id: str | None  # from metadata, set by our checkout

    @property
    def live(self) -> bool:
        """Grants the plan (past_due still does, during its grace)."""
        return self.status in ("active", "trialing", "past_due")

    @property
    def ended(self) -> bool:
        return self.status in ("canceled", "incomplete_expired", "unpaid")


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("id")
    return str(value) if value else None


def subscription_facts(raw: Any) -> SubscriptionFacts:
    sub = as_dict(raw)
    items = ((sub.get("items") or {}).get("data")) or [{}]
    first = items[0] or {}
    price = first.get("price") or first.get("plan") or {}
    start = first.get("current_period_start") or sub.get("current_period_start")
    end = first.get("current_period_end") or sub.get("current_period_end")
    return SubscriptionFacts(
        id=str(sub["id"]),
        customer=_id(sub.get("customer")) or "",
        status=str(sub.get("status") or ""),
        price_id=_id(price),
        period_start=epoch.from_s(start),
        period_end=epoch.from_s(end),
        cancel_at_period_end=bool(sub.get("cancel_at_period_end")),
        user_id=(sub.get("metadata") or {}).get("user_id"),
    )


def invoice_subscription_id(invoice: dict[str, Any]) -> str | None:
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return _id(details.get("subscription")) or _id(invoice.get("subscription"))


def retrieve_subscription(subscription_id: str) -> SubscriptionFacts:
    return subscription_facts(client().v1.subscriptions.retrieve(subscription_id))
