"""Answers from the inbox in the outbox: how the lease hands them out.

An answer (``conversations.outbound``) is a message of the pseudo-campaign
``reply-<id>`` at the front of its number's outbox (``0#…``), beside test sends. The
lease owns the outbox, so the rules for leasing one live here: no daily cap and no
campaign gap (the person is waiting), only billing can hold it, and a number under
WhatsApp's reachout timelock may still send it (it goes into a chat that exists).
Its status as the inbox thread shows it is read from the same pipeline message.
"""

from __future__ import annotations

import chalicelib.contacts.service as contacts
from chalicelib.campaigns import media, quota
from chalicelib.campaigns.messages import lease_one, lease_slack_ms, outgoing
from chalicelib.models.campaigns import CampaignMessageModel
from chalicelib.models.sessions import WaSessionModel
from wacast_protocol import REPLY_PREFIX, Batch, Pacing

PREFIX = REPLY_PREFIX
# After an answer the agent waits this long before its next message (campaign pacing is
# the campaign's business; this only keeps two answers from leaving in the same second).
GAP_S = (2.0, 5.0)
QUEUED = ("pending", "leased")


def is_reply(campaign_id: str) -> bool:
    return campaign_id.startswith(PREFIX)


def media_url(message: CampaignMessageModel) -> str | None:
    return media.download_url(message.media_key) if message.media_key else None


def shows_typing(session: WaSessionModel) -> bool | None:
    """For the batch: True tells the agent to show "typing…" before each send."""
    return True if session.show_typing else None


def lease_restricted(session: WaSessionModel, now: int) -> Batch | None:
    """A restricted number (WhatsApp's reachout timelock) sends only answers: they go
    into chats that exist. Tests and campaign messages wait for it to be connected."""
    for message in CampaignMessageModel.outbox.query(
        session.session_id, CampaignMessageModel.outbox_order.startswith("0#"), limit=20
    ):
        if not is_reply(message.campaign_id) or contacts.is_opted_out(
            session.user_id, message.phone
        ):
            continue  # the next pull on a connected number handles those
        batch = lease_answer(session, message, now)
        if batch is not None:
            return batch
    return None


def lease_answer(session: WaSessionModel, message: CampaignMessageModel, now: int) -> Batch | None:
    """The batch of one answer at the front of the outbox. No daily cap and no campaign
    gap: only billing can hold it."""
    if not quota.sending_allowed(session.user_id)[0]:
        return None
    lease_until = now + lease_slack_ms()
    if not lease_one(message, session.session_id, lease_until, now):
        return None  # leased by a concurrent pull
    return Batch(
        session_id=session.session_id,
        messages=[outgoing(message, message.text or "", media_url(message), lease_until)],
        pacing=Pacing(
            min_gap_s=GAP_S[0], max_gap_s=GAP_S[1], daily_cap=0, typing=shows_typing(session)
        ),
    )


def statuses(phone: str, reply_ids: list[str]) -> dict[str, CampaignMessageModel]:
    """The pipeline messages of a thread's answers, by reply id (one batched read)."""
    if not reply_ids:
        return {}
    return {
        m.campaign_id: m
        for m in CampaignMessageModel.batch_get([(rid, phone) for rid in set(reply_ids)])
    }


def status_of(message: CampaignMessageModel | None) -> tuple[str, str | None]:
    """(status, reason) as the thread shows it: queued, sent, delivered, read, failed."""
    if message is None:
        return "queued", None
    if message.status in QUEUED:
        return "queued", None
    if message.status in ("sent", "delivered", "read"):
        return str(message.status), None
    if message.status == "skipped":
        return "failed", message.reason or "opted_out"
    if message.status == "unknown":
        return "failed", "in_flight"
    return "failed", message.reason or "unknown"
