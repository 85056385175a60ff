"""The send pipeline's cloud half: leases, results, acks, replies, sweeps.

Every message update is conditional on its current status, so a frame applied
twice (re-sent after a reconnect, or redelivered) changes nothing the second
time. Counters move with one ADD per campaign per frame, not per message.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pynamodb.exceptions import UpdateError

from chalicelib import notifications
from chalicelib.campaigns import launch, media, quota, service, templates, trial
from chalicelib.campaigns.counters import bump
from chalicelib.config import settings
from chalicelib.logs import logger
from chalicelib.models.agents import AgentModel
from chalicelib.models.base import expiry, now_ms, now_s, plain
from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel, MessageLogModel
from chalicelib.models.sessions import WaSessionModel
from chalicelib.sessions import licensing
from chalicelib.sessions import service as sessions
from wacast_protocol import (
    Acks,
    Batch,
    BatchMessage,
    CancelLeases,
    Inbound,
    Pacing,
    ResultItem,
    Results,
)

RECENT_WINDOW = 20
BACKOFF_START_S = 900
BACKOFF_MAX_S = 4 * 3600
WARMUP_FIRST_DAY = 20
LOG_KEEP_DAYS = 400
DEFAULT_STOP_WORDS = ("STOP", "UNSUBSCRIBE", "PARAR", "CANCELAR")
DEFAULT_PACING = {"min_gap_s": 20, "max_gap_s": 60, "daily_cap": 200, "warmup": True}


def lease_slack_ms() -> int:
    return settings().lease_slack_s * 1000


def stop_words() -> set[str]:
    return {*DEFAULT_STOP_WORDS, *settings().stop_keywords}


def pacing_of(campaign: CampaignModel) -> dict:
    return {**DEFAULT_PACING, **plain(campaign.pacing)}


def _in_quiet_hours(pacing: dict, timezone: str, now: datetime | None = None) -> bool:
    start, end = pacing.get("quiet_start"), pacing.get("quiet_end")
    if not start or not end:
        return False
    local = (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone))
    current = local.strftime("%H:%M")
    if start <= end:
        return bool(start <= current < end)
    return bool(current >= start or current < end)  # spans midnight


def _today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def daily_room(session: WaSessionModel, pacing: dict) -> int:
    cap = int(pacing.get("daily_cap") or 0) or 1_000_000
    if pacing.get("warmup", True) and session.first_connected_at:
        age_days = max(0, (now_ms() - int(session.first_connected_at)) // 86_400_000)
        cap = min(cap, WARMUP_FIRST_DAY * 2 ** min(age_days, 20))
    used = int(session.sent_today or 0) if session.sent_day == _today() else 0
    return max(0, cap - used)


def _running_campaigns_of(session: WaSessionModel) -> list[CampaignModel]:
    found = [
        c
        for c in CampaignModel.query(
            session.user_id, filter_condition=CampaignModel.status == service.RUNNING
        )
        if session.session_id in (c.session_ids or []) and (c.materialise_chunks or 0) > 0
    ]
    return sorted(found, key=lambda c: int(c.launched_at or 0))


def _to(phone: str) -> str:
    return f"{phone.lstrip('+')}@c.us"


def lease(agent: AgentModel, session_id: str, wanted: int) -> Batch:
    """Answer a pull: lease up to ``wanted`` due messages of one running campaign."""
    session = sessions.session_of_agent(agent, session_id)
    idle = Batch(
        session_id=session_id, messages=[], pacing=Pacing(min_gap_s=20, max_gap_s=60, daily_cap=0)
    )
    now = now_ms()
    if session.status != "connected" or (session.backoff_until or 0) > now:
        return idle
    test_batch = _lease_test(session, now)
    if test_batch is not None:
        return test_batch
    campaigns = _running_campaigns_of(session)
    if not campaigns:
        return idle
    allowed, why = quota.sending_allowed(session.user_id)
    if not allowed:
        for campaign in campaigns:
            service.auto_pause(
                campaign,
                why or "sending_on_hold",
                f"Sending is on hold: {why}. It resumes when you resume the "
                "campaign after the account is back in good standing.",
            )
        return idle
    in_flight: int | None = None
    for campaign in campaigns:
        pacing = pacing_of(campaign)
        if _in_quiet_hours(pacing, campaign.timezone or "UTC"):
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
                ),
            )
    return idle


def _leased_count(session_id: str) -> int:
    return sum(1 for _ in CampaignMessageModel.leases.query(session_id))


def _lease_one(message: CampaignMessageModel, session_id: str, lease_until: int, now: int) -> bool:
    try:
        message.update(
            actions=[
                CampaignMessageModel.status.set("leased"),
                CampaignMessageModel.outbox_session.remove(),
                CampaignMessageModel.lease_session.set(session_id),
                CampaignMessageModel.lease_until.set(lease_until),
                CampaignMessageModel.leased_at.set(now),
                CampaignMessageModel.attempts.add(1),
            ],
            condition=(CampaignMessageModel.status == "pending")
            & CampaignMessageModel.outbox_session.exists(),
        )
        return True
    except UpdateError:
        return False  # leased by a concurrent pull


def _lease_test(session: WaSessionModel, now: int) -> Batch | None:
    """Tests go first, but one per pull and paced like their campaign (gap, daily cap),
    never while billing holds sending, and never to someone who opted out meanwhile."""
    import chalicelib.contacts.service as contacts

    for message in CampaignMessageModel.outbox.query(
        session.session_id, CampaignMessageModel.outbox_order.startswith("0#"), limit=5
    ):
        if contacts.is_opted_out(session.user_id, message.phone):
            skip = [
                CampaignMessageModel.status.set("skipped"),
                CampaignMessageModel.reason.set("opted_out"),
                CampaignMessageModel.outbox_session.remove(),
            ]
            if _move_message(
                message.campaign_id, message.phone, session.session_id, "pending", skip
            ):
                quota.safely("release", session.user_id, 1)
            continue
        try:
            origin = CampaignModel.get(session.user_id, message.campaign_id[len(trial.PREFIX) :])
        except CampaignModel.DoesNotExist:
            origin = None
        pacing = pacing_of(origin) if origin is not None else dict(DEFAULT_PACING)
        if daily_room(session, pacing) <= 0 or not quota.sending_allowed(session.user_id)[0]:
            return None
        lease_until = now + lease_slack_ms()
        if not _lease_one(message, session.session_id, lease_until, now):
            continue
        media_url = (
            media.download_url(origin.media_key)
            if origin is not None and origin.media_key
            else None
        )
        return Batch(
            session_id=session.session_id,
            messages=[
                BatchMessage(
                    campaign_id=message.campaign_id,
                    phone=message.phone,
                    to=_to(message.phone),
                    text=message.text or "",
                    media_url=media_url,
                    media_filename="image.jpg" if media_url else None,
                    lease_until=lease_until,
                )
            ],
            pacing=Pacing(
                min_gap_s=float(pacing["min_gap_s"]),
                max_gap_s=float(pacing["max_gap_s"]),
                daily_cap=int(pacing.get("daily_cap") or 0),
            ),
        )
    return None


def _lease_from(
    campaign: CampaignModel, session: WaSessionModel, room: int, pacing: dict, now: int
) -> list[BatchMessage]:
    upper = launch.committed_upper_bound(campaign.campaign_id, int(campaign.materialise_chunks))
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
            campaign.template,
            plain(message.values),
            seed=f"{campaign.campaign_id}:{message.phone}",
        )
        if rendered.truncated:
            # Never a silent cut: launch checked every recipient, but details can change.
            too_long += _fail_too_long(message, session.session_id, now)
            continue
        lease_until = now + (len(leased) + 1) * gap_ms + lease_slack_ms()
        if not _lease_one(message, session.session_id, lease_until, now):
            continue
        leased.append(
            BatchMessage(
                campaign_id=campaign.campaign_id,
                phone=message.phone,
                to=_to(message.phone),
                text=rendered.text,
                media_url=media_url,
                media_filename="image.jpg" if media_url else None,
                lease_until=lease_until,
            )
        )
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
    moved = _move_message(
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


# --- results --------------------------------------------------------------------------


def _move_message(
    campaign_id: str,
    phone: str,
    session_id: str,
    old: str,
    actions: list,
    extra_condition: object = None,
) -> bool:
    condition = (CampaignMessageModel.status == old) & (
        CampaignMessageModel.session_id == session_id
    )
    if extra_condition is not None:
        condition = condition & extra_condition
    try:
        CampaignMessageModel(campaign_id, phone).update(actions=actions, condition=condition)
        return True
    except UpdateError:
        return False


def apply_results(agent: AgentModel, frame: Results) -> None:
    owned: dict[str, WaSessionModel] = {}
    deltas: dict[str, Counter[str]] = defaultdict(Counter)
    owners: dict[str, str] = {}
    outcomes: dict[str, list[str]] = defaultdict(list)
    sent_by_session: Counter[str] = Counter()
    rate_limited: set[str] = set()
    walled: dict[str, set[str]] = defaultdict(set)  # session -> campaigns at the licence wall
    logs: list[MessageLogModel] = []
    test_quota: Counter[tuple[str, str]] = Counter()
    for item in frame.items:
        session = owned.get(item.session_id) or sessions.session_of_agent(agent, item.session_id)
        owned[item.session_id] = session
        owners[item.campaign_id] = session.user_id
        now = now_ms()
        requeue = (
            item.outcome.value == "failed"
            and item.reason is not None
            and (item.reason.value == "rate_limited")
        )
        if item.outcome.value == "sent":
            new = "sent"
            actions = [
                CampaignMessageModel.status.set(_status_of(item, new)),
                CampaignMessageModel.sent_at.set(item.ts),
                CampaignMessageModel.lease_session.remove(),
                CampaignMessageModel.lease_until.remove(),
                CampaignMessageModel.outbox_session.remove(),
            ]
            if item.wa_message_id:
                actions.append(CampaignMessageModel.wa_message_id.set(item.wa_message_id))
            actions += _ack_in_result(item)
        elif requeue:
            new = "pending"
            actions = [
                CampaignMessageModel.status.set("pending"),
                CampaignMessageModel.lease_session.remove(),
                CampaignMessageModel.lease_until.remove(),
                CampaignMessageModel.outbox_session.set(item.session_id),
            ]
            rate_limited.add(item.session_id)
        else:
            new = item.outcome.value  # failed or unknown
            actions = [
                CampaignMessageModel.status.set(new),
                CampaignMessageModel.reason.set(
                    item.reason.value
                    if item.reason
                    else ("in_flight" if new == "unknown" else "unknown")
                ),
                CampaignMessageModel.failed_at.set(item.ts),
                CampaignMessageModel.lease_session.remove(),
                CampaignMessageModel.lease_until.remove(),
                CampaignMessageModel.outbox_session.remove(),
            ]
            if item.detail:
                actions.append(CampaignMessageModel.detail.set(item.detail))
        # Only a message leased to this session moves: a result for a pending message, or
        # one leased elsewhere, changes nothing (the agent is not trusted beyond its leases).
        # The one exception is a lease of this session that expired while it was sending:
        # its late result still counts, so the message is not sent a second time.
        applied_from = None
        actions.append(CampaignMessageModel.returned_from.remove())
        if _move_message(
            item.campaign_id,
            item.phone,
            item.session_id,
            "leased",
            actions,
            extra_condition=CampaignMessageModel.lease_session == item.session_id,
        ):
            applied_from = "leased"
        elif new != "pending" and _move_message(
            item.campaign_id,
            item.phone,
            item.session_id,
            "pending",
            actions,
            extra_condition=CampaignMessageModel.returned_from == item.session_id,
        ):
            applied_from = "pending"
        if applied_from is None:
            if item.outcome.value == "sent" and item.wa_message_id:
                _late_message_id(item.campaign_id, item.phone, item.session_id, item.wa_message_id)
            continue  # already applied (a re-sent frame) or not this session's message
        walled_item = item.reason is not None and item.reason.value == "needs_license"
        if walled_item:
            walled[item.session_id].add(item.campaign_id)
        if trial.is_test(item.campaign_id):
            # Tests move no campaign counters, but they use quota and the daily cap.
            if new in ("sent", "unknown", "failed"):
                test_quota[(session.user_id, "release" if new == "failed" else "consume")] += 1
            if new == "sent":
                sent_by_session[item.session_id] += 1
            continue
        deltas[item.campaign_id][applied_from] -= 1
        deltas[item.campaign_id][_status_of(item, new)] += 1
        if new in ("sent", "unknown", "failed"):
            deltas[item.campaign_id]["reserved"] -= 1
            deltas[item.campaign_id]["_consume" if new != "failed" else "_release"] += 1
            if not walled_item:
                # The licence wall is explained by its own notice: it is not a sign of a
                # failing number, so it stays out of the too-many-failures window.
                outcomes[item.campaign_id].append("1" if new == "failed" else "0")
        if new == "sent":
            sent_by_session[item.session_id] += 1
        logs.append(
            MessageLogModel(
                item.campaign_id,
                f"{now:013d}#{item.phone}#{new}",
                user_id=session.user_id,
                phone=item.phone,
                event=new if not requeue else "rate_limited",
                reason=item.reason.value if item.reason else None,
                session_id=item.session_id,
                wa_message_id=item.wa_message_id,
                at=item.ts,
                expires_at=expiry(now_s() + LOG_KEEP_DAYS * 86_400),
                detail=item.detail,
            )
        )
    _write_logs(logs)
    for session_id, walled_campaigns in walled.items():
        licensing.hit_wall(owned[session_id], walled_campaigns)
    for (user_id, move), count in test_quota.items():
        quota.safely(move, user_id, count)
    for campaign_id, counter in deltas.items():
        user_id = owners[campaign_id]
        consume, release = counter.pop("_consume", 0), counter.pop("_release", 0)
        if consume:
            quota.safely("consume", user_id, consume)
        if release:
            quota.safely("release", user_id, release)
        _bump_and_note(user_id, campaign_id, counter, outcomes.get(campaign_id, []))
        maybe_complete(user_id, campaign_id)
    for session_id, count in sent_by_session.items():
        _count_sent(owned[session_id], count)
    for session_id in rate_limited:
        _back_off(owned[session_id])


def _late_message_id(campaign_id: str, phone: str, session_id: str, wa_message_id: str) -> None:
    """An image reported ``sent`` before its id was known; its id arrives later, so
    acks can match it. Only a sent message of this session without an id takes it."""
    _move_message(
        campaign_id,
        phone,
        session_id,
        "sent",
        [CampaignMessageModel.wa_message_id.set(wa_message_id)],
        extra_condition=CampaignMessageModel.wa_message_id.does_not_exist(),
    )


def _status_of(item: ResultItem, new: str) -> str:
    """The status a result leaves its message in: an ack folded into it moves it on."""
    if new == "sent" and item.ack is not None and item.wa_message_id:
        return ACK_STATE[item.ack]
    return new


def _ack_in_result(item: ResultItem) -> list:
    """Writes for an ack that came with the result (timed at the send: at most a flush early)."""
    status = _status_of(item, "sent")
    if status == "sent":
        return []
    actions = [CampaignMessageModel.delivered_at.set(item.ts)]
    if status == "read":
        actions.append(CampaignMessageModel.read_at.set(item.ts))
    return actions


def _write_logs(logs: Iterable[MessageLogModel]) -> None:
    with MessageLogModel.batch_write() as batch:
        for log in logs:
            batch.save(log)


def _count_sent(session: WaSessionModel, count: int) -> None:
    today = _today()
    try:
        session.update(
            actions=[WaSessionModel.sent_today.add(count), WaSessionModel.backoff_s.remove()],
            condition=WaSessionModel.sent_day == today,
        )
    except UpdateError:
        session.update(
            actions=[
                WaSessionModel.sent_day.set(today),
                WaSessionModel.sent_today.set(count),
                WaSessionModel.backoff_s.remove(),
            ]
        )


def _back_off(session: WaSessionModel) -> None:
    now = now_ms()
    if (session.backoff_until or 0) > now:
        return  # already backing off
    seconds = min(BACKOFF_MAX_S, int(session.backoff_s or 0) * 2 or BACKOFF_START_S)
    session.update(
        actions=[
            WaSessionModel.backoff_s.set(seconds),
            WaSessionModel.backoff_until.set(now + seconds * 1000),
        ]
    )
    notifications.notify(
        session.user_id,
        "session_rate_limited",
        f"{session.label} is sending too fast",
        f"WhatsApp asked this number to slow down. wacast pauses it for {seconds // 60} "
        "minutes and keeps its messages queued. Consider a longer gap between messages.",
        session_id=session.session_id,
        link_path="/campaigns",
    )


def _bump_and_note(user_id: str, campaign_id: str, deltas: Counter[str], recent: list[str]) -> None:
    """Move the counters and remember the latest outcomes in one write; pause the
    campaign when more than half of the last 20 sends failed."""
    if not recent:
        bump(user_id, campaign_id, deltas)
        return
    adds = [getattr(CampaignModel, k).add(v) for k, v in deltas.items() if v]
    for _ in range(5):
        campaign = service.get(user_id, campaign_id, consistent=True)
        old = campaign.recent_outcomes or ""
        new = (old + "".join(recent))[-RECENT_WINDOW:]
        try:
            campaign.update(
                actions=[*adds, CampaignModel.recent_outcomes.set(new)],
                condition=CampaignModel.recent_outcomes == old,
            )
        except UpdateError:
            continue  # another frame moved them meanwhile: read again
        if len(new) >= RECENT_WINDOW and new.count("1") > RECENT_WINDOW // 2:
            service.auto_pause(
                campaign,
                "too_many_failures",
                f"More than half of the last {RECENT_WINDOW} messages failed. Check the "
                "failures on the campaign's page before resuming.",
            )
        return
    bump(user_id, campaign_id, deltas)  # counters must move even if the window could not


def maybe_complete(user_id: str, campaign_id: str) -> bool:
    campaign = service.get(user_id, campaign_id, consistent=True)
    if campaign.status != service.RUNNING or not campaign.materialised:
        return False
    if int(campaign.pending or 0) or int(campaign.leased or 0):
        return False
    if not service._transition(
        campaign, {service.RUNNING}, service.COMPLETED, completed_at=now_ms()
    ):
        return False
    leftover = int(campaign.reserved or 0)
    if leftover > 0:
        quota.safely("release", user_id, leftover)
        bump(user_id, campaign_id, {"reserved": -leftover})
    from chalicelib.campaigns import emails

    emails.notify(
        campaign,
        "campaign_completed",
        f"Campaign “{campaign.name}” completed",
        emails.funnel_words(service.get(user_id, campaign_id, consistent=True)),
    )
    return True


# --- acks and replies -------------------------------------------------------------------


ACK_STATE = {2: "delivered", 3: "read", 4: "read"}
ACK_ORDER = {"sent": 0, "delivered": 1, "read": 2}


def apply_acks(agent: AgentModel, frame: Acks) -> None:
    best: dict[tuple[str, str], tuple[int, int]] = {}
    for item in frame.items:
        key = (item.session_id, item.wa_message_id)
        if key not in best or item.ack > best[key][0]:
            best[key] = (item.ack, item.ts)
    checked: set[str] = set()
    deltas: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for (session_id, wa_message_id), (ack, ts) in best.items():
        if session_id not in checked:
            sessions.session_of_agent(agent, session_id)
            checked.add(session_id)
        if ack == -1:
            target = "failed"
        elif ack in ACK_STATE:
            target = ACK_STATE[ack]
        else:
            continue  # 0 pending, 1 server: nothing beyond "sent"
        for hit in CampaignMessageModel.by_wa_message.query(wa_message_id, limit=1):
            message = CampaignMessageModel.get(hit.campaign_id, hit.phone)
            if message.session_id != session_id:
                break
            previous = message.status
            if target == "failed":
                allowed = previous == "sent"
            else:
                allowed = previous in ACK_ORDER and ACK_ORDER[previous] < ACK_ORDER[target]
            if not allowed:
                break
            actions = [CampaignMessageModel.status.set(target)]
            if target == "delivered":
                actions.append(CampaignMessageModel.delivered_at.set(ts))
            elif target == "read":
                actions.append(CampaignMessageModel.read_at.set(ts))
                if not message.delivered_at:
                    actions.append(CampaignMessageModel.delivered_at.set(ts))
            else:
                actions += [
                    CampaignMessageModel.reason.set("rejected"),
                    CampaignMessageModel.failed_at.set(ts),
                ]
            moved = _move_message(message.campaign_id, message.phone, session_id, previous, actions)
            if moved and not trial.is_test(message.campaign_id):
                counter = deltas[(message.user_id, message.campaign_id)]
                counter[previous] -= 1
                counter[target] += 1
    for (user_id, campaign_id), counter in deltas.items():
        bump(user_id, campaign_id, counter)


def apply_inbound(agent: AgentModel, frame: Inbound) -> None:
    from chalicelib.contacts import replies

    session = sessions.session_of_agent(agent, frame.session_id)
    user_id = session.user_id
    campaigns = sorted(
        (
            c
            for c in CampaignModel.query(user_id)
            if frame.session_id in (c.session_ids or []) and c.status != service.DRAFT
        ),
        key=lambda c: int(c.launched_at or 0),
        reverse=True,
    )
    from chalicelib.conversations import inbox

    # The reply counts for the campaign the contact last received from this number (7 days).
    attributed = inbox.attribute(frame.session_id, frame.from_phone, campaigns)
    for campaign in [attributed] if attributed else []:
        try:
            CampaignMessageModel(campaign.campaign_id, frame.from_phone).update(
                actions=[CampaignMessageModel.replied_at.set(frame.ts)],
                condition=CampaignMessageModel.replied_at.does_not_exist()
                & CampaignMessageModel.phone.exists(),
            )
            bump(user_id, campaign.campaign_id, {"replies": 1})
            break
        except UpdateError:
            continue  # not a recipient of this campaign, or already counted
    # Opt-out words in the account's languages; a maybe-opt-out is kept for review.
    verdict = replies.handle_reply(
        user_id, frame.from_phone, frame.body, frame.ts, frame.wa_message_id
    )
    if verdict.kind == "opt_out":
        stop_pending_for(user_id, frame.from_phone, campaigns)
        logger.info("opted out by reply", extra={"user_id": user_id})
    inbox.record_inbound(session, frame, attributed)


def stop_pending_for(user_id: str, phone: str, campaigns: list[CampaignModel]) -> None:
    """An opted-out person gets nothing more: pending messages skip, leases are cancelled."""
    from chalicelib import push

    for campaign in campaigns:
        try:
            message = CampaignMessageModel.get(campaign.campaign_id, phone)
        except CampaignMessageModel.DoesNotExist:
            continue
        skip = [
            CampaignMessageModel.status.set("skipped"),
            CampaignMessageModel.reason.set("opted_out"),
            CampaignMessageModel.outbox_session.remove(),
            CampaignMessageModel.lease_session.remove(),
            CampaignMessageModel.lease_until.remove(),
        ]
        for old in ("pending", "leased"):
            if _move_message(campaign.campaign_id, phone, message.session_id, old, skip):
                bump(user_id, campaign.campaign_id, {old: -1, "skipped": 1, "reserved": -1})
                quota.safely("release", user_id, 1)
                if old == "leased":
                    agent = service._agent_of(user_id, message.session_id)
                    if agent is not None:
                        push.send_frame(
                            agent.connection_id,
                            CancelLeases(
                                session_id=message.session_id,
                                campaign_id=campaign.campaign_id,
                                phones=[phone],
                            ),
                        )
                maybe_complete(user_id, campaign.campaign_id)
                break


# --- background -------------------------------------------------------------------------


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
        if _move_message(campaign_id, message.phone, message.session_id, "pending", actions):
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
                    launch.outbox_order(campaign.campaign_id, 0, random.randrange(10**6))
                )
            )
        if _move_message(
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
                if _move_message(
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
                    bump(session.user_id, hit.campaign_id, {"leased": -1, "pending": 1})
                    returned += 1
                    woken.setdefault(session.user_id, []).append(session.session_id)
    for user_id, session_ids in woken.items():
        service.wake(user_id, sorted(set(session_ids)))  # so they go out now, not at next pull
    return returned


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
    for campaign in _running_campaigns_of(session):
        detail = PAUSING_STATES[state].format(label=session.label)
        if service.auto_pause(
            campaign,
            f"session_{state}",
            detail + " Resume the campaign once the number is connected again.",
        ):
            paused += 1
    return paused
