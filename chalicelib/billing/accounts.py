"""Changes to a billing account that Stripe drives: plan, period, dunning, customer.

Each is a conditional update, so a replayed or reordered webhook cannot apply a
change twice (a period rolls over only forward; a downgrade only once).
"""

from __future__ import annotations

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from chalicelib.billing import plans
from chalicelib.billing.quota import Account, get_account
from chalicelib.errors import Conflict
from chalicelib.models.base import condition_failed, now_ms
from chalicelib.models.billing import DUNNING_PAST_DUE

RETRIES = 8


def find_user_by_customer(customer_id: str) -> str | None:
    for item in Account.by_customer.query(customer_id, limit=1):
        return str(item.user_id)
    return None


def link_customer(user_id: str, customer_id: str) -> Account:
    """Record the user's Stripe customer; a user has exactly one, never replaced."""
    account = get_account(user_id)
    try:
        account.update(
            actions=[Account.stripe_customer_id.set(customer_id)],
            condition=Account.stripe_customer_id.does_not_exist()
            | (Account.stripe_customer_id == customer_id),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        raise Conflict("This account already has another Stripe customer.") from None
    return account


def apply_subscription(
    user_id: str,
    plan: plans.Plan,
    *,
    subscription_id: str,
    subscription_status: str,
    renews_at: int | None,
    cancel_at_period_end: bool,
) -> Account:
    """Set the plan's limits and the subscription's facts; the counters keep their sums."""
    for _ in range(RETRIES):
        account = get_account(user_id)
        delta = plan.messages_per_month - int(account.quota)
        actions: list[Action] = [
            Account.plan.set(plan.id),
            Account.quota.set(plan.messages_per_month),
            Account.available.add(delta),
            Account.numbers_allowed.set(plan.numbers),
            Account.stripe_subscription_id.set(subscription_id),
            Account.subscription_status.set(subscription_status),
            Account.cancel_at_period_end.set(cancel_at_period_end),
            Account.updated_at.set(now_ms()),
        ]
        if renews_at:
            actions.append(Account.renews_at.set(renews_at))
        try:
            account.update(actions=actions, condition=Account.quota == int(account.quota))
            return account
        except UpdateError as error:
            if not condition_failed(error):
                raise
    raise Conflict("The billing account changed too often; retry.")


def grant_plan(user_id: str, plan_id: str) -> Account:
    """Give a plan without Stripe (a comped account, or another module's tests).

    Refused while a Stripe subscription is live: Stripe owns that account's plan.
    """
    plan = plans.PLANS.get(plan_id)
    if plan is None:
        raise Conflict(f"No plan {plan_id!r}.")
    for _ in range(RETRIES):
        account = get_account(user_id)
        if account.stripe_subscription_id:
            raise Conflict("This account's plan comes from its Stripe subscription.")
        try:
            account.update(
                actions=[
                    Account.plan.set(plan.id),
                    Account.quota.set(plan.messages_per_month),
                    Account.available.add(plan.messages_per_month - int(account.quota)),
                    Account.numbers_allowed.set(plan.numbers),
                    Account.updated_at.set(now_ms()),
                ],
                condition=(Account.quota == int(account.quota))
                & Account.stripe_subscription_id.does_not_exist(),
            )
            return account
        except UpdateError as error:
            if not condition_failed(error):
                raise
    raise Conflict("The billing account changed too often; retry.")


def roll_period(user_id: str, start: int, end: int) -> bool:
    """Start a new counting period (invoice.paid): used resets, reservations carry over.

    Only forward: a replayed or late invoice.paid for an older period changes nothing.
    """
    try:
        Account(user_id).update(
            actions=[
                Account.period_start.set(start),
                Account.period_end.set(end),
                Account.used.set(0),
                Account.available.set(Account.quota - Account.reserved),
                Account.updated_at.set(now_ms()),
            ],
            condition=Account.user_id.exists() & (Account.period_start < start),
        )
        return True
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return False


def downgrade_to_free(user_id: str, subscription_id: str | None, now: int | None = None) -> bool:
    """Subscription ended: free plan from now, a fresh free period. True if it changed.

    Only the subscription the account holds can end it (an old one's late
    ``deleted`` event must not downgrade a newer subscription).
    """
    now = now if now is not None else now_ms()
    free = plans.get(plans.FREE)
    for _ in range(RETRIES):
        account = get_account(user_id, now)
        if account.plan == plans.FREE and not account.stripe_subscription_id:
            return False
        if subscription_id and account.stripe_subscription_id not in (None, subscription_id):
            return False
        reserved = int(account.reserved)
        try:
            account.update(
                actions=[
                    Account.plan.set(free.id),
                    Account.status.set("active"),
                    Account.quota.set(free.messages_per_month),
                    Account.numbers_allowed.set(free.numbers),
                    Account.used.set(0),
                    Account.available.set(free.messages_per_month - reserved),
                    Account.period_start.set(now),
                    Account.period_end.set(now + plans.PERIOD_MS),
                    Account.subscription_status.set("canceled"),
                    Account.cancel_at_period_end.set(False),
                    Account.stripe_subscription_id.remove(),
                    Account.renews_at.remove(),
                    Account.past_due_since.remove(),
                    Account.dunning.remove(),
                    Account.paused_at.remove(),
                    Account.updated_at.set(now),
                ],
                condition=(Account.reserved == reserved)
                & (Account.plan == account.plan)
                & (
                    Account.stripe_subscription_id.does_not_exist()
                    | (Account.stripe_subscription_id == account.stripe_subscription_id)
                ),
            )
            return True
        except UpdateError as error:
            if not condition_failed(error):
                raise
    raise Conflict("The billing account changed too often; retry.")


def mark_past_due(user_id: str, now: int | None = None) -> bool:
    """A payment failed: start the grace clock (once). True if newly past due."""
    now = now if now is not None else now_ms()
    try:
        Account(user_id).update(
            actions=[
                Account.status.set("past_due"),
                Account.past_due_since.set(now),
                Account.dunning.set(DUNNING_PAST_DUE),
                Account.updated_at.set(now),
            ],
            condition=Account.user_id.exists() & Account.past_due_since.does_not_exist(),
        )
        return True
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return False


def clear_past_due(user_id: str) -> bool:
    """Paid again: sending resumes. True if the account was past due."""
    try:
        Account(user_id).update(
            actions=[
                Account.status.set("active"),
                Account.past_due_since.remove(),
                Account.dunning.remove(),
                Account.paused_at.remove(),
                Account.updated_at.set(now_ms()),
            ],
            condition=Account.past_due_since.exists(),
        )
        return True
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return False


def mark_paused(user_id: str, now: int) -> bool:
    """The sweep stopped this account's sending. True the first time only."""
    try:
        Account(user_id).update(
            actions=[Account.paused_at.set(now)],
            condition=(Account.status == "past_due") & Account.paused_at.does_not_exist(),
        )
        return True
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return False
