"""Plug billing's rules into the hooks campaigns and sessions expose.

Campaigns call ``chalicelib.campaigns.quota`` and sessions call
``chalicelib.sessions.limits``; both default to "no limits" until ``install`` runs
(from ``chalicelib.bootstrap``, which every entry point calls). Installing is cheap:
billing's quota module (pynamodb) is imported when a rule first runs, not here.
"""

from __future__ import annotations

from chalicelib.billing import hooks


def _reserve(user_id: str, n: int, token: str) -> None:
    from chalicelib.billing import quota

    quota.reserve(user_id, n, token)


def _consume(user_id: str, n: int) -> None:
    from chalicelib.billing import quota

    quota.consume(user_id, n)


def _release(user_id: str, n: int) -> None:
    from chalicelib.billing import quota

    quota.release(user_id, n)


def _sending_allowed(user_id: str) -> tuple[bool, str | None]:
    from chalicelib.billing import quota

    return quota.sending_allowed(user_id)


def _remaining(user_id: str) -> int | None:
    from chalicelib.billing import quota

    return max(0, int(quota.get_account(user_id).available))


def _check_session_allowed(user_id: str, current_count: int) -> None:
    from chalicelib.billing import quota

    quota.check_session_allowed(user_id, current_count)


def _count_sessions(user_id: str) -> int:
    from chalicelib.sessions import service as sessions

    return int(sessions.count_active(user_id))


def _pause_campaigns(user_id: str, reason: str) -> None:
    """Billing stopped this user's sending: running campaigns pause with the reason."""
    from chalicelib.campaigns import service as campaigns
    from chalicelib.models.campaigns import CampaignModel

    for campaign in CampaignModel.query(
        user_id, filter_condition=CampaignModel.status == campaigns.RUNNING
    ):
        campaigns.auto_pause(
            campaign,
            reason,
            "Sending is on hold because the last payment failed and its grace period is "
            "over. Update the payment method in Billing, then resume the campaign.",
        )


def install() -> list[str]:
    """Returns the hooks installed (for logs and tests)."""
    from chalicelib.campaigns import quota as campaigns_quota
    from chalicelib.sessions import limits

    campaigns_quota.install(
        reserve_fn=_reserve,
        consume_fn=_consume,
        release_fn=_release,
        allowed_fn=_sending_allowed,
    )
    campaigns_quota.install_remaining(_remaining)
    limits.set_check(_check_session_allowed)
    hooks.count_sessions(_count_sessions)
    hooks.on_pause(_pause_campaigns)
    return ["campaigns.quota", "sessions.limits", "count_sessions", "on_pause"]
