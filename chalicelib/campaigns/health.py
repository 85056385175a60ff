"""Each number's health in one look: today's room, the last 7 days, the last bad signal,
and a badge (healthy / at risk / paused) with its reason in words.

Read-only and bounded by the last 7 days' activity: the outcome logs of the campaigns
that used the number in that time (one query each), the user's opt-outs of the week,
and the session's own state history.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from chalicelib import lazy
from chalicelib.basemodel import BaseModel
from chalicelib.campaigns import forecast as fc
from chalicelib.campaigns import planning

if TYPE_CHECKING:
    from chalicelib.campaigns import service
    from chalicelib.models.base import plain
    from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel, MessageLogModel
    from chalicelib.models.contacts import OptOutModel
    from chalicelib.models.sessions import WaSessionModel, sessions_of
else:  # imported on first use (chalicelib.lazy): cheap cold starts
    service = lazy.module("chalicelib.campaigns.service")
    plain = lazy.attr("chalicelib.models.base", "plain")
    CampaignMessageModel = lazy.attr("chalicelib.models.campaigns", "CampaignMessageModel")
    CampaignModel = lazy.attr("chalicelib.models.campaigns", "CampaignModel")
    MessageLogModel = lazy.attr("chalicelib.models.campaigns", "MessageLogModel")
    OptOutModel = lazy.attr("chalicelib.models.contacts", "OptOutModel")
    WaSessionModel = lazy.attr("chalicelib.models.sessions", "WaSessionModel")
    sessions_of = lazy.attr("chalicelib.models.sessions", "sessions_of")

WINDOW = timedelta(days=7)
MIN_SENDS_FOR_RATES = 20
FAILURE_RISK = 0.10
OPT_OUT_RISK = 0.02
BAD_SIGNALS = {"banned", "logged_out", "restricted", "disconnected", "failed", "agent_offline"}
NOT_CONNECTED_WORDS = {
    "banned": "WhatsApp banned this number.",
    "restricted": "WhatsApp restricted this number for now.",
    "logged_out": "The number was logged out of WhatsApp: link it again.",
    "disconnected": "The number is disconnected.",
    "qr_ready": "The number waits for its QR code to be scanned.",
    "qr_expired": "The QR code expired before it was scanned: link it again.",
    "agent_offline": "The machine running this number is offline.",
    "starting": "The number is starting.",
    "failed": "The number could not start.",
    "stopped": "The number was removed.",
}


class Signal(BaseModel):
    state: str = Field(description="banned | restricted | logged_out | disconnected | "
                       "failed | agent_offline | rate_limited")  # fmt: skip
    at: int
    reason: str | None = None


class NumberHealth(BaseModel):
    session_id: str
    label: str
    phone: str | None
    status: str
    sent_today: int
    daily_room: int = Field(description="Messages it may still send today (UTC day)")
    daily_limit: int = Field(description="Today's limit: the warm-up's or the daily cap")
    daily_cap: int
    warmup_day: int | None = Field(description="1 on its first day; null once warm-up is over")
    sent_7d: int
    failed_7d: int
    failure_rate_7d: float | None = Field(description="Null with no sends in 7 days")
    replies_7d: int
    reply_rate_7d: float | None
    opt_outs_7d: int = Field(description="Recipients of this number who opted out in 7 days")
    last_signal: Signal | None
    badge: Literal["healthy", "at_risk", "paused"]
    badge_reason: str


class HealthList(BaseModel):
    items: list[NumberHealth]


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _last_signal(session: WaSessionModel, now: datetime) -> Signal | None:
    found: Signal | None = None
    for change in session.history or []:
        if change.state in BAD_SIGNALS:
            found = Signal(state=change.state, at=int(change.at), reason=change.reason)
    backoff_until = int(session.backoff_until or 0)
    if backoff_until:
        began = backoff_until - int(session.backoff_s or 0) * 1000
        if found is None or began > found.at:
            found = Signal(state="rate_limited", at=began, reason=None)
    return found


def _recent_campaigns(user_id: str, since: int) -> list[CampaignModel]:
    return [
        c
        for c in CampaignModel.query(user_id)
        if c.status in (service.RUNNING, service.PAUSED)
        or int(c.completed_at or 0) >= since
        or int(c.launched_at or 0) >= since
    ]


def _pace_for(session_id: str, campaigns: list[CampaignModel]) -> fc.Pace:
    """The pace of the oldest running campaign on the number (what leases use), else the
    default."""
    running = sorted(
        (c for c in campaigns if c.status == service.RUNNING and session_id in c.session_ids),
        key=lambda c: int(c.launched_at or 0),
    )
    return planning.pace_of(plain(running[0].pacing) if running else None)


def _when(ms: int, timezone: str) -> str:
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(ZoneInfo(timezone))
    return f"{moment:%a %d %b, %H:%M}"


def number_health(user_id: str, now: datetime | None = None) -> HealthList:
    from chalicelib.models.users import UserModel

    now = now or planning.now_dt()
    since = _ms(now - WINDOW)
    try:
        timezone = UserModel.get(user_id).timezone or "UTC"
    except UserModel.DoesNotExist:
        timezone = "UTC"
    sessions = [s for s in sessions_of(user_id) if s.status != "deleted"]
    campaigns = _recent_campaigns(user_id, since)
    sent: dict[str, int] = {}
    failed: dict[str, int] = {}
    replies: dict[str, float] = {}
    for campaign in campaigns:
        per_session_sent: dict[str, int] = {}
        for log in MessageLogModel.query(
            campaign.campaign_id, MessageLogModel.log_id >= f"{since:013d}"
        ):
            sid = log.session_id or ""
            if log.event == "sent":
                per_session_sent[sid] = per_session_sent.get(sid, 0) + 1
            elif log.event in ("failed", "unknown"):
                failed[sid] = failed.get(sid, 0) + 1
        total_sent = sum(per_session_sent.values())
        for sid, count in per_session_sent.items():
            sent[sid] = sent.get(sid, 0) + count
            # Replies are counted per campaign: shared out by each number's sends.
            replies[sid] = replies.get(sid, 0) + int(campaign.replies or 0) * count / total_sent
    opt_outs: dict[str, int] = {}
    for record in OptOutModel.query(user_id, filter_condition=OptOutModel.at >= since):
        for campaign in campaigns:
            try:
                message = CampaignMessageModel.get(campaign.campaign_id, record.phone)
            except CampaignMessageModel.DoesNotExist:
                continue
            if message.sent_at:
                opt_outs[message.session_id] = opt_outs.get(message.session_id, 0) + 1
                break
    items = []
    for session in sorted(sessions, key=lambda s: s.created_at):
        sid = session.session_id
        pace = _pace_for(sid, campaigns)
        origin = planning.datetime_of_ms(session.first_connected_at)
        limit = fc.warmup_cap(pace, origin, now) if origin else int(pace.daily_cap)
        warmup_day = None
        if origin and pace.warmup and limit < pace.daily_cap:
            warmup_day = int((now - origin) // fc.DAY) + 1
        today = planning.sent_today(session, now)
        sent_7d, failed_7d = sent.get(sid, 0), failed.get(sid, 0)
        attempts = sent_7d + failed_7d
        failure_rate = round(failed_7d / attempts, 4) if attempts else None
        reply_rate = round(replies.get(sid, 0) / sent_7d, 4) if sent_7d else None
        signal = _last_signal(session, now)
        badge, reason = _badge(
            session, now, timezone, failure_rate, attempts, opt_outs.get(sid, 0), sent_7d,
            signal, since, pace,
        )  # fmt: skip
        items.append(
            NumberHealth(
                session_id=sid,
                label=session.label,
                phone=session.phone,
                status=session.status,
                sent_today=today,
                daily_room=max(0, limit - today),
                daily_limit=limit,
                daily_cap=int(pace.daily_cap),
                warmup_day=warmup_day,
                sent_7d=sent_7d,
                failed_7d=failed_7d,
                failure_rate_7d=failure_rate,
                replies_7d=round(replies.get(sid, 0)),
                reply_rate_7d=reply_rate,
                opt_outs_7d=opt_outs.get(sid, 0),
                last_signal=signal,
                badge=badge,
                badge_reason=reason,
            )
        )
    return HealthList(items=items)


def _badge(
    session: WaSessionModel,
    now: datetime,
    timezone: str,
    failure_rate: float | None,
    attempts: int,
    opt_outs: int,
    sent_7d: int,
    signal: Signal | None,
    since: int,
    pace: fc.Pace,
) -> tuple[Literal["healthy", "at_risk", "paused"], str]:
    if session.status != "connected":
        return "paused", NOT_CONNECTED_WORDS.get(session.status, f"It is {session.status}.")
    backoff = int(session.backoff_until or 0)
    if backoff > _ms(now):
        return "paused", (
            "WhatsApp asked it to slow down; it sends again around "
            f"{_when(backoff, timezone)}. Consider longer gaps."
        )
    if failure_rate is not None and attempts >= MIN_SENDS_FOR_RATES and failure_rate > FAILURE_RISK:
        return "at_risk", (
            f"{failure_rate:.0%} of its messages in the last 7 days failed: check the numbers "
            "in your list and the failures on each campaign."
        )
    if sent_7d >= MIN_SENDS_FOR_RATES and opt_outs / sent_7d > OPT_OUT_RISK:
        return "at_risk", (
            f"{opt_outs} recipients asked to stop in the last 7 days: people who report or "
            "block a number get it banned. Send to fewer, warmer contacts."
        )
    if signal is not None and signal.at >= since and signal.state != "disconnected":
        words = {
            "banned": "was banned",
            "restricted": "was restricted",
            "logged_out": "was logged out",
            "rate_limited": "was asked to slow down",
            "agent_offline": "lost its machine",
            "failed": "failed to start",
        }.get(signal.state, signal.state)
        return "at_risk", f"It {words} on {_when(signal.at, timezone)}: go gently for a few days."
    if pace.daily_cap > fc.SAFE_DAILY_CAP and not pace.warmup:
        return "at_risk", (
            f"Its campaign allows {pace.daily_cap:,} messages a day without warm-up: a new "
            "number at that pace is often banned."
        )
    return "healthy", "Sending normally."
