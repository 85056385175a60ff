"""Which campaign events also send an email, per user (the in-app notice is always
written), and the words of those emails."""

from __future__ import annotations

from typing import Any

from chalicelib.models.base import plain
from chalicelib.models.campaigns import CampaignModel
from chalicelib.models.users import UserModel

KINDS = ("campaign_started", "campaign_paused", "campaign_finished", "campaign_waiting")
DEFAULTS = dict.fromkeys(KINDS, True)

PAUSE_REASONS = {
    "paused_by_user": "you paused it",
    "quota_exhausted": "the plan's messages for this period are used up",
    "too_many_failures": "more than half of the last messages failed",
    "payment_failed": "the last payment failed",
    "session_banned": "WhatsApp banned a sending number",
    "session_logged_out": "a sending number was logged out",
    "session_agent_offline": "the machine running a sending number went offline",
}


def settings_of(user_id: str) -> dict[str, bool]:
    try:
        user = UserModel.get(user_id)
    except UserModel.DoesNotExist:
        return dict(DEFAULTS)
    stored = plain(user.email_settings)
    return {kind: bool(stored.get(kind, DEFAULTS[kind])) for kind in KINDS}


def update_settings(user_id: str, changes: dict[str, bool]) -> dict[str, bool]:
    merged = {**settings_of(user_id), **{k: bool(v) for k, v in changes.items() if k in KINDS}}
    UserModel(user_id).update(actions=[UserModel.email_settings.set(merged)])
    return merged


def wants(user_id: str, kind: str) -> bool:
    return settings_of(user_id).get(kind, True)


def pause_words(reason: str | None) -> str:
    return PAUSE_REASONS.get(reason or "", (reason or "it was paused").replace("_", " "))


def funnel_words(campaign: CampaignModel) -> str:
    def n(name: str) -> int:
        return int(getattr(campaign, name) or 0)

    sent = n("sent") + n("delivered") + n("read")
    parts = [
        f"{n('total'):,} recipients: {sent:,} sent, {n('delivered') + n('read'):,} delivered, "
        f"{n('read'):,} read, {n('replies'):,} replied"
    ]
    tail = []
    if n("failed"):
        tail.append(f"{n('failed'):,} failed")
    if n("skipped"):
        tail.append(f"{n('skipped'):,} skipped (opted out, missing details or over the quota)")
    if n("unknown"):
        tail.append(f"{n('unknown'):,} with an unknown outcome")
    if n("cancelled"):
        tail.append(f"{n('cancelled'):,} cancelled")
    return parts[0] + ("; " + ", ".join(tail) if tail else "") + "."


def notify(campaign: CampaignModel, kind: str, title: str, body: str, **extra: Any) -> None:
    """An in-app notice, and an email when the user wants this kind of event by email."""
    from chalicelib import notifications

    setting = "campaign_finished" if kind == "campaign_completed" else kind
    notifications.notify(
        campaign.user_id,
        kind,
        title,
        body,
        campaign_id=campaign.campaign_id,
        email=wants(campaign.user_id, setting),
        link_path=f"/campaigns/{campaign.campaign_id}",
        **extra,
    )
