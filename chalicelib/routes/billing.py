"""Plans, the user's billing state, checkout, the portal, and Stripe's webhook.

The billing services import stripe lazily, so this module stays cheap to import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, TypeVar

from pydantic import ConfigDict, Field, field_validator

from chalicelib import lazy
from chalicelib.api import Api, RequestContext
from chalicelib.basemodel import BaseModel
from chalicelib.billing import hooks, plans
from chalicelib.epoch import MS_NOTE, EpochMs
from chalicelib.errors import DomainError, ServiceUnavailable
from chalicelib.logs import logger

if TYPE_CHECKING:
    from chalicelib.billing import quota
else:  # imported on first use (chalicelib.lazy): cheap cold starts
    quota = lazy.module("chalicelib.billing.quota")

api = Api(__name__, "billing")
T = TypeVar("T")


class PlanOut(BaseModel):
    id: str
    name: str
    numbers: int
    messages_per_month: int
    price_monthly_cents: int
    purchasable: bool = Field(description="Has a Stripe price configured")

    @classmethod
    def of(cls, plan: plans.Plan) -> PlanOut:
        return cls(
            id=plan.id,
            name=plan.name,
            numbers=plan.numbers,
            messages_per_month=plan.messages_per_month,
            price_monthly_cents=plan.price_monthly_cents,
            purchasable=plan.paid and bool(plan.price_id),
        )


class PlanList(BaseModel):
    items: list[PlanOut]


class Period(BaseModel):
    start: EpochMs
    end: EpochMs


class Messages(BaseModel):
    quota: int
    used: int
    reserved: int
    remaining: int


class Numbers(BaseModel):
    used: int
    allowed: int


class BillingState(BaseModel):
    plan: PlanOut
    status: Literal["active", "past_due"]
    sending_allowed: bool
    sending_paused_reason: str | None
    grace_ends_at: EpochMs | None
    period: Period
    messages: Messages
    numbers: Numbers
    next_renewal: int | None = Field(
        description=f"When the plan renews (free: period end). {MS_NOTE}"
    )
    cancel_at_period_end: bool
    has_billing_customer: bool


class CheckoutBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan: Literal["starter", "pro"]
    return_to: str | None = Field(
        None,
        max_length=300,
        pattern=r"^/[A-Za-z0-9/_\-]*$",
        description="An app path to come back to after checkout, e.g. /campaigns/cmp_…",
    )

    @field_validator("return_to")
    @classmethod
    def app_path(cls, value: str | None) -> str | None:
        if value is not None and value.startswith("//"):
            raise ValueError("must be a path in the app")  # "//host" would leave the app
        return value


class RedirectOut(BaseModel):
    url: str


class WebhookAck(BaseModel):
    received: bool
    duplicate: bool


@api.route(
    "/api/billing/plans",
    "GET",
    response=PlanList,
    auth=False,
    summary="The plans on offer (public: the pricing page needs them too)",
)
def list_plans(ctx: RequestContext) -> PlanList:
    return PlanList(items=[PlanOut.of(plan) for plan in plans.PLANS.values()])


@api.route("/api/billing", "GET", response=BillingState, summary="Your plan, usage and status")
def get_billing(ctx: RequestContext) -> BillingState:
    assert ctx.user_id
    account = quota.get_account(ctx.user_id)
    allowed, reason = quota.sending_allowed_for(account)
    plan = plans.get(account.plan)
    return BillingState(
        plan=PlanOut.of(plan),
        status="past_due" if account.status == "past_due" else "active",
        sending_allowed=allowed,
        sending_paused_reason=reason,
        grace_ends_at=quota.grace_ends_at(account),
        period=Period(start=int(account.period_start), end=int(account.period_end)),
        messages=Messages(
            quota=int(account.quota),
            used=int(account.used),
            reserved=int(account.reserved),
            remaining=max(0, int(account.available)),
        ),
        numbers=Numbers(used=hooks.sessions_of(ctx.user_id), allowed=int(account.numbers_allowed)),
        next_renewal=_next_renewal(account),
        cancel_at_period_end=bool(account.cancel_at_period_end),
        has_billing_customer=bool(account.stripe_customer_id),
    )


def _next_renewal(account: quota.Account) -> int | None:
    if account.cancel_at_period_end:
        return None  # it ends instead
    if account.stripe_subscription_id:
        return int(account.renews_at) if account.renews_at else None
    return int(account.period_end)  # free: the next free period


@api.route(
    "/api/billing/checkout",
    "POST",
    body=CheckoutBody,
    response=RedirectOut,
    errors=(409, 422, 503),
    summary="Start a Stripe Checkout for a paid plan; the plan starts when Stripe confirms",
)
def checkout(ctx: RequestContext, body: CheckoutBody) -> RedirectOut:
    user_id = ctx.user_id
    assert user_id
    from chalicelib.billing import service

    return RedirectOut(
        url=_stripe_call(lambda: service.start_checkout(user_id, body.plan, body.return_to)).url
    )


@api.route(
    "/api/billing/portal",
    "POST",
    response=RedirectOut,
    errors=(409, 503),
    summary="Open Stripe's customer portal (payment method, invoices, cancel, change plan)",
)
def portal(ctx: RequestContext) -> RedirectOut:
    user_id = ctx.user_id
    assert user_id
    from chalicelib.billing import service

    return RedirectOut(url=_stripe_call(lambda: service.open_portal(user_id)).url)


@api.route(
    "/api/webhooks/stripe",
    "POST",
    response=WebhookAck,
    auth=False,
    rate=None,  # Stripe's own addresses, signed; a 429 would only make it retry
    errors=(400, 409, 503),
    summary="Stripe's webhook (signed; verified on the raw body)",
)
def stripe_webhook(ctx: RequestContext) -> WebhookAck:
    from chalicelib.billing import webhooks

    result = _stripe_call(
        lambda: webhooks.handle(ctx.raw_body, ctx.headers.get("stripe-signature"))
    )
    return WebhookAck(**result)


def _stripe_call(call: Callable[[], T]) -> T:
    """Domain errors pass; anything else (Stripe down, a network error) is a 503."""
    try:
        return call()
    except DomainError:
        raise
    except Exception as error:
        logger.exception("billing call failed", extra={"error": type(error).__name__})
        raise ServiceUnavailable("Billing is unavailable right now; retry shortly.") from None
