"""Campaigns reacting to their sending numbers: pause when one becomes unusable,
restricted or hits the licence wall; resume when it is back.

Sessions announce state changes through ``sessions.hooks`` (registered by
``campaigns.hooks.install``), so sessions never import campaigns.
"""

from __future__ import annotations

from chalicelib import notifications
from chalicelib.campaigns import lifecycle
from chalicelib.campaigns.lease import running_campaigns_of
from chalicelib.logs import logger
from chalicelib.models.base import now_ms
from chalicelib.models.campaigns import CampaignModel
from chalicelib.models.sessions import WaSessionModel
from chalicelib.sessions import reasons
from chalicelib.sessions.licensing import LICENSE_REJECTED, NEEDS_LICENSE
from wacast_protocol import SessionState

RESTRICTED_PAUSE = "session_restricted"

PAUSING_STATES = {
    "banned": "The number {label} was banned by WhatsApp.",
    "logged_out": "The number {label} was logged out.",
    "agent_offline": "The machine running {label} went offline.",
}
# The wall came back after the user set a key on the number (bought for another number,
# expired, mistyped).
KEY_DID_NOT_UNLOCK = (
    "The licence key set on {label} did not unlock messaging new contacts. Check that the "
    "key was bought for this number (OpenWA sells a key per number) and that it has not "
    "expired, then set the right key on the number's page and retry the failed messages. "
    "Until then, {label} can only message people who have chatted with it before or who "
    "are saved in its phone's contacts."
)


def resume_for_session(session: WaSessionModel) -> int:
    """A number is back after its machine went offline: campaigns paused only for that go on."""
    resumed = 0
    for campaign in CampaignModel.query(
        session.user_id,
        filter_condition=(CampaignModel.status == lifecycle.PAUSED)
        & (CampaignModel.pause_reason == "session_agent_offline"),
    ):
        if session.session_id not in (campaign.session_ids or []):
            continue
        others = [
            WaSessionModel.get(session.user_id, s)
            for s in campaign.session_ids
            if s != session.session_id
        ]
        if any(s.status != "connected" for s in others):
            continue
        if lifecycle.transition(campaign, {lifecycle.PAUSED}, lifecycle.RUNNING, pause_reason=None):
            lifecycle.wake(session.user_id, list(campaign.session_ids))
            notifications.notify(
                session.user_id,
                "campaign_resumed",
                f"Campaign “{campaign.name}” resumed",
                f"{session.label} is connected again, so sending goes on.",
                campaign_id=campaign.campaign_id,
                email=False,
                link_path=f"/campaigns/{campaign.campaign_id}",
            )
            resumed += 1
    return resumed


def pause_for_session(session: WaSessionModel, state: str) -> int:
    """A sending number became unusable: its running campaigns pause, with the reason."""
    if state not in PAUSING_STATES:
        return 0
    paused = 0
    for campaign in running_campaigns_of(session):
        detail = PAUSING_STATES[state].format(label=session.label)
        if lifecycle.auto_pause(
            campaign,
            f"session_{state}",
            detail + " Resume the campaign once the number is connected again.",
        ):
            paused += 1
    return paused


def on_session_state(session: WaSessionModel, state: str, restricted_until: int | None) -> None:
    """A number's reported state changed (the ``sessions.hooks`` listener)."""
    if state in PAUSING_STATES:
        pause_for_session(session, state)
    elif state == SessionState.restricted.value:
        pause_restricted(session, restricted_until)
    elif state == SessionState.connected.value:
        resume_for_session(session)


def pause_restricted(session: WaSessionModel, until: int | None) -> int:
    """The number may not start new chats: its running campaigns pause with the reason."""
    paused = 0
    words = reasons.restricted_text(until)
    for campaign in running_campaigns_of(session):
        if lifecycle.auto_pause(
            campaign,
            RESTRICTED_PAUSE,
            f"{session.label}: {words} Resume the campaign once the restriction lifts.",
        ):
            paused += 1
    return paused


def key_did_not_unlock(session: WaSessionModel, campaign: CampaignModel, leased_at: int) -> bool:
    """True when a ``needs_license`` result shows that the key set on the number after this
    campaign's last wall pause did not lift the wall: the key is newer than the pause, the
    number has connected again since (the agent restarts it with the key), and the send
    was leased after that reconnection. A send leased before it went out without the key,
    so its result says nothing about the key."""
    wall_at = int(campaign.license_wall_at or 0)
    key_at = int(session.license_updated_at or 0)
    connected_at = int(session.connected_at or 0)
    return (
        bool(session.license_sealed)
        and key_at > wall_at
        and connected_at > key_at
        and leased_at >= connected_at
    )


def _pause(campaign: CampaignModel, reason: str = NEEDS_LICENSE) -> bool:
    if not lifecycle.transition(
        campaign,
        {lifecycle.RUNNING},
        lifecycle.PAUSED,
        pause_reason=reason,
        license_wall_at=now_ms(),
    ):
        return False
    lifecycle.cancel_leases(campaign)
    return True


def pause_at_licence_wall(session: WaSessionModel, walled: dict[str, int]) -> int:
    """Sends of these campaigns (campaign id -> when the newest of them was leased)
    answered ``needs_license``. A campaign pauses the first time, with a notice that
    explains the wall; a campaign the user resumed anyway (to reach only existing chats)
    is not paused again, unless a key set on the number since then did not lift the wall
    (then it pauses with a notice saying so). Both notices link to the number's page."""
    paused = 0
    fresh: WaSessionModel | None = None
    for campaign_id in sorted(walled):
        try:
            campaign = CampaignModel.get(session.user_id, campaign_id)
        except CampaignModel.DoesNotExist:
            continue
        if campaign.status != lifecycle.RUNNING:
            continue
        if campaign.license_wall_at:
            # Rare: read the number as it is now (the key may have changed this moment).
            fresh = fresh or WaSessionModel.get(
                session.user_id, session.session_id, consistent_read=True
            )
            if not key_did_not_unlock(fresh, campaign, walled[campaign_id]) or not _pause(
                campaign, LICENSE_REJECTED
            ):
                continue
            title = (
                f"Campaign “{campaign.name}” paused: the licence key on {fresh.label} did not work"
            )
            body = KEY_DID_NOT_UNLOCK.format(label=fresh.label)
            kind = "campaign_license_rejected"
        else:
            if not _pause(campaign):
                continue
            title = f"Campaign “{campaign.name}” paused: {session.label} needs a licence key"
            body = reasons.LICENSE_WALL
            kind = "campaign_needs_license"
        paused += 1
        notifications.notify(
            session.user_id,
            kind,
            title,
            body,
            session_id=session.session_id,
            campaign_id=campaign_id,
            link_path=f"/sessions/{session.session_id}",
        )
        logger.warning(
            "campaign paused at the licence wall",
            extra={"campaign_id": campaign_id, "session_id": session.session_id, "kind": kind},
        )
    return paused
