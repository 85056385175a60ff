"""The schedule-driven half of dunning: find accounts past their grace and pause them.

``quota.sending_allowed`` is the authority (it computes from ``past_due_since``
whatever the sweep has done); the sweep makes the pause happen promptly: it calls
the ``hooks.on_pause`` listeners (campaigns pause with reason ``payment_failed``)
and emails the user, once per account.
"""

from __future__ import annotations

from chalicelib.billing import accounts, hooks, notify
from chalicelib.billing.quota import PAYMENT_FAILED, Account, find_account, sending_allowed_for
from chalicelib.config import settings
from chalicelib.models.base import now_ms
from chalicelib.models.billing import DUNNING_PAST_DUE


def past_grace(now: int | None = None) -> list[str]:
    """User ids whose failed payment is older than the grace period."""
    now = now if now is not None else now_ms()
    cutoff = now - settings().billing_grace_s * 1000
    return [
        str(item.user_id)
        for item in Account.by_dunning.query(DUNNING_PAST_DUE, Account.past_due_since <= cutoff)
    ]


def enforce_grace(now: int | None = None) -> list[str]:
    """Pause every account past its grace that is not paused yet; returns them."""
    now = now if now is not None else now_ms()
    paused: list[str] = []
    for user_id in past_grace(now):
        account = find_account(user_id)
        if account is None or account.status != "past_due" or account.paused_at is not None:
            continue
        if sending_allowed_for(account, now)[0]:
            continue  # the index holds a stale or not yet migrated (seconds) value
        # Listeners first (they are idempotent): a crash here is retried next tick.
        hooks.fire_pause(user_id, PAYMENT_FAILED)
        if accounts.mark_paused(user_id, now):
            notify.sending_paused(user_id)
            paused.append(user_id)
    return paused
