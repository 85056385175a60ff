"""Answering an agent's pull: lease due messages (tests first), paced per campaign."""

from __future__ import annotations

import chalicelib.contacts.service as contacts
from chalicelib.campaigns import (
    answers,
    lifecycle,
    media,
    quota,
    templates,
    trial,
    variants,
)
from chalicelib.campaigns.counters import bump
from chalicelib.campaigns.forecast import DEFAULT_PACE, DEFAULT_PACING
from chalicelib.campaigns.messages import (
    committed_upper_bound,
    lease_one,
    lease_slack_ms,
    move_message,
    outgoing,
)
from chalicelib.campaigns.pacing import (
    daily_room,
    in_quiet_hours,
    pacing_of,
)
from chalicelib.models.agents import AgentModel
from chalicelib.models.base import now_ms, plain
from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel
from chalicelib.models.sessions import WaSessionModel
from chalicelib.sessions import service as sessions
from wacast_protocol import Batch, BatchMessage, Pacing


def running_campaigns_of(session: WaSessionModel) -> list[CampaignModel]:
    found = [
        c
        for c in CampaignModel.query(
            session.user_id, filter_condition=CampaignModel.status == lifecycle.RUNNING
        )
        if session.session_id in (c.session_ids or []) and (c.materialise_chunks or 0) > 0
    ]
    return sorted(found, key=lambda c: int(c.launched_at or 0))


def lease(agent: AgentModel, session_id: str, wanted: int) -> Batch:
    """Answer a pull: lease up to ``wanted`` due messages of one running campaign."""
    session = sessions.session_of_agent(agent, session_id)
    idle = Batch(
        session_id=session_id,
        messages=[],
        pacing=Pacing(
            min_gap_s=DEFAULT_PACE.min_gap_s, max_gap_s=DEFAULT_PACE.max_gap_s, daily_cap=0
        ),
    )
    now = now_ms()
    if session.status == "restricted" and (session.backoff_until or 0) <= now:
        # may not start new chats, but answers go into chats that exist
        return answers.lease_restricted(session, now) or idle
    if session.status != "connected" or (session.backoff_until or 0) > now:
        return idle
    test_batch = _lease_test(session, now)
    if test_batch is not None:
        return test_batch
    campaigns = running_campaigns_of(session)
    if not campaigns:
        return idle
    allowed, why = quota.sending_allowed(session.user_id)
    if not allowed:
        for campaign in campaigns:
            lifecycle.auto_pause(
                campaign,
                why or "sending_on_hold",
                f"Sending is on hold: {why}. It resumes when you resume the "
                "campaign after the account is back in good standing.",
            )
        return idle
    in_flight: int | None = None
    for campaign in campaigns:
        pacing = pacing_of(campaign)
        if in_quiet_hours(pacing, campaign.timezone or "UTC"):
            continue
        if in_flight is None:
            in_flight = _leased_count(session_id)
        # Messages still leased may already be sent with their results on the way:
        # they count against today's room, or a quick second pull passes the cap.
        room = min(wanted, daily_room(session, pacing) - in_flight)
        if room <= 0:
            continue
        messages = _lease_from(campaign, session, room, pacing, now)
        if messages:
            return Batch(
                session_id=session_id,
                messages=messages,
                pacing=Pacing(
                    min_gap_s=float(pacing["min_gap_s"]),
                    max_gap_s=float(pacing["max_gap_s"]),
                    daily_cap=int(pacing.get("daily_cap") or 0),
                    quiet_start=pacing.get("quiet_start"),
                    quiet_end=pacing.get("quiet_end"),
                    timezone=campaign.timezone or "UTC",
                    typing=answers.shows_typing(session),
                ),
            )
    return idle


def _leased_count(session_id: str) -> int:
    return sum(1 for _ in CampaignMessageModel.leases.query(session_id))


def _lease_test(session: WaSessionModel, now: int) -> Batch | None:
    """Tests go first, but one per pull and paced like their campaign (gap, daily cap),
    never while billing holds sending, and never to someone who opted out meanwhile."""
    for message in CampaignMessageModel.outbox.query(
        session.session_id, CampaignMessageModel.outbox_order.startswith("0#"), limit=5
    ):
        if contacts.is_opted_out(session.user_id, message.phone):
            skip = [
                CampaignMessageModel.status.set("skipped"),
                CampaignMessageModel.reason.set("opted_out"),
                CampaignMessageModel.outbox_session.remove(),
            ]
            if move_message(
                message.campaign_id, message.phone, session.session_id, "pending", skip
            ):
                quota.safely("release", session.user_id, 1)
            continue
        if answers.is_reply(message.campaign_id):  # an inbox answer: no campaign cap or gap
            answer = answers.lease_answer(session, message, now)
            if answer is not None:
                return answer
            continue
        try:
            origin = CampaignModel.get(session.user_id, message.campaign_id[len(trial.PREFIX) :])
        except CampaignModel.DoesNotExist:
            origin = None
        pacing = pacing_of(origin) if origin is not None else dict(DEFAULT_PACING)
        if daily_room(session, pacing) <= 0 or not quota.sending_allowed(session.user_id)[0]:
            return None
        lease_until = now + lease_slack_ms()
        if not lease_one(message, session.session_id, lease_until, now):
            continue
        media_url = (
            media.download_url(origin.media_key)
            if origin is not None and origin.media_key
            else None
        )
        return Batch(
            session_id=session.session_id,
            messages=[outgoing(message, message.text or "", media_url, lease_until)],
            pacing=Pacing(
                min_gap_s=float(pacing["min_gap_s"]),
                max_gap_s=float(pacing["max_gap_s"]),
                daily_cap=int(pacing.get("daily_cap") or 0),
                typing=answers.shows_typing(session),
            ),
        )
    return None


def _lease_from(
    campaign: CampaignModel, session: WaSessionModel, room: int, pacing: dict, now: int
) -> list[BatchMessage]:
    upper = committed_upper_bound(campaign.campaign_id, int(campaign.materialise_chunks))
    candidates = CampaignMessageModel.outbox.query(
        session.session_id,
        CampaignMessageModel.outbox_order.between(f"1#{campaign.campaign_id}#", upper),
        limit=room,
    )
    media_url = media.download_url(campaign.media_key) if campaign.media_key else None
    gap_ms = int(float(pacing["max_gap_s"]) * 1000)
    leased: list[BatchMessage] = []
    too_long = 0
    for message in candidates:
        rendered = templates.render(
            variants.template_for(campaign, message.variant),
            plain(message.values),
            seed=f"{campaign.campaign_id}:{message.phone}",
        )
        if rendered.truncated:
            # Never a silent cut: launch checked every recipient, but details can change.
            too_long += _fail_too_long(message, session.session_id, now)
            continue
        lease_until = now + (len(leased) + 1) * gap_ms + lease_slack_ms()
        if not lease_one(message, session.session_id, lease_until, now):
            continue
        leased.append(outgoing(message, rendered.text, media_url, lease_until))
    if leased:
        bump(
            campaign.user_id, campaign.campaign_id, {"pending": -len(leased), "leased": len(leased)}
        )
    if too_long:
        bump(
            campaign.user_id,
            campaign.campaign_id,
            {"pending": -too_long, "failed": too_long, "reserved": -too_long},
        )
        quota.safely("release", campaign.user_id, too_long)
    return leased


def _fail_too_long(message: CampaignMessageModel, session_id: str, now: int) -> int:
    moved = move_message(
        message.campaign_id,
        message.phone,
        session_id,
        "pending",
        [
            CampaignMessageModel.status.set("failed"),
            CampaignMessageModel.reason.set("too_long"),
            CampaignMessageModel.failed_at.set(now),
            CampaignMessageModel.outbox_session.remove(),
        ],
        extra_condition=CampaignMessageModel.outbox_session.exists(),
    )
    return int(moved)
