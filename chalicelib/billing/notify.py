"""Billing emails, through the email queue. A failure to queue is logged, never fatal:
the state change it reports has already happened and will not repeat."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib import mail
from chalicelib.config import settings
from chalicelib.logs import logger
from chalicelib.models.users import UserModel


def day(epoch_ms: int | None) -> str:
    if not epoch_ms:
        return "the end of the period"
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%d %B %Y")


def email_user(user_id: str, subject: str, text: str, kind: str) -> None:
    try:
        user = UserModel.get(user_id)
        if not user.email:
            return
        link = f"{settings().app_url.rstrip('/')}/billing"
        mail.enqueue(user.email, subject, f"{text}\n\nManage billing: {link}\n", kind)
    except Exception:
        logger.exception("billing email not queued", extra={"user_id": user_id, "kind": kind})


def payment_failed(user_id: str, grace_ends: int | None) -> None:
    email_user(
        user_id,
        "Your wacast payment failed",
        "We could not take your last payment. Your campaigns keep sending until "
        f"{day(grace_ends)}; after that they pause until the invoice is paid.",
        "billing_payment_failed",
    )


def sending_paused(user_id: str) -> None:
    email_user(
        user_id,
        "Your wacast campaigns are paused",
        "Your payment is still outstanding and the grace period is over, so sending "
        "is paused. Pay the invoice and sending resumes by itself.",
        "billing_paused",
    )


def plan_started(user_id: str, plan_name: str) -> None:
    email_user(
        user_id,
        f"Welcome to wacast {plan_name}",
        f"Your {plan_name} plan is active.",
        "billing_plan_started",
    )


def cancellation_scheduled(user_id: str, ends: int | None) -> None:
    email_user(
        user_id,
        "Your wacast plan will end",
        f"Your subscription is cancelled and ends on {day(ends)}; then you move to the "
        "free plan. You can resume it in the billing portal until then.",
        "billing_cancel_scheduled",
    )


def downgraded(user_id: str) -> None:
    email_user(
        user_id,
        "You are now on the wacast free plan",
        "Your subscription has ended and your account moved to the free plan "
        "(1 number, 100 messages a month).",
        "billing_downgraded",
    )
