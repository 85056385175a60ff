"""A campaign's pacing as the send pipeline applies it: gaps, daily cap, warm-up,
quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from chalicelib.campaigns.forecast import DEFAULT_PACING, WARMUP_FIRST_DAY
from chalicelib.models.base import now_ms, plain
from chalicelib.models.campaigns import CampaignModel
from chalicelib.models.sessions import WaSessionModel


def pacing_of(campaign: CampaignModel) -> dict:
    return {**DEFAULT_PACING, **plain(campaign.pacing)}


def in_quiet_hours(pacing: dict, timezone: str, now: datetime | None = None) -> bool:
    start, end = pacing.get("quiet_start"), pacing.get("quiet_end")
    if not start or not end:
        return False
    local = (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone))
    current = local.strftime("%H:%M")
    if start <= end:
        return bool(start <= current < end)
    return bool(current >= start or current < end)  # spans midnight


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def daily_room(session: WaSessionModel, pacing: dict) -> int:
    cap = int(pacing.get("daily_cap") or 0) or 1_000_000
    if pacing.get("warmup", True) and session.first_connected_at:
        age_days = max(0, (now_ms() - int(session.first_connected_at)) // 86_400_000)
        cap = min(cap, WARMUP_FIRST_DAY * 2 ** min(age_days, 20))
    used = int(session.sent_today or 0) if session.sent_day == today() else 0
    return max(0, cap - used)
