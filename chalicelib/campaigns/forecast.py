"""When will the messages go out? One pure function shared by the composer, the launch
summary and the campaign page.

It simulates what the send pipeline enforces (``lease.lease`` and the agent's
pacer), number by number, in windows rather than message by message:

* one message per gap, the gap being the mean of the jittered ``[min_gap, max_gap]``;
* the daily cap counts sends per **UTC day** (the session's ``sent_today``), so a cap
  reached in the afternoon in São Paulo resumes at 21:00 local;
* warm-up: ``20 * 2^age`` a day, ``age`` in whole 24-hour periods since the number
  first connected (a number not connected yet starts its warm-up at the first send);
* quiet hours in the campaign's IANA time zone (``start <= now < end``, or across
  midnight), so DST changes move them in UTC exactly as the pipeline sees them.

The clock is an argument: nothing here reads the time, the network or the database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from chalicelib.basemodel import BaseModel

WARMUP_FIRST_DAY = 20
DAY = timedelta(days=1)
HORIZON = timedelta(days=400)  # a plan longer than this is reported as "more than a year"
MAX_PAUSES = 400
# Daily caps above this are where ban reports start (WhatsApp publishes no number).
SAFE_DAILY_CAP = 250
MAX_EXTRA_NUMBERS = 10
CAP_STEPS = (250, 300, 400, 500, 750, 1000, 1500, 2000)

Limit = Literal["gaps", "daily_cap", "warmup", "quiet_hours"]
PauseReason = Literal["daily_cap", "warmup", "quiet_hours"]
_PRIORITY: dict[str, int] = {"warmup": 3, "daily_cap": 2, "quiet_hours": 1}


@dataclass(frozen=True)
class Pace:
    min_gap_s: float = 20
    max_gap_s: float = 60
    daily_cap: int = 200
    warmup: bool = True
    quiet_start: str | None = None  # "HH:MM" local
    quiet_end: str | None = None

    @property
    def gap(self) -> timedelta:
        return timedelta(seconds=(float(self.min_gap_s) + float(self.max_gap_s)) / 2)

    @property
    def has_quiet_hours(self) -> bool:
        return bool(self.quiet_start and self.quiet_end and self.quiet_start != self.quiet_end)


# The one definition of default pacing (pure, so cheap to import for planning and routes).
DEFAULT_PACE = Pace()
DEFAULT_PACING = {
    "min_gap_s": DEFAULT_PACE.min_gap_s,
    "max_gap_s": DEFAULT_PACE.max_gap_s,
    "daily_cap": DEFAULT_PACE.daily_cap,
    "warmup": DEFAULT_PACE.warmup,
}


@dataclass(frozen=True)
class NumberPlan:
    session_id: str
    recipients: int
    sent_today: int = 0  # already sent in the UTC day of ``now`` (every campaign)
    first_connected_at: datetime | None = None  # None: the warm-up starts at the first send
    label: str | None = None
    ahead: int = 0  # messages of older running campaigns on this number: they go first


# --- the answer ---------------------------------------------------------------------------


class NumberDay(BaseModel):
    session_id: str
    count: int
    limit: Limit | None = Field(
        description="What stopped more sends that day; null when the number finished that day"
    )


class Day(BaseModel):
    date: str = Field(description="Local date in the campaign's time zone, YYYY-MM-DD")
    total: int
    numbers: list[NumberDay]


class Pause(BaseModel):
    session_id: str
    reason: PauseReason
    start: int = Field(description="Epoch ms")
    end: int = Field(description="Epoch ms: sending resumes then")


class NumberForecast(BaseModel):
    session_id: str
    label: str | None
    recipients: int
    first_message_at: int | None
    finish_at: int | None
    daily_room_today: int = Field(description="What the number may still send today (UTC day)")
    warmup_day: int | None = Field(description="1 on the number's first day; null without warm-up")


class Suggestion(BaseModel):
    kind: Literal["more_numbers", "skip_warmup", "raise_daily_cap", "shorter_gaps"]
    message: str
    change: dict[str, float | int | bool] = Field(
        description="What to change: extra_numbers | warmup | daily_cap | min_gap_s+max_gap_s"
    )
    finish_at: int | None
    meets_deadline: bool
    risk: str | None


class DeadlineCheck(BaseModel):
    deadline: int
    met: bool
    late_by_s: int = Field(description="0 when met")
    suggestions: list[Suggestion]


class Forecast(BaseModel):
    recipients: int
    timezone: str
    first_message_at: int | None
    finish_at: int | None = Field(description="Null when nothing is to send or beyond a year")
    duration_s: int | None = Field(description="From the first message to the last")
    beyond_horizon: bool = Field(description="True when it would take more than ~a year")
    days: list[Day]
    pauses: list[Pause]
    numbers: list[NumberForecast]
    deadline: DeadlineCheck | None = None


# --- time helpers ----------------------------------------------------------------------------


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(pace: Pace, tz: ZoneInfo, moment: datetime) -> bool:
    """Exactly the pipeline's test: local HH:MM within [start, end), or across midnight."""
    if not pace.has_quiet_hours:
        return False
    assert pace.quiet_start and pace.quiet_end
    current = moment.astimezone(tz).strftime("%H:%M")
    if pace.quiet_start <= pace.quiet_end:
        return pace.quiet_start <= current < pace.quiet_end
    return current >= pace.quiet_start or current < pace.quiet_end


def next_local(moment: datetime, tz: ZoneInfo, at: time) -> datetime:
    """The first instant strictly after ``moment`` whose local wall time is ``at``."""
    local = moment.astimezone(tz)
    day = local.date()
    for _ in range(3):
        candidate = datetime.combine(day, at, tzinfo=tz)
        if candidate.astimezone(UTC) > moment:
            return candidate.astimezone(UTC)
        day += DAY
    raise AssertionError("unreachable")  # pragma: no cover


def next_utc_midnight(moment: datetime) -> datetime:
    return datetime.combine(moment.astimezone(UTC).date() + DAY, time(0), tzinfo=UTC)


def _local_date(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


# --- the simulation --------------------------------------------------------------------------


@dataclass
class _Run:
    first: datetime | None = None
    last: datetime | None = None
    per_date: dict[date, int] | None = None
    reasons: dict[date, str] | None = None
    pauses: list[tuple[str, datetime, datetime]] | None = None
    beyond: bool = False


def warmup_cap(pace: Pace, origin: datetime, moment: datetime) -> int:
    cap = int(pace.daily_cap)
    if not pace.warmup:
        return cap
    age = max(0, int((moment - origin) // DAY))
    return min(cap, WARMUP_FIRST_DAY * 2 ** min(age, 20))


def _simulate(number: NumberPlan, pace: Pace, tz: ZoneInfo, start: datetime, now: datetime) -> _Run:
    run = _Run(per_date={}, reasons={}, pauses=[])
    assert run.per_date is not None and run.reasons is not None and run.pauses is not None
    if int(number.recipients) <= 0:
        return run
    others = max(0, int(number.ahead))  # sent first, at the same pace, not counted as ours
    remaining = int(number.recipients) + others
    t = max(start, now)
    origin = number.first_connected_at or t
    gap = pace.gap
    used_day = now.astimezone(UTC).date()
    used = int(number.sent_today)
    limit_date = t + HORIZON
    latest: list[datetime | None] = [None]  # the last send, ours or an older campaign's

    def pause(reason: str, begin: datetime, end: datetime) -> None:
        assert run.pauses is not None and run.reasons is not None
        previous = run.pauses[-1] if run.pauses else None
        if (
            previous
            and previous[0] == reason
            and previous[2] == begin
            and (latest[0] is None or latest[0] < previous[2])  # nothing sent in between
        ):
            run.pauses[-1] = (reason, run.pauses[-1][1], end)
        else:
            run.pauses.append((reason, begin, end))
        day = _local_date(begin, tz)
        if _PRIORITY[reason] > _PRIORITY.get(run.reasons.get(day, ""), 0):
            run.reasons[day] = reason

    while remaining > 0:
        if t > limit_date:
            run.beyond = True
            break
        if in_quiet_hours(pace, tz, t):
            assert pace.quiet_end
            end = next_local(t, tz, hhmm(pace.quiet_end))
            pause("quiet_hours", t, end)
            t = end
            continue
        day = t.astimezone(UTC).date()
        if day != used_day:
            used_day, used = day, 0
        cap = warmup_cap(pace, origin, t)
        room = cap - used
        midnight = next_utc_midnight(t)
        step = origin + DAY * (int((t - origin) // DAY) + 1) if pace.warmup else None
        if room <= 0:
            warming = pace.warmup and cap < int(pace.daily_cap)
            resume = min(midnight, step) if warming and step else midnight
            pause("warmup" if warming else "daily_cap", t, resume)
            t = resume
            continue
        window_end = min(midnight, next_local(t, tz, time(0)))
        if step is not None:
            window_end = min(window_end, step)
        if pace.has_quiet_hours:
            assert pace.quiet_start
            window_end = min(window_end, next_local(t, tz, hhmm(pace.quiet_start)))
        # Sends at t, t+gap, … strictly before the window's end; no gap: all at once.
        fit = max(1, math.ceil((window_end - t) / gap)) if gap.total_seconds() > 0 else remaining
        count = min(remaining, room, fit)
        last = t + gap * (count - 1)
        theirs = min(count, others)
        others -= theirs
        latest[0] = last
        if count > theirs:
            first_ours = t + gap * theirs
            run.first = run.first or first_ours
            run.last = last
            local_day = _local_date(first_ours, tz)
            run.per_date[local_day] = run.per_date.get(local_day, 0) + count - theirs
        remaining -= count
        used += count
        t = last + gap
    return run


def _runs(
    numbers: list[NumberPlan], pace: Pace, tz: ZoneInfo, start: datetime, now: datetime
) -> list[_Run]:
    """One simulation per distinct number: numbers alike (same share, same day, same age)
    send alike, which keeps twenty numbers or the "more numbers" suggestions cheap."""
    seen: dict[tuple[int, int, datetime | None, int], _Run] = {}
    runs = []
    for number in numbers:
        key = (
            int(number.recipients),
            int(number.sent_today),
            number.first_connected_at,
            int(number.ahead),
        )
        if key not in seen:
            seen[key] = _simulate(number, pace, tz, start, now)
        runs.append(seen[key])
    return runs


def _number_forecast(
    number: NumberPlan, pace: Pace, run: _Run, start: datetime, now: datetime
) -> NumberForecast:
    origin = number.first_connected_at or max(start, now)
    cap = warmup_cap(pace, origin, now)
    warmup_day = None
    if pace.warmup and cap < int(pace.daily_cap):
        warmup_day = max(0, int((now - origin) // DAY)) + 1
    return NumberForecast(
        session_id=number.session_id,
        label=number.label,
        recipients=int(number.recipients),
        first_message_at=_ms(run.first) if run.first else None,
        finish_at=_ms(run.last) if run.last and not run.beyond else None,
        daily_room_today=max(0, cap - int(number.sent_today)),
        warmup_day=warmup_day,
    )


def _days(numbers: list[NumberPlan], runs: list[_Run], tz: ZoneInfo) -> list[Day]:
    first_dates = [min(r.per_date) for r in runs if r.per_date]
    last_dates = [max(r.per_date) for r in runs if r.per_date]
    if not first_dates:
        return []
    days: list[Day] = []
    current, end = min(first_dates), max(last_dates)
    while current <= end:
        entries: list[NumberDay] = []
        for number, run in zip(numbers, runs, strict=True):
            assert run.per_date is not None and run.reasons is not None
            if not run.per_date or not (min(run.per_date) <= current <= max(run.per_date)):
                continue
            finished = current == max(run.per_date) and not run.beyond
            limit: str | None = None if finished else run.reasons.get(current, "gaps")
            entries.append(
                NumberDay(
                    session_id=number.session_id,
                    count=run.per_date.get(current, 0),
                    limit=limit,
                )
            )
        days.append(
            Day(date=current.isoformat(), total=sum(e.count for e in entries), numbers=entries)
        )
        current += DAY
    return days


def forecast(
    numbers: list[NumberPlan],
    pace: Pace,
    timezone: str,
    now: datetime,
    send_at: datetime | None = None,
    deadline: datetime | None = None,
) -> Forecast:
    """When each number sends what, and when it all ends. ``now`` is the clock."""
    tz = ZoneInfo(timezone)
    start = max(send_at or now, now)
    runs = _runs(numbers, pace, tz, start, now)
    firsts = [r.first for r in runs if r.first]
    lasts = [r.last for r in runs if r.last]
    beyond = any(r.beyond for r in runs)
    first = min(firsts) if firsts else None
    finish = max(lasts) if lasts and not beyond else None
    pauses = sorted(
        (
            Pause(session_id=n.session_id, reason=reason, start=_ms(a), end=_ms(b))
            for n, r in zip(numbers, runs, strict=True)
            for reason, a, b in (r.pauses or [])
        ),
        key=lambda p: (p.start, p.session_id),
    )[:MAX_PAUSES]
    result = Forecast(
        recipients=sum(max(0, int(n.recipients)) for n in numbers),
        timezone=timezone,
        first_message_at=_ms(first) if first else None,
        finish_at=_ms(finish) if finish else None,
        duration_s=int((finish - first).total_seconds()) if finish and first else None,
        beyond_horizon=beyond,
        days=_days(numbers, runs, tz),
        pauses=pauses,
        numbers=[
            _number_forecast(n, pace, r, start, now) for n, r in zip(numbers, runs, strict=True)
        ],
    )
    if deadline is not None:
        result.deadline = _check_deadline(numbers, pace, timezone, now, send_at, deadline, result)
    return result


# --- deadline and what would meet it ---------------------------------------------------------


def _finish(
    numbers: list[NumberPlan], pace: Pace, timezone: str, now: datetime, send_at: datetime | None
) -> datetime | None:
    tz = ZoneInfo(timezone)
    start = max(send_at or now, now)
    runs = _runs(numbers, pace, tz, start, now)
    if any(r.beyond for r in runs):
        return None
    lasts = [r.last for r in runs if r.last]
    return max(lasts) if lasts else start


def spread(numbers: list[NumberPlan], extra: int) -> list[NumberPlan]:
    """The same recipients over ``extra`` more numbers, new ones starting their warm-up."""
    total = sum(int(n.recipients) for n in numbers)
    count = len(numbers) + extra
    planned = list(numbers) + [
        NumberPlan(session_id=f"new-{i + 1}", recipients=0) for i in range(extra)
    ]
    return [
        replace(n, recipients=total // count + (1 if i < total % count else 0))
        for i, n in enumerate(planned)
    ]


def _check_deadline(
    numbers: list[NumberPlan],
    pace: Pace,
    timezone: str,
    now: datetime,
    send_at: datetime | None,
    deadline: datetime,
    result: Forecast,
) -> DeadlineCheck:
    deadline_ms = _ms(deadline)
    if result.finish_at is not None and result.finish_at <= deadline_ms:
        return DeadlineCheck(deadline=deadline_ms, met=True, late_by_s=0, suggestions=[])
    late = (
        (result.finish_at - deadline_ms) // 1000 if result.finish_at is not None else 400 * 86_400
    )
    suggestions: list[Suggestion] = []

    def meets(moment: datetime | None) -> bool:
        return moment is not None and moment <= deadline

    def ms(moment: datetime | None) -> int | None:
        return _ms(moment) if moment else None

    if numbers:
        for extra in range(1, MAX_EXTRA_NUMBERS + 1):
            finish = _finish(spread(numbers, extra), pace, timezone, now, send_at)
            if meets(finish) or extra == MAX_EXTRA_NUMBERS:
                suggestions.append(
                    Suggestion(
                        kind="more_numbers",
                        message=(
                            f"Send from {extra} more number{'s' if extra > 1 else ''}"
                            + (" (they start their own warm-up)." if pace.warmup else ".")
                        ),
                        change={"extra_numbers": extra},
                        finish_at=ms(finish),
                        meets_deadline=meets(finish),
                        risk=None,
                    )
                )
                break
    if pace.warmup:
        finish = _finish(numbers, replace(pace, warmup=False), timezone, now, send_at)
        suggestions.append(
            Suggestion(
                kind="skip_warmup",
                message="Turn off warm-up if the number has been in everyday use for weeks.",
                change={"warmup": False},
                finish_at=ms(finish),
                meets_deadline=meets(finish),
                risk=(
                    "A new number sending at full pace from its first day is the most common "
                    "reason WhatsApp bans a number."
                ),
            )
        )
    for cap in CAP_STEPS:
        if cap <= int(pace.daily_cap):
            continue
        finish = _finish(numbers, replace(pace, daily_cap=cap), timezone, now, send_at)
        if meets(finish) or cap == CAP_STEPS[-1]:
            suggestions.append(
                Suggestion(
                    kind="raise_daily_cap",
                    message=f"Raise the daily limit to {cap} messages per number.",
                    change={"daily_cap": cap},
                    finish_at=ms(finish),
                    meets_deadline=meets(finish),
                    risk=(
                        f"More than {SAFE_DAILY_CAP} messages a day from one number makes a ban "
                        "more likely, above all to people who never wrote to you."
                        if cap > SAFE_DAILY_CAP
                        else None
                    ),
                )
            )
            break
    if float(pace.min_gap_s) > 10:
        faster = replace(pace, min_gap_s=10, max_gap_s=max(10, float(pace.max_gap_s) / 2))
        finish = _finish(numbers, faster, timezone, now, send_at)
        suggestions.append(
            Suggestion(
                kind="shorter_gaps",
                message=(
                    f"Wait {faster.min_gap_s:g} to {faster.max_gap_s:g} seconds between messages "
                    "instead."
                ),
                change={"min_gap_s": faster.min_gap_s, "max_gap_s": faster.max_gap_s},
                finish_at=ms(finish),
                meets_deadline=meets(finish),
                risk="Messages sent in quick succession look automated to WhatsApp.",
            )
        )
    suggestions.sort(key=lambda s: (not s.meets_deadline, s.risk is not None))
    return DeadlineCheck(
        deadline=deadline_ms, met=False, late_by_s=int(late), suggestions=suggestions
    )
