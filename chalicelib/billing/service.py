"""Checkout and the customer portal: the two ways a user reaches Stripe."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.billing import accounts, plans, stripe_api
from chalicelib.billing.quota import Account, get_account
from chalicelib.config import settings
from chalicelib.errors import Conflict, ValidationFailed
from chalicelib.models.users import UserModel


@dataclass(frozen=True)
class Redirect:
    url: str


def ensure_customer(user_id: str) -> str:
    """The user's Stripe customer: created once, reused after.

    The idempotency key makes two racing first checkouts create one customer.
    """
    account = get_account(user_id)
    if account.stripe_customer_id:
        return str(account.stripe_customer_id)
    user = UserModel.get(user_id)
    customer = stripe_api.client().v1.customers.create(
        params={
            "email": user.email or "",
            "name": user.name or "",
            "metadata": {"user_id": user_id},
        },
        options={"idempotency_key": f"wacast-customer-{user_id}"},
    )
    accounts.link_customer(user_id, customer.id)
    return str(customer.id)


def start_checkout(user_id: str, plan_id: str, return_to: str | None = None) -> Redirect:
    plan = plans.PLANS.get(plan_id)
    if plan is None or not plan.paid:
        raise ValidationFailed("Choose a paid plan.", {"plan": plan_id})
    stripe = stripe_api.client()  # 503 first when billing is not configured at all
    if not plan.price_id:
        raise ValidationFailed(f"The {plan.name} plan has no price configured.", {"plan": plan_id})
    account = get_account(user_id)
    if account.stripe_subscription_id and account.plan != plans.FREE:
        raise Conflict(
            "You already have a subscription; change plans in the billing portal.",
            {"plan": account.plan},
            code="already_subscribed",
        )
    customer = ensure_customer(user_id)
    app = settings().app_url.rstrip("/")
    back = return_to or "/billing"  # an app path (validated by the route), e.g. a campaign
    session = stripe.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer": customer,
            "client_reference_id": user_id,
            "line_items": [{"price": plan.price_id, "quantity": 1}],
            "success_url": f"{app}{back}?checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{app}{back}?checkout=cancelled",
            "metadata": {"user_id": user_id, "plan": plan.id},
            "subscription_data": {"metadata": {"user_id": user_id, "plan": plan.id}},
        }
    )
    return Redirect(url=str(session.url))


def open_portal(user_id: str) -> Redirect:
    account: Account = get_account(user_id)
    if not account.stripe_customer_id:
        raise Conflict(
            "There is nothing to manage yet: choose a plan first.", code="no_billing_customer"
        )
    app = settings().app_url.rstrip("/")
    session = stripe_api.client().v1.billing_portal.sessions.create(
        params={"customer": str(account.stripe_customer_id), "return_url": f"{app}/billing"}
    )
    return Redirect(url=str(session.url))
