"""The forecast against hand-computed schedules (the clock is an argument)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.campaigns.forecast import NumberPlan, Pace, forecast


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def per_day(result: object) -> list[tuple[str, int, list[tuple[int, str | None]]]]:
    return [
        (d.date, d.total, [(n.count, n.limit) for n in d.numbers])
        for d in result.days  # type: ignore[attr-defined]
    ]


def test_warm_up_doubles_day_by_day() -> None:
    now = at(2026, 12, 1, 0, 0)
    pace = Pace(min_gap_s=0, max_gap_s=0, daily_cap=200, warmup=True)
    result = forecast([NumberPlan("a", 100, first_connected_at=now)], pace, "UTC", now)
    # 20 on day one, 40 on day two, the last 40 on day three (room 80).
    assert per_day(result) == [
        ("2026-12-01", 20, [(20, "warmup")]),
        ("2026-12-02", 40, [(40, "warmup")]),
        ("2026-12-03", 40, [(40, None)]),
    ]
    assert result.first_message_at == ms(now)
    assert result.finish_at == ms(at(2026, 12, 3))
    assert [(p.reason, p.end) for p in result.pauses] == [
        ("warmup", ms(at(2026, 12, 2))),
        ("warmup", ms(at(2026, 12, 3))),
    ]
    assert result.numbers[0].warmup_day == 1 and result.numbers[0].daily_room_today == 20


def test_daily_cap_counts_todays_sends_and_resets_at_utc_midnight() -> None:
    now = at(2026, 12, 1, 10, 0)
    pace = Pace(min_gap_s=60, max_gap_s=60, daily_cap=50, warmup=False)
    result = forecast([NumberPlan("a", 120, sent_today=30)], pace, "UTC", now)
    # 20 left today (one a minute, 10:00..10:19), then 50 a day from midnight.
    assert per_day(result) == [
        ("2026-12-01", 20, [(20, "daily_cap")]),
        ("2026-12-02", 50, [(50, "daily_cap")]),
        ("2026-12-03", 50, [(50, None)]),
    ]
    assert result.pauses[0].start == ms(at(2026, 12, 1, 10, 20))
    assert result.pauses[0].end == ms(at(2026, 12, 2))
    assert result.finish_at == ms(at(2026, 12, 3, 0, 49))
    assert result.numbers[0].daily_room_today == 20 and result.numbers[0].warmup_day is None


def test_quiet_hours_across_midnight_in_the_campaigns_time_zone() -> None:
    # 20:00 in São Paulo (UTC-3); quiet 21:00-08:00 local; one message every 10 minutes.
    now = at(2026, 12, 1, 23, 0)
    pace = Pace(
        min_gap_s=600, max_gap_s=600, daily_cap=1000, warmup=False,
        quiet_start="21:00", quiet_end="08:00",
    )  # fmt: skip
    result = forecast([NumberPlan("a", 10)], pace, "America/Sao_Paulo", now)
    # 20:00..20:50 local (6), quiet until 08:00 local = 11:00 UTC, then 08:00..08:30 (4).
    assert per_day(result) == [
        ("2026-12-01", 6, [(6, "quiet_hours")]),
        ("2026-12-02", 4, [(4, None)]),
    ]
    quiet = [p for p in result.pauses if p.reason == "quiet_hours"]
    assert [(p.start, p.end) for p in quiet] == [
        (ms(at(2026, 12, 2, 0, 0)), ms(at(2026, 12, 2, 11)))
    ]
    assert result.finish_at == ms(at(2026, 12, 2, 11, 30))


def test_quiet_hours_follow_a_dst_change() -> None:
    # New York leaves DST on 2026-11-01 at 02:00 (EDT UTC-4 -> EST UTC-5).
    now = at(2026, 10, 31, 23, 0)  # 19:00 EDT
    pace = Pace(
        min_gap_s=3600, max_gap_s=3600, daily_cap=1000, warmup=False,
        quiet_start="21:00", quiet_end="08:00",
    )  # fmt: skip
    result = forecast([NumberPlan("a", 5)], pace, "America/New_York", now)
    quiet = [p for p in result.pauses if p.reason == "quiet_hours"]
    # 21:00 EDT = 01:00 UTC; 08:00 EST = 13:00 UTC (not 12:00: the clocks went back).
    assert [(p.start, p.end) for p in quiet] == [(ms(at(2026, 11, 1, 1)), ms(at(2026, 11, 1, 13)))]
    assert per_day(result) == [
        ("2026-10-31", 2, [(2, "quiet_hours")]),
        ("2026-11-01", 3, [(3, None)]),
    ]
    assert result.finish_at == ms(at(2026, 11, 1, 15))  # 08:00, 09:00, 10:00 EST


def test_two_numbers_share_the_audience_and_each_has_its_own_warm_up() -> None:
    now = at(2026, 12, 1)
    pace = Pace(min_gap_s=0, max_gap_s=0, daily_cap=200, warmup=True)
    fresh = forecast(
        [NumberPlan("a", 23, first_connected_at=now), NumberPlan("b", 22, first_connected_at=now)],
        pace,
        "UTC",
        now,
    )
    assert per_day(fresh) == [
        ("2026-12-01", 40, [(20, "warmup"), (20, "warmup")]),
        ("2026-12-02", 5, [(3, None), (2, None)]),
    ]
    seasoned = forecast(
        [
            NumberPlan("a", 23, first_connected_at=now - timedelta(days=10)),
            NumberPlan("b", 22, first_connected_at=now),
        ],
        pace,
        "UTC",
        now,
    )
    assert per_day(seasoned) == [
        ("2026-12-01", 43, [(23, None), (20, "warmup")]),
        ("2026-12-02", 2, [(2, None)]),
    ]
    assert [n.finish_at for n in seasoned.numbers] == [ms(now), ms(at(2026, 12, 2))]


def test_send_at_later_starts_then_and_nothing_to_send_has_no_times() -> None:
    now = at(2026, 12, 1, 9)
    later = at(2026, 12, 5, 9)
    pace = Pace(min_gap_s=30, max_gap_s=30, daily_cap=200, warmup=False)
    result = forecast([NumberPlan("a", 3)], pace, "UTC", now, send_at=later)
    assert result.first_message_at == ms(later)
    assert result.finish_at == ms(later + timedelta(seconds=60))
    empty = forecast([NumberPlan("a", 0)], pace, "UTC", now)
    assert (empty.first_message_at, empty.finish_at, empty.days) == (None, None, [])


def test_a_missed_deadline_comes_with_suggestions_that_name_their_risk() -> None:
    # Maria's bakery: 1,956 customers, one new number, the default pace.
    now = at(2026, 12, 1, 13)
    deadline = at(2026, 12, 8)
    result = forecast(
        [NumberPlan("a", 1956, first_connected_at=now)], Pace(), "America/Sao_Paulo", now,
        deadline=deadline,
    )  # fmt: skip
    check = result.deadline
    assert check is not None and not check.met
    assert check.late_by_s == (result.finish_at - ms(deadline)) // 1000 > 0  # type: ignore[operator]
    kinds = {s.kind: s for s in check.suggestions}
    assert set(kinds) == {"more_numbers", "skip_warmup", "raise_daily_cap", "shorter_gaps"}
    first = check.suggestions[0]
    assert first.meets_deadline and first.finish_at is not None and first.finish_at <= ms(deadline)
    assert kinds["more_numbers"].meets_deadline and kinds["more_numbers"].risk is None
    assert kinds["skip_warmup"].risk and kinds["raise_daily_cap"].risk
    assert kinds["raise_daily_cap"].change["daily_cap"] > 250  # type: ignore[operator]
    met = forecast(
        [NumberPlan("a", 10)], Pace(warmup=False), "UTC", now, deadline=at(2026, 12, 2)
    ).deadline
    assert met is not None and met.met and met.suggestions == []


def test_older_campaigns_on_the_number_go_first() -> None:
    # 30 messages of an older campaign wait on the number (cap 50 a day, one a minute):
    # ours are the 20 after them today, then 30 from tomorrow's midnight.
    now = at(2026, 12, 1, 10, 0)
    pace = Pace(min_gap_s=60, max_gap_s=60, daily_cap=50, warmup=False)
    result = forecast([NumberPlan("a", 50, ahead=30)], pace, "UTC", now)
    assert result.first_message_at == ms(at(2026, 12, 1, 10, 30))
    assert per_day(result) == [
        ("2026-12-01", 20, [(20, "daily_cap")]),
        ("2026-12-02", 30, [(30, None)]),
    ]
    assert result.finish_at == ms(at(2026, 12, 2, 0, 29))
    # Waiting behind them through two capped days shows two pauses, not one.
    behind = forecast([NumberPlan("a", 1, ahead=100)], pace, "UTC", now)
    assert [p.end for p in behind.pauses] == [ms(at(2026, 12, 2)), ms(at(2026, 12, 3))]
    assert behind.first_message_at == ms(at(2026, 12, 3))
