"""Campaigns reacting to their sending numbers: pause when one becomes unusable,
resume when it is back."""

from __future__ import annotations

from chalicelib import notifications
from chalicelib.campaigns import service
from chalicelib.campaigns.lease import running_campaigns_of
from chalicelib.models.campaigns import CampaignModel
from chalicelib.models.sessions import WaSessionModel

PAUSING_STATES = {
    "banned": "The number {label} was banned by WhatsApp.",
    "logged_out": "The number {label} was logged out.",
    "agent_offline": "The machine running {label} went offline.",
}


def resume_for_session(session: WaSessionModel) -> int:
    """A number is back after its machine went offline: campaigns paused only for that go on."""
    resumed = 0
    for campaign in CampaignModel.query(
        session.user_id,
        filter_condition=(CampaignModel.status == service.PAUSED)
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
        if service._transition(campaign, {service.PAUSED}, service.RUNNING, pause_reason=None):
            service.wake(session.user_id, list(campaign.session_ids))
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
        if service.auto_pause(
            campaign,
            f"session_{state}",
            detail + " Resume the campaign once the number is connected again.",
        ):
            paused += 1
    return paused
