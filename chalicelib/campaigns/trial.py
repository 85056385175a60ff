"""Test sends: one message to one contact through one number, ahead of any campaign.

A test rides the same pipeline as campaign messages (outbox → lease → agent →
results) under the pseudo-campaign id ``test-<campaign_id>``, at the front of
the number's outbox, and touches no counters or quota.
"""

from __future__ import annotations

import secrets
from typing import Any

from chalicelib.campaigns import service, templates
from chalicelib.errors import Conflict
from chalicelib.models.base import now_ms
from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel
from chalicelib.models.sessions import WaSessionModel

PREFIX = "test-"


def is_test(campaign_id: str) -> bool:
    return campaign_id.startswith(PREFIX)


def queue(campaign: CampaignModel, session_id: str, contact: Any) -> CampaignMessageModel:
    try:
        session = WaSessionModel.get(campaign.user_id, session_id)
    except WaSessionModel.DoesNotExist:
        raise Conflict("No such sending number.", code="sessions_not_ready") from None
    if session.status != "connected":
        raise Conflict(
            f"The number is {session.status.replace('_', ' ')}, not connected.",
            code="sessions_not_ready",
        )
    values = service.contact_values_of(contact)
    rendered = templates.render(
        campaign.template, values, seed=f"{campaign.campaign_id}:{contact.phone}"
    )
    message = CampaignMessageModel(
        f"{PREFIX}{campaign.campaign_id}",
        contact.phone,
        user_id=campaign.user_id,
        session_id=session_id,
        status="pending",
        name=contact.name,
        text=rendered.text,
        queued_at=now_ms(),
        outbox_session=session_id,
        outbox_order=f"0#{now_ms():013d}#{secrets.token_hex(3)}",
    )
    message.save()  # a new test to the same person replaces the previous one
    service.wake(campaign.user_id, [session_id])
    return message
