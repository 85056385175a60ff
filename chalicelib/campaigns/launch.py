"""Launch: wait for send_at, then materialise one message per recipient in chunks.

One SQS message per chunk of contacts, never per recipient. A chunk's messages
only become leasable once the chunk is committed (the campaign's
``materialise_chunks`` moves past it in one conditional update), so a redelivered
chunk rewrites messages nobody has touched yet, and a committed chunk is never
written twice.
"""

from __future__ import annotations

import json
import time
from collections import Counter

from pynamodb.exceptions import UpdateError

from chalicelib import jobs, queues
from chalicelib.campaigns import followups, lifecycle, quota, templates, variants
from chalicelib.campaigns.counters import bump
from chalicelib.campaigns.messages import outbox_order
from chalicelib.errors import DomainError
from chalicelib.logs import logger
from chalicelib.models.base import now_ms, plain
from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel

CHUNK_CONTACTS = 500
FIRST_CHUNK_CONTACTS = 50  # small, so the first messages go out within a second or two
# Chunks after the first are sized by time: this chunk's pace aimed at CHUNK_SECONDS
# (25-500 contacts, carried in the job), so no invocation nears 5 s on a slow table
# (a 500-contact chunk took 9 s on the loaded local stack; issue 15).
CHUNK_SECONDS = 1.5
MAX_DELAY_S = 900  # SQS's longest delay; longer waits are chained


def enqueue(
    user_id: str, campaign_id: str, send_at: int, chunk: int = 0, size: int | None = None
) -> None:
    delay = max(0, min(MAX_DELAY_S, (send_at - now_ms()) // 1000))
    job = jobs.LaunchChunk(user_id=user_id, campaign_id=campaign_id, chunk=chunk, size=size)
    queues.send(queues.LAUNCH, job, delay_seconds=int(delay))


def next_chunk_size(written: int, took_s: float) -> int:
    """Contacts for the next chunk: this chunk's pace, aimed at CHUNK_SECONDS."""
    if took_s <= 0:
        return CHUNK_CONTACTS
    return min(CHUNK_CONTACTS, max(25, int(written * CHUNK_SECONDS / took_s)))


def enqueue_resume(user_id: str, campaign_id: str, at: int) -> None:
    delay = max(0, min(MAX_DELAY_S, (at - now_ms()) // 1000))
    queues.send(
        queues.LAUNCH,
        jobs.ResumeAt(user_id=user_id, campaign_id=campaign_id, at=at),
        delay_seconds=int(delay),
    )


def resume_when_due(job: jobs.ResumeAt) -> None:
    """A paused campaign given a new start time resumes then (if still paused for it)."""
    user_id, campaign_id, at = job.user_id, job.campaign_id, job.at
    try:
        campaign = lifecycle.get(user_id, campaign_id, consistent=True)
    except lifecycle.NotFound:
        return
    if campaign.status != lifecycle.PAUSED or int(campaign.send_at or 0) != at:
        return  # resumed, cancelled or given another time meanwhile
    if at - now_ms() > 1000:
        enqueue_resume(user_id, campaign_id, at)  # longer than SQS's delay: chain
        return
    try:
        lifecycle.resume(user_id, campaign_id)
    except DomainError as error:
        from chalicelib.campaigns import emails

        emails.notify(
            campaign,
            "campaign_paused",
            f"Campaign “{campaign.name}” could not resume",
            f"It was set to resume now, but: {error.message} Resume it once that is fixed.",
        )


def handle(job: jobs.LaunchChunk | jobs.ResumeAt) -> None:
    """A launch or resume job of the launch queue (``workers.launch_batch``; the
    preparing walk's pages go to ``prepare.handle``)."""
    if isinstance(job, jobs.ResumeAt):
        resume_when_due(job)
        return
    user_id, campaign_id, chunk = job.user_id, job.campaign_id, job.chunk
    try:
        campaign = lifecycle.get(user_id, campaign_id, consistent=True)
    except lifecycle.NotFound:
        return
    if campaign.status == lifecycle.SCHEDULED:
        send_at = int(campaign.send_at or 0)
        if send_at - now_ms() > 1000:
            enqueue(user_id, campaign_id, send_at)  # not yet due: chain another delay
            return
        if lifecycle.transition(
            campaign, {lifecycle.SCHEDULED}, lifecycle.RUNNING, launched_at=now_ms()
        ):
            from chalicelib.campaigns import emails

            emails.notify(
                campaign,
                "campaign_started",
                f"Campaign “{campaign.name}” started",
                _started_words(campaign),
            )
        campaign = lifecycle.get(user_id, campaign_id, consistent=True)
    if campaign.status not in (lifecycle.RUNNING, lifecycle.PAUSED) or campaign.materialised:
        return
    committed = int(campaign.materialise_chunks or 0)
    if chunk < committed:
        # A redelivery of a committed chunk: make sure the next one is on its way.
        if chunk == committed - 1:
            enqueue(user_id, campaign_id, 0, committed)
        return
    if chunk > committed:
        return  # out of order duplicate; the right job will come
    materialise_chunk(campaign, chunk, job.size)


def _started_words(campaign: CampaignModel) -> str:
    """What the user needs in the started email: how many, and when it should be done."""
    from chalicelib.campaigns import planning

    words = "Sending has begun. Follow each recipient on the campaign's page."
    try:
        predicted = planning.campaign_forecast(campaign)
    except Exception:  # a forecast must never stop a launch
        logger.exception("forecast for the started notice failed")
        return words
    if predicted is None or not predicted.recipients or not predicted.finish_at:
        return words
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    finish = datetime.fromtimestamp(predicted.finish_at / 1000, tz=UTC).astimezone(
        ZoneInfo(campaign.timezone or "UTC")
    )
    return (
        f"Sending to {predicted.recipients:,} recipients has begun. At this pace it should "
        f"finish around {finish:%a %d %b, %H:%M} ({campaign.timezone or 'UTC'}). "
        "Follow each recipient on the campaign's page."
    )


def materialise_chunk(campaign: CampaignModel, chunk: int, size: int | None = None) -> None:
    import chalicelib.contacts.service as contacts
    from chalicelib.models.contacts import ContactModel

    started = time.monotonic()
    start = json.loads(campaign.materialise_cursor) if campaign.materialise_cursor else None
    if chunk == 0:
        size = FIRST_CHUNK_CONTACTS
    else:
        size = max(1, min(CHUNK_CONTACTS, int(size or CHUNK_CONTACTS)))
    page = ContactModel.query(campaign.user_id, limit=size, last_evaluated_key=start)
    audience = plain(campaign.audience)
    tags = set(audience.get("tags") or [])
    everyone = bool(audience.get("all")) or not tags
    required = variants.required_variables(campaign)
    sessions = list(campaign.session_ids)
    split = variants.Split(campaign)
    position = int(campaign.total or 0)
    now = now_ms()
    deltas: Counter[str] = Counter()
    created = 0
    contacts_page = list(page)
    contacts_page, capped = followups.narrow(campaign, contacts_page)  # follow-up, frequency cap
    # The opt-out table is the truth (the contact's flag is a copy that can lag).
    opted_out = contacts.opted_out_among(campaign.user_id, [c.phone for c in contacts_page])
    # "Send to the first N": past N, recipients are kept as skipped (quota) for a retry later.
    room = int(campaign.send_limit) - int(campaign.queued or 0) if campaign.send_limit else None
    with CampaignMessageModel.batch_write() as batch:
        for index, contact in enumerate(contacts_page):
            if not everyone and not (set(contact.tags or ()) & tags):
                continue
            values = templates.contact_values_of(contact)
            status, reason = "pending", None
            if contact.opted_out or contact.phone in opted_out:
                status, reason = "skipped", "opted_out"
            elif contact.phone in capped:
                status, reason = "skipped", "frequency_cap"
                deltas["frequency_capped"] += 1
            elif campaign.on_missing_variable == "skip" and any(
                not (values.get(name) or "").strip() for name in required
            ):
                status, reason = "skipped", "missing_variable"
            elif room is not None:
                if room <= 0:
                    status, reason = "skipped", "quota"
                else:
                    room -= 1
                    deltas["queued"] += 1
            session_id = sessions[position % len(sessions)]
            position += 1
            message = CampaignMessageModel(
                campaign.campaign_id,
                contact.phone,
                user_id=campaign.user_id,
                session_id=session_id,
                status=status,
                reason=reason,
                name=contact.name or contacts.search_text(contact)[:100] or None,
                values={k: v for k, v in values.items() if v},
                queued_at=now,
            )
            if status == "pending":
                message.outbox_session = session_id
                message.outbox_order = outbox_order(campaign.campaign_id, chunk, index)
            split.place(message)  # its variant (or parked until the winner is known)
            batch.save(message)
            deltas["total"] += 1
            deltas[status] += 1
            created += 1
    next_cursor = page.last_evaluated_key
    done = next_cursor is None
    actions = [
        CampaignModel.materialise_chunks.set(chunk + 1),
        CampaignModel.materialised.set(done),
    ] + [getattr(CampaignModel, name).add(amount) for name, amount in deltas.items() if amount]
    actions += split.actions()
    actions.append(
        CampaignModel.materialise_cursor.set(json.dumps(next_cursor))
        if next_cursor
        else CampaignModel.materialise_cursor.remove()
    )
    try:
        campaign.update(actions=actions, condition=CampaignModel.materialise_chunks == chunk)
    except UpdateError:
        return  # another delivery committed this chunk first
    logger.info(
        "chunk materialised",
        extra={
            "campaign_id": campaign.campaign_id,
            "chunk": chunk,
            "messages": created,
            "done": done,
        },
    )
    if chunk == 0 or deltas["pending"]:
        lifecycle.wake(campaign.user_id, sessions)
    if done:
        settle_reservation(campaign.user_id, campaign.campaign_id)
        from chalicelib.campaigns.outcomes import maybe_complete

        maybe_complete(campaign.user_id, campaign.campaign_id)
    else:
        size = next_chunk_size(len(contacts_page), time.monotonic() - started)
        enqueue(campaign.user_id, campaign.campaign_id, 0, chunk + 1, size)


def settle_reservation(user_id: str, campaign_id: str) -> None:
    """Once every recipient exists, hold exactly as much quota as there is to send."""
    campaign = lifecycle.get(user_id, campaign_id, consistent=True)
    # `reserved` drops by one as each message settles, so what it should hold now is
    # exactly what is still to send.
    outstanding = int(campaign.pending or 0) + int(campaign.leased or 0)
    difference = int(campaign.reserved or 0) - outstanding
    if difference > 0:
        quota.safely("release", user_id, difference)
    elif difference < 0:
        try:
            quota.reserve(user_id, -difference, f"{campaign_id}:settle")
        except DomainError as error:
            lifecycle.auto_pause(campaign, "quota_exhausted", error.message)
            return
    if difference:
        bump(user_id, campaign_id, {"reserved": -difference})
