"""A campaign's lifecycle state: read it, move its status, pause or resume it, and wake or
stop the agents of its numbers.

The low layer of the campaigns package: launch, prepare, lease, outcomes and the sweeps
use it, and ``service`` (composing and scheduling, which enqueues their jobs) builds on
it, so no campaign module needs ``service`` to move a status.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from chalicelib import push
from chalicelib.campaigns import emails, quota
from chalicelib.campaigns.statuses import CampaignStatus
from chalicelib.errors import Conflict, NotFound
from chalicelib.logs import logger
from chalicelib.models.agents import AgentModel
from chalicelib.models.base import now_ms
from chalicelib.models.campaigns import CampaignModel
from chalicelib.models.sessions import WaSessionModel
from wacast_protocol import SessionState, Wake

DRAFT = CampaignStatus.DRAFT
PREPARING = CampaignStatus.PREPARING
SCHEDULED = CampaignStatus.SCHEDULED
RUNNING = CampaignStatus.RUNNING
PAUSED = CampaignStatus.PAUSED
COMPLETED = CampaignStatus.COMPLETED
CANCELLED = CampaignStatus.CANCELLED


def get(user_id: str, campaign_id: str, consistent: bool = False) -> CampaignModel:
    try:
        return CampaignModel.get(user_id, campaign_id, consistent_read=consistent)
    except CampaignModel.DoesNotExist:
        raise NotFound("No such campaign.") from None


def check_sessions(user_id: str, session_ids: list[str], need_connected: bool) -> None:
    problems = []
    for session_id in session_ids:
        try:
            session = WaSessionModel.get(user_id, session_id)
        except WaSessionModel.DoesNotExist:
            problems.append({"session_id": session_id, "problem": "not found"})
            continue
        if session.status in (SessionState.stopped.value, SessionState.deleted.value):
            problems.append({"session_id": session_id, "problem": "removed"})
        elif need_connected and session.status != SessionState.connected.value:
            problems.append({"session_id": session_id, "problem": session.status})
    if problems:
        raise Conflict(
            "Every sending number must be connected."
            if need_connected
            else "Some sending numbers do not exist.",
            problems,
            code="sessions_not_ready",
        )


def transition(campaign: CampaignModel, allowed: set[str], new: str, **sets: Any) -> bool:
    """Move ``campaign`` to ``new`` if its status is still one of ``allowed`` (setting
    ``sets``; None removes); False when another write moved it first."""
    actions: list[Action] = [CampaignModel.status.set(new), CampaignModel.updated_at.set(now_ms())]
    for name, value in sets.items():
        attribute = getattr(CampaignModel, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    try:
        campaign.update(actions=actions, condition=CampaignModel.status.is_in(*allowed))
        return True
    except UpdateError:
        return False


def auto_pause(campaign: CampaignModel, reason: str, detail: str) -> bool:
    """Pause a running campaign for a reason the user must see (and is told about)."""
    if not transition(campaign, {RUNNING}, PAUSED, pause_reason=reason):
        return False
    cancel_leases(campaign)
    emails.notify(campaign, "campaign_paused", f"Campaign “{campaign.name}” paused", detail)
    logger.warning(
        "campaign auto-paused", extra={"campaign_id": campaign.campaign_id, "reason": reason}
    )
    return True


def resume(user_id: str, campaign_id: str) -> CampaignModel:
    campaign = get(user_id, campaign_id, consistent=True)
    if campaign.status != PAUSED:
        raise Conflict(f"A {campaign.status} campaign cannot be resumed.", code="bad_transition")
    check_sessions(user_id, list(campaign.session_ids), need_connected=True)
    allowed, why = quota.sending_allowed(user_id)
    if not allowed:
        raise Conflict(f"Sending is on hold: {why}.", {"reason": why}, code="sending_on_hold")
    # Resumed by hand before the time it was set to resume at: it started now, so the
    # queued resume job (``launch.resume_when_due`` checks send_at) does nothing later.
    now = now_ms()
    started = {"send_at": now} if int(campaign.send_at or 0) > now else {}
    if not transition(campaign, {PAUSED}, RUNNING, pause_reason=None, **started):
        raise Conflict("The campaign changed state meanwhile.", code="bad_transition")
    wake(user_id, list(campaign.session_ids))
    return get(user_id, campaign_id, consistent=True)


def cancel_leases(campaign: CampaignModel) -> None:
    """Tell the agents to drop unsent messages of this campaign (takes effect in a batch)."""
    from wacast_protocol import CancelLeases

    for session_id in campaign.session_ids:
        agent = agent_of(campaign.user_id, session_id)
        if agent is not None:
            push.send_frame(
                agent.connection_id,
                CancelLeases(session_id=session_id, campaign_id=campaign.campaign_id),
            )


def agent_of(user_id: str, session_id: str) -> AgentModel | None:
    """The agent running this number, or None."""
    try:
        session = WaSessionModel.get(user_id, session_id)
        return AgentModel.get(session.agent_id)
    except (WaSessionModel.DoesNotExist, AgentModel.DoesNotExist):
        return None


def wake(user_id: str, session_ids: list[str]) -> None:
    by_agent: dict[str, list[str]] = {}
    connections: dict[str, str | None] = {}
    for session_id in session_ids:
        agent = agent_of(user_id, session_id)
        if agent is not None:
            by_agent.setdefault(agent.agent_id, []).append(session_id)
            connections[agent.agent_id] = agent.connection_id
    for agent_id, ids in by_agent.items():
        push.send_frame(connections[agent_id], Wake(session_ids=ids))
