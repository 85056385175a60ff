"""A number's own OpenWA licence key, and what happens when a send hits the wall.

OpenWA refuses to open a chat with someone who never chatted with the number and is
not in its phone's contacts, unless the number has a licence key (sold per number).
The key is write-only: stored sealed (``vault``), shown as its last four characters,
decrypted only to put it in the ``start_session``/``sync`` frames for the agent.
"""

from __future__ import annotations

from chalicelib import notifications
from chalicelib.errors import Conflict
from chalicelib.logs import logger
from chalicelib.models.agents import AgentModel
from chalicelib.models.base import now_ms
from chalicelib.models.sessions import WaSessionModel
from chalicelib.sessions import reasons, vault

NEEDS_LICENSE = "needs_license"
RESTRICTED_PAUSE = "session_restricted"


def _owner(session: WaSessionModel) -> str:
    return f"{session.user_id}#{session.session_id}"


def masked(session: WaSessionModel) -> str | None:
    return f"••••{session.license_last4}" if session.license_sealed else None


def key_of(session: WaSessionModel) -> str | None:
    """The plaintext key for the agent, or None (no key, or it no longer opens)."""
    if not session.license_sealed:
        return None
    try:
        return vault.open_(session.license_sealed, _owner(session))
    except vault.VaultError:
        # Never log the ciphertext or the key: only that it could not be used.
        logger.error("licence key does not decrypt", extra={"session_id": session.session_id})
        return None


def _editable(user_id: str, session_id: str) -> WaSessionModel:
    from chalicelib.sessions import service

    session = service.get(user_id, session_id)
    if session.status in service.CLOUD_OWNED:
        raise Conflict("This number was removed; add it again instead.", code="session_stopped")
    return session


def _apply(session: WaSessionModel) -> None:
    """Restart the number on its agent so the change takes effect; an offline agent
    gets the key in the ``sync`` answering its next ``hello``."""
    from chalicelib.sessions import service

    try:
        agent = AgentModel.get(session.agent_id, consistent_read=True)
    except AgentModel.DoesNotExist:
        return
    if service.agent_online(agent):
        service.push_start(agent, session)


def set_key(user_id: str, session_id: str, key: str) -> WaSessionModel:
    session = _editable(user_id, session_id)
    now = now_ms()
    session.update(
        actions=[
            WaSessionModel.license_sealed.set(vault.seal(key, _owner(session))),
            WaSessionModel.license_last4.set(key[-4:]),
            WaSessionModel.license_updated_at.set(now),
            WaSessionModel.updated_at.set(now),
        ]
    )
    logger.info("licence key set", extra={"user_id": user_id, "session_id": session_id})
    _apply(session)
    return session


def remove_key(user_id: str, session_id: str) -> WaSessionModel:
    session = _editable(user_id, session_id)
    if not session.license_sealed:
        return session  # idempotent
    now = now_ms()
    session.update(
        actions=[
            WaSessionModel.license_sealed.remove(),
            WaSessionModel.license_last4.remove(),
            WaSessionModel.license_updated_at.set(now),
            WaSessionModel.updated_at.set(now),
        ]
    )
    logger.info("licence key removed", extra={"user_id": user_id, "session_id": session_id})
    _apply(session)
    return session


def has_key(user_id: str, session_id: str) -> bool:
    try:
        session = WaSessionModel.get(user_id, session_id)
    except WaSessionModel.DoesNotExist:
        return False
    return bool(session.license_sealed)


def hit_wall(session: WaSessionModel, campaign_ids: set[str]) -> int:
    """Sends of these campaigns answered ``needs_license``: each pauses once, with a
    notice that explains the wall and links to the number's page. A campaign the user
    resumed anyway (to reach only existing chats) is not paused again."""
    from chalicelib.campaigns import service as campaigns
    from chalicelib.models.campaigns import CampaignModel

    paused = 0
    for campaign_id in sorted(campaign_ids):
        try:
            campaign = CampaignModel.get(session.user_id, campaign_id)
        except CampaignModel.DoesNotExist:
            continue
        if campaign.license_wall_at or campaign.status != campaigns.RUNNING:
            continue
        if not campaigns._transition(
            campaign,
            {campaigns.RUNNING},
            campaigns.PAUSED,
            pause_reason=NEEDS_LICENSE,
            license_wall_at=now_ms(),
        ):
            continue
        campaigns.cancel_leases(campaign)
        paused += 1
        notifications.notify(
            session.user_id,
            "campaign_needs_license",
            f"Campaign “{campaign.name}” paused: {session.label} needs a licence key",
            reasons.LICENSE_WALL,
            session_id=session.session_id,
            campaign_id=campaign_id,
            link_path=f"/sessions/{session.session_id}",
        )
        logger.warning(
            "campaign paused at the licence wall",
            extra={"campaign_id": campaign_id, "session_id": session.session_id},
        )
    return paused


def pause_restricted(session: WaSessionModel, until: int | None) -> int:
    """The number may not start new chats: its running campaigns pause with the reason."""
    from chalicelib.campaigns import service as campaigns
    from chalicelib.campaigns.lease import running_campaigns_of

    paused = 0
    words = reasons.restricted_text(until)
    for campaign in running_campaigns_of(session):
        if campaigns.auto_pause(
            campaign,
            RESTRICTED_PAUSE,
            f"{session.label}: {words} Resume the campaign once the restriction lifts.",
        ):
            paused += 1
    return paused
