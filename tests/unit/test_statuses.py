"""Campaign and message statuses, and default pacing, each come from one definition."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.campaigns import counters, forecast, planning, progress
from chalicelib.campaigns.forecast import DEFAULT_PACING
from chalicelib.campaigns.messages import FINAL_STATUSES, MessageStatus
from chalicelib.campaigns.statuses import CampaignStatus
from chalicelib.models.campaigns import CampaignModel
from chalicelib.routes import campaigns as routes


def test_every_message_status_has_a_counter_everywhere() -> None:
    assert tuple(s.value for s in MessageStatus) == counters.STATUSES
    attributes = CampaignModel.get_attributes()
    assert set(counters.COUNTERS) <= set(attributes)
    assert set(routes.Counters.model_fields) == {*counters.STATUSES, "total", "replies"}


def test_the_api_filters_by_exactly_the_enums() -> None:
    for status in MessageStatus:
        assert routes.MessageQuery(status=status.value).status == status
    for status in CampaignStatus:
        assert routes.CampaignQuery(status=status.value).status == status
    with pytest.raises(ValidationError):
        routes.MessageQuery(status="lost")
    with pytest.raises(ValidationError):
        routes.CampaignQuery(status="archived")


def test_final_statuses_are_those_after_sending() -> None:
    assert set(FINAL_STATUSES) == set(MessageStatus) - {MessageStatus.PENDING, MessageStatus.LEASED}


def test_default_pacing_is_the_forecasts_pace() -> None:
    pace = forecast.Pace()
    assert planning.pace_of(None) == pace
    fields = routes.PacingIn()
    assert (fields.min_gap_s, fields.max_gap_s, fields.daily_cap, fields.warmup) == (
        pace.min_gap_s,
        pace.max_gap_s,
        pace.daily_cap,
        pace.warmup,
    )
    assert {
        "min_gap_s": pace.min_gap_s,
        "max_gap_s": pace.max_gap_s,
        "daily_cap": pace.daily_cap,
        "warmup": pace.warmup,
    } == DEFAULT_PACING


def test_funnel_share_and_eta_from_counters() -> None:
    from datetime import UTC, datetime

    counts = dict.fromkeys((*counters.STATUSES, "total", "replies"), 0)
    counts.update(total=10, pending=2, sent=3, delivered=2, read=1, failed=1, skipped=1, replies=1)
    assert progress.funnel_of(counts) == {"sent": 6, "delivered": 3, "read": 1, "replied": 1}
    assert progress.share_done(counts) == 0.8
    assert progress.share_done({**counts, "total": 0}) == 0.0
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    now_ms = int(now.timestamp() * 1000)
    assert progress.eta_s(now_ms + 90_500, now) == 90
    assert progress.eta_s(now_ms - 5_000, now) == 0
    assert progress.eta_s(None, now) is None
