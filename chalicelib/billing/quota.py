"""The quota API other modules call: reserve, consume, release, and the two gates.

Counters keep ``used + reserved + available == quota`` so that each step is one
atomic UpdateItem: reserving decrements ``available`` on the condition that it
stays non-negative, which is exactly ``used + reserved + n <= quota``.

No function here imports stripe.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.billing import plans
from chalicelib.billing.errors import PlanLimitReached, QuotaExceeded, ReservationMissing
from chalicelib.config import settings
from chalicelib.errors import ServiceUnavailable, ValidationFailed
from chalicelib.models.base import condition_failed, expiry, now_ms
from chalicelib.models.billing import BillingAccountModel, QuotaReservationModel

RESERVATION_GUARD_TTL_S = 7 * 86400
PAYMENT_FAILED = "payment_failed"

Account = BillingAccountModel


def _new_account(user_id: str, now: int) -> Account:
    free = plans.get(plans.FREE)
    return Account(
        user_id,
        plan=free.id,
        status="active",
        period_start=now,
        period_end=now + plans.PERIOD_MS,
        quota=free.messages_per_month,
        used=0,
        reserved=0,
        available=free.messages_per_month,
        numbers_allowed=free.numbers,
        cancel_at_period_end=False,
        created_at=now,
        updated_at=now,
    )


def find_account(user_id: str) -> Account | None:
    try:
        return Account.get(user_id, consistent_read=True)
    except Account.DoesNotExist:
        return None


def get_account(user_id: str, now: int | None = None) -> Account:
    """The user's billing account: created on first use (free), free periods rolled."""
    now = now if now is not None else now_ms()
    account = find_account(user_id)
    if account is None:
        account = _new_account(user_id, now)
        try:
            account.save(condition=Account.user_id.does_not_exist())
        except PutError as error:
            if not condition_failed(error):
                raise
            account = Account.get(user_id, consistent_read=True)
    if not account.stripe_subscription_id and int(account.period_end) <= now:
        account = _roll_free_period(account, now)
    return account


def _roll_free_period(account: Account, now: int) -> Account:
    """Without a subscription (free, or a granted plan) periods are 30 days back to
    back; reservations in flight carry over."""
    ended = int(account.period_end)
    start = ended + ((now - ended) // plans.PERIOD_MS) * plans.PERIOD_MS
    try:
        account.update(
            actions=[
                Account.period_start.set(start),
                Account.period_end.set(start + plans.PERIOD_MS),
                Account.used.set(0),
                Account.available.set(Account.quota - Account.reserved),
                Account.updated_at.set(now),
            ],
            condition=Account.stripe_subscription_id.does_not_exist()
            & (Account.period_end == ended),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        account.refresh(consistent_read=True)  # someone else rolled it (or it changed plan)
    return account


@dataclass(frozen=True)
class Reservation:
    user_id: str
    count: int
    token: str
    duplicate: bool  # True: this token had already reserved; nothing new was held


def reserve(user_id: str, n: int, request_token: str, now: int | None = None) -> Reservation:
    """Hold ``n`` messages of the current period, once per ``request_token``.

    One transaction: a guard item keyed by the token (must not exist) and one
    conditional UpdateItem on the account (``available >= n``). A retry with the
    same token returns the first reservation (``duplicate=True``) and holds nothing.
    Raises QuotaExceeded (409) saying how many messages are over.
    """
    if n <= 0:
        raise ValidationFailed("A reservation needs at least one message.", {"n": n})
    if not request_token or len(request_token) > 200:
        raise ValidationFailed("A request token of 1-200 characters is required.")
    now = now if now is not None else now_ms()
    get_account(user_id, now)
    guard = QuotaReservationModel(
        user_id,
        request_token,
        messages=n,
        created_at=now,
        expires_at=expiry(now // 1000 + RESERVATION_GUARD_TTL_S),
    )
    for attempt in range(8):
        try:
            with TransactWrite(connection=Connection(region=Account.Meta.region)) as transaction:
                transaction.save(guard, condition=QuotaReservationModel.token.does_not_exist())
                transaction.update(
                    Account(user_id),
                    actions=[
                        Account.available.add(-n),
                        Account.reserved.add(n),
                        Account.updated_at.set(now),
                    ],
                    condition=Account.available >= n,
                )
            return Reservation(user_id, n, request_token, duplicate=False)
        except TransactWriteError as error:
            codes = [getattr(reason, "code", None) for reason in (error.cancellation_reasons or [])]
            if codes and codes[0] == "ConditionalCheckFailed":
                first = QuotaReservationModel.get(user_id, request_token, consistent_read=True)
                return Reservation(user_id, int(first.messages), request_token, duplicate=True)
            if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                raise _exceeded(user_id, n) from None
            if "TransactionConflict" in codes or error.cause_response_code in (
                "TransactionConflictException",
                "TransactionInProgressException",
            ):
                time.sleep(random.uniform(0, 0.02 * 2**attempt))  # contention: back off
                continue
            raise
    raise ServiceUnavailable("The quota is busy; retry shortly.")


def _exceeded(user_id: str, n: int) -> QuotaExceeded:
    account = Account.get(user_id, consistent_read=True)
    remaining = max(0, int(account.available))
    over = n - remaining
    return QuotaExceeded(
        f"This needs {n} messages but only {remaining} remain in this period: {over} over.",
        {
            "requested": n,
            "remaining": remaining,
            "over_by": over,
            "quota": int(account.quota),
            "used": int(account.used),
            "reserved": int(account.reserved),
            "plan": account.plan,
            "period_end": int(account.period_end),
        },
    )


def consume(user_id: str, n: int) -> None:
    """``n`` reserved messages were sent: reserved → used.

    Not idempotent by itself: call it from the conditional state change that marks
    the message sent, so it runs once per message (or once per batch of them).
    """
    _move(user_id, n, [Account.reserved.add(-n), Account.used.add(n)])


def release(user_id: str, n: int) -> None:
    """``n`` reserved messages will not be sent (cancelled, failed, skipped)."""
    _move(user_id, n, [Account.reserved.add(-n), Account.available.add(n)])


def _move(user_id: str, n: int, actions: list[Action]) -> None:
    if n <= 0:
        return
    try:
        Account(user_id).update(
            actions=[*actions, Account.updated_at.set(now_ms())],
            condition=Account.reserved >= n,
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        raise ReservationMissing(
            f"Only part of {n} messages is reserved.", {"requested": n}
        ) from None


def check_session_allowed(user_id: str, current_count: int) -> None:
    """Raise PlanLimitReached unless the plan allows one more WhatsApp number."""
    account = get_account(user_id)
    allowed = int(account.numbers_allowed)
    if current_count + 1 > allowed:
        raise PlanLimitReached(
            f"Your {plans.get(account.plan).name} plan allows {allowed} WhatsApp "
            f"number(s); upgrade to link another.",
            {"plan": account.plan, "allowed": allowed, "current": current_count},
        )


def grace_ends_at(account: Account) -> int | None:
    if account.status != "past_due" or account.past_due_since is None:
        return None
    return int(account.past_due_since) + settings().billing_grace_s * 1000


def sending_allowed(user_id: str, now: int | None = None) -> tuple[bool, str | None]:
    """(False, "payment_failed") once a failed payment is past its grace period."""
    account = find_account(user_id)
    if account is None:
        return True, None
    return sending_allowed_for(account, now)


def sending_allowed_for(account: Account, now: int | None = None) -> tuple[bool, str | None]:
    now = now if now is not None else now_ms()
    ends = grace_ends_at(account)
    if ends is not None and now >= ends:
        return False, PAYMENT_FAILED
    return True, None
