"""What the agent reports back: send results, acks, and inbound replies.

A result only moves a message leased to the reporting session (see ``apply_results``),
and every write is conditional (``messages.move_message``), so re-sent frames are no-ops.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from pynamodb.exceptions import UpdateError

from chalicelib import notifications, push
from chalicelib.campaigns import answers, emails, lifecycle, quota, session_events, trial, variants
from chalicelib.campaigns.counters import bump, counter_actions
from chalicelib.campaigns.messages import move_message, moved_message
from chalicelib.campaigns.pacing import today
from chalicelib.contacts import replies
from chalicelib.logs import logger
from chalicelib.models.agents import AgentModel
from chalicelib.models.base import expiry, now_ms, now_s
from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel, MessageLogModel
from chalicelib.models.sessions import WaSessionModel
from chalicelib.sessions import service as sessions
from wacast_protocol import Acks, CancelLeases, Inbound, ResultItem, Results

RECENT_WINDOW = 20
BACKOFF_START_S = 900
BACKOFF_MAX_S = 4 * 3600
LOG_KEEP_DAYS = 400


def apply_results(agent: AgentModel, frame: Results) -> None:
    owned: dict[str, WaSessionModel] = {}
    deltas: dict[str, Counter[str]] = defaultdict(Counter)
    owners: dict[str, str] = {}
    outcomes: dict[str, list[str]] = defaultdict(list)
    sent_by_session: Counter[str] = Counter()
    rate_limited: set[str] = set()
    # session -> {campaign at the licence wall: when its newest walled send was leased}
    walled: dict[str, dict[str, int]] = defaultdict(dict)
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
        written = moved_message(
            item.campaign_id,
            item.phone,
            item.session_id,
            "leased",
            actions,
            extra_condition=CampaignMessageModel.lease_session == item.session_id,
        )
        if written is not None:
            applied_from = "leased"
        elif new != "pending":
            written = moved_message(
                item.campaign_id,
                item.phone,
                item.session_id,
                "pending",
                actions,
                extra_condition=CampaignMessageModel.returned_from == item.session_id,
            )
            applied_from = "pending" if written is not None else None
        if applied_from is None:
            if item.outcome.value == "sent" and item.wa_message_id:
                _late_message_id(item.campaign_id, item.phone, item.session_id, item.wa_message_id)
            continue  # already applied (a re-sent frame) or not this session's message
        walled_item = item.reason is not None and item.reason.value == "needs_license"
        if walled_item:
            # When it was leased tells whether it went out before or after a key change.
            leased_at = int(written.leased_at or 0) if written is not None else 0
            seen = walled[item.session_id]
            seen[item.campaign_id] = max(seen.get(item.campaign_id, 0), leased_at)
        if trial.is_test(item.campaign_id):
            # Tests move no campaign counters, but they use quota and the daily cap.
            if new in ("sent", "unknown", "failed"):
                test_quota[(session.user_id, "release" if new == "failed" else "consume")] += 1
            if new == "sent" and not answers.is_reply(item.campaign_id):
                sent_by_session[item.session_id] += 1  # an inbox answer spends no daily cap
            continue
        deltas[item.campaign_id][applied_from] -= 1
        deltas[item.campaign_id][_status_of(item, new)] += 1
        if written is not None:  # per-variant figures ride the same counter write
            deltas[item.campaign_id].update(
                variants.result_deltas(written.variant, _status_of(item, new))
            )
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
        session_events.pause_at_licence_wall(owned[session_id], walled_campaigns)
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
    move_message(
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
    day = today()
    try:
        session.update(
            actions=[WaSessionModel.sent_today.add(count), WaSessionModel.backoff_s.remove()],
            condition=WaSessionModel.sent_day == day,
        )
    except UpdateError:
        session.update(
            actions=[
                WaSessionModel.sent_day.set(day),
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
    counts, by_variant = variants.split_deltas(deltas)
    adds = [getattr(CampaignModel, k).add(v) for k, v in counts.items() if v]
    adds += counter_actions(by_variant)
    for _ in range(5):
        campaign = lifecycle.get(user_id, campaign_id, consistent=True)
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
            lifecycle.auto_pause(
                campaign,
                "too_many_failures",
                f"More than half of the last {RECENT_WINDOW} messages failed. Check the "
                "failures on the campaign's page before resuming.",
            )
        return
    bump(user_id, campaign_id, deltas)  # counters must move even if the window could not


def maybe_complete(user_id: str, campaign_id: str) -> bool:
    campaign = lifecycle.get(user_id, campaign_id, consistent=True)
    if campaign.status != lifecycle.RUNNING or not campaign.materialised:
        return False
    if int(campaign.pending or 0) or int(campaign.leased or 0):
        return False
    if not lifecycle.transition(
        campaign, {lifecycle.RUNNING}, lifecycle.COMPLETED, completed_at=now_ms()
    ):
        return False
    leftover = int(campaign.reserved or 0)
    if leftover > 0:
        quota.safely("release", user_id, leftover)
        bump(user_id, campaign_id, {"reserved": -leftover})

    emails.notify(
        campaign,
        "campaign_completed",
        f"Campaign “{campaign.name}” completed",
        emails.funnel_words(lifecycle.get(user_id, campaign_id, consistent=True)),
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
            moved = move_message(message.campaign_id, message.phone, session_id, previous, actions)
            if moved and not trial.is_test(message.campaign_id):
                counter = deltas[(message.user_id, message.campaign_id)]
                counter[previous] -= 1
                counter[target] += 1
                counter.update(variants.ack_deltas(message.variant, previous, target))
    for (user_id, campaign_id), counter in deltas.items():
        bump(user_id, campaign_id, counter)


ATTRIBUTION_MS = 7 * 86_400_000  # a reply belongs to a campaign message of the last 7 days


def attribute(
    session_id: str, phone: str, campaigns: Iterable[CampaignModel], now: int | None = None
) -> CampaignModel | None:
    """The campaign whose message this contact most recently received from this number,
    if that was within 7 days. Only campaigns on this number that could have sent in the
    window are read: one batched read of their messages to this phone."""
    now = now or now_ms()
    since = now - ATTRIBUTION_MS
    candidates = {
        c.campaign_id: c
        for c in campaigns
        if session_id in (c.session_ids or [])
        and c.launched_at
        and (not c.completed_at or int(c.completed_at) >= since)
    }
    if not candidates:
        return None
    best: tuple[int, str] | None = None
    for message in CampaignMessageModel.batch_get([(cid, phone) for cid in candidates]):
        sent = int(message.sent_at or 0)
        if message.session_id != session_id or sent < since:
            continue
        if best is None or sent > best[0]:
            best = (sent, message.campaign_id)
    return candidates[best[1]] if best else None


@dataclass(frozen=True)
class Replied:
    """What an inbound message did to campaigns: the number it came to and the campaign
    the reply is attributed to (None: none in the last 7 days)."""

    session: WaSessionModel
    campaign: CampaignModel | None


def apply_inbound(agent: AgentModel, frame: Inbound) -> Replied:
    """Count the reply for its campaign and read it for opt-out words. The caller then
    records it in the inbox (``conversations.inbox.record_inbound``)."""
    session = sessions.session_of_agent(agent, frame.session_id)
    user_id = session.user_id
    campaigns = sorted(
        (
            c
            for c in CampaignModel.query(user_id)
            if frame.session_id in (c.session_ids or []) and c.status != lifecycle.DRAFT
        ),
        key=lambda c: int(c.launched_at or 0),
        reverse=True,
    )

    # The reply counts for the campaign the contact last received from this number (7 days).
    attributed = attribute(frame.session_id, frame.from_phone, campaigns)
    for campaign in [attributed] if attributed else []:
        try:
            replied = CampaignMessageModel(campaign.campaign_id, frame.from_phone)
            replied.update(
                actions=[CampaignMessageModel.replied_at.set(frame.ts)],
                condition=CampaignMessageModel.replied_at.does_not_exist()
                & CampaignMessageModel.phone.exists(),
            )
            reply_deltas = {"replies": 1}
            if replied.variant:  # its variant's reply count rides the same write
                reply_deltas[variants.key(replied.variant, "replied")] = 1
            bump(user_id, campaign.campaign_id, reply_deltas)
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
    return Replied(session, attributed)


def stop_pending_everywhere(user_id: str, phone: str) -> None:
    """What a reply opt-out does to campaigns, for an opt-out confirmed later."""
    campaigns = [c for c in CampaignModel.query(user_id) if c.status != lifecycle.DRAFT]
    stop_pending_for(user_id, phone, campaigns)


def stop_pending_for(user_id: str, phone: str, campaigns: list[CampaignModel]) -> None:
    """An opted-out person gets nothing more: pending messages skip, leases are cancelled."""
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
            if move_message(campaign.campaign_id, phone, message.session_id, old, skip):
                bump(user_id, campaign.campaign_id, {old: -1, "skipped": 1, "reserved": -1})
                quota.safely("release", user_id, 1)
                if old == "leased":
                    agent = lifecycle.agent_of(user_id, message.session_id)
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
