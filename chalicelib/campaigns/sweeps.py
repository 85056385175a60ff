"""Background moves of many messages: settle a campaign's pending ones, requeue
failures, return expired leases."""

from __future__ import annotations

import random
from collections import Counter

from chalicelib.campaigns import lifecycle, quota, trial
from chalicelib.campaigns.counters import bump
from chalicelib.campaigns.messages import move_message, outbox_order
from chalicelib.models.agents import AgentModel
from chalicelib.models.base import now_ms
from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel
from chalicelib.sessions import service as sessions


def settle_pending(user_id: str, campaign_id: str, status: str, reason: str | None) -> int:
    moved = 0
    for message in CampaignMessageModel.query(
        campaign_id, filter_condition=CampaignMessageModel.status == "pending"
    ):
        actions = [
            CampaignMessageModel.status.set(status),
            CampaignMessageModel.outbox_session.remove(),
        ]
        if reason:
            actions.append(CampaignMessageModel.reason.set(reason))
        if move_message(campaign_id, message.phone, message.session_id, "pending", actions):
            moved += 1
    if moved:
        bump(user_id, campaign_id, {"pending": -moved, status: moved, "reserved": -moved})
        quota.safely("release", user_id, moved)
    return moved


def requeue(campaign: CampaignModel, messages: list[CampaignMessageModel]) -> int:
    """Failed (or quota-skipped) messages back to pending."""
    moved = 0
    deltas: Counter[str] = Counter()
    for message in messages:
        actions = [
            CampaignMessageModel.status.set("pending"),
            CampaignMessageModel.reason.remove(),
            CampaignMessageModel.detail.remove(),
            CampaignMessageModel.outbox_session.set(message.session_id),
        ]
        if not message.outbox_order:
            actions.append(
                CampaignMessageModel.outbox_order.set(
                    outbox_order(campaign.campaign_id, 0, random.randrange(10**6))
                )
            )
        if move_message(
            campaign.campaign_id, message.phone, message.session_id, message.status, actions
        ):
            moved += 1
            deltas[message.status] -= 1
            deltas["pending"] += 1
    if moved:
        bump(campaign.user_id, campaign.campaign_id, deltas)
    return moved


def sweep_leases() -> int:
    """Expired leases of live agents return to pending (their agent never started them)."""
    now = now_ms()
    returned = 0
    woken: dict[str, list[str]] = {}
    for agent in AgentModel.scan():
        if not sessions.agent_online(agent, now):
            continue  # a dead agent may have sent them: wait for its journal to report
        for session in sessions.sessions_of_agent(agent.agent_id):
            for hit in CampaignMessageModel.leases.query(
                session.session_id, CampaignMessageModel.lease_until < now
            ):
                if move_message(
                    hit.campaign_id,
                    hit.phone,
                    session.session_id,
                    "leased",
                    [
                        CampaignMessageModel.status.set("pending"),
                        CampaignMessageModel.lease_session.remove(),
                        CampaignMessageModel.lease_until.remove(),
                        CampaignMessageModel.outbox_session.set(session.session_id),
                        CampaignMessageModel.returned_from.set(session.session_id),
                    ],
                    extra_condition=CampaignMessageModel.lease_until < now,
                ):
                    if not trial.is_test(hit.campaign_id):  # tests/answers have no counters
                        bump(session.user_id, hit.campaign_id, {"leased": -1, "pending": 1})
                    returned += 1
                    woken.setdefault(session.user_id, []).append(session.session_id)
    for user_id, session_ids in woken.items():
        lifecycle.wake(user_id, sorted(set(session_ids)))  # so they go out now, not at next pull
    return returned
