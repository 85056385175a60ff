"""Why each number waits, on a clock the test controls (no tables: models in memory)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.campaigns.planning import number_states
from chalicelib.models.campaigns import CampaignModel
from chalicelib.models.sessions import WaSessionModel


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def campaign(**values: Any) -> CampaignModel:
    base: dict[str, Any] = {
        "name": "Promo", "status": "running", "template": "Hi", "session_ids": ["s1"],
        "timezone": "America/Sao_Paulo", "created_at": 0, "updated_at": 0, "pending": 100,
        "materialised": True,
        "pacing": {"min_gap_s": 20, "max_gap_s": 60, "daily_cap": 200, "warmup": True},
    }  # fmt: skip
    return CampaignModel("u1", "c1", **{**base, **values})


def session(**values: Any) -> WaSessionModel:
    base: dict[str, Any] = {
        "label": "Shop", "status": "connected", "agent_id": "a1", "created_at": 0,
        "updated_at": 0,
    }  # fmt: skip
    return WaSessionModel("u1", "s1", **{**base, **values})


def state_of(c: CampaignModel, s: WaSessionModel, now: datetime) -> tuple[str, int | None]:
    found = number_states(c, {"s1": s}, now, running=[])[0]
    return found.state, found.until


def test_warm_up_limit_then_resumes_at_the_earlier_of_utc_midnight_and_next_warm_up_day() -> None:
    now = at(2026, 12, 1, 15, 0)  # 12:00 in São Paulo
    connected = at(2026, 12, 1, 9, 0)
    s = session(first_connected_at=ms(connected), sent_day="2026-12-01", sent_today=20)
    assert state_of(campaign(), s, now) == ("warmup_limit", ms(at(2026, 12, 2)))
    # Five hours later the UTC day has turned: room again (20 more on day one).
    assert state_of(campaign(), s, now + timedelta(hours=10))[0] == "waiting_gap"


def test_quiet_hours_until_their_local_end_and_daily_cap() -> None:
    pacing = {"min_gap_s": 20, "max_gap_s": 60, "daily_cap": 200, "warmup": False,
              "quiet_start": "21:00", "quiet_end": "08:00"}  # fmt: skip
    c = campaign(pacing=pacing)
    s = session(first_connected_at=ms(at(2026, 1, 1)))
    night = at(2026, 12, 2, 1, 30)  # 22:30 local
    assert state_of(c, s, night) == ("quiet_hours", ms(at(2026, 12, 2, 11)))  # 08:00 local
    capped = session(first_connected_at=ms(at(2026, 1, 1)), sent_day="2026-12-02", sent_today=200)
    assert state_of(c, capped, at(2026, 12, 2, 14)) == ("daily_cap", ms(at(2026, 12, 3)))
    assert state_of(c, s, at(2026, 12, 2, 14)) == ("waiting_gap", None)
    assert state_of(campaign(pacing=pacing, leased=3), s, at(2026, 12, 2, 14))[0] == "sending"
    assert state_of(campaign(pending=0, leased=0), s, at(2026, 12, 2, 14))[0] == "done"
