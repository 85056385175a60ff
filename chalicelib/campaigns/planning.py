"""Planning reads: audience estimates, a campaign's forecast, and why each number waits.

Everything here is a read. The forecast itself is the pure ``forecast.forecast``;
this module gathers its inputs (numbers' sends today, warm-up age, what is still to
send) from the tables, cheaply: one read per sending number, one bounded page of
contacts for an audience estimate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from chalicelib import lazy
from chalicelib.basemodel import BaseModel
from chalicelib.campaigns import forecast as fc
from chalicelib.campaigns import templates
from chalicelib.campaigns.forecast import DEFAULT_PACING

if TYPE_CHECKING:
    from chalicelib.models.base import now_ms, plain
    from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel
    from chalicelib.models.sessions import WaSessionModel, sessions_of
else:  # imported on first use (chalicelib.lazy): cheap cold starts
    now_ms = lazy.attr("chalicelib.models.base", "now_ms")
    plain = lazy.attr("chalicelib.models.base", "plain")
    CampaignModel = lazy.attr("chalicelib.models.campaigns", "CampaignModel")
    CampaignMessageModel = lazy.attr("chalicelib.models.campaigns", "CampaignMessageModel")
    WaSessionModel = lazy.attr("chalicelib.models.sessions", "WaSessionModel")
    sessions_of = lazy.attr("chalicelib.models.sessions", "sessions_of")

SAMPLE_CONTACTS = 1000


class AudienceEstimate(BaseModel):
    selected: int = Field(description="Contacts the audience selects (opted-out included)")
    opted_out: int
    missing_variables: int = Field(description="Selected contacts lacking a required variable")
    recipients: int = Field(description="Who would be messaged")
    exact: bool = Field(description="False: scaled from the first 1,000 contacts")


def pace_of(pacing: dict[str, Any] | None) -> fc.Pace:
    merged = {**DEFAULT_PACING, **(pacing or {})}
    return fc.Pace(
        min_gap_s=float(merged["min_gap_s"]),
        max_gap_s=float(merged["max_gap_s"]),
        daily_cap=int(merged.get("daily_cap") or 1_000_000),
        warmup=bool(merged.get("warmup", True)),
        quiet_start=merged.get("quiet_start"),
        quiet_end=merged.get("quiet_end"),
    )


def datetime_of_ms(ms: int | float | None) -> datetime | None:
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC) if ms else None


def utc_today(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%d")


# --- audience ---------------------------------------------------------------------------------


def _selects(contact: Any, everyone: bool, tags: set[str]) -> bool:
    return everyone or bool(set(contact.tags or ()) & tags)


def estimate_audience(
    user_id: str, audience: dict[str, Any], template: str | None, on_missing: str = "block"
) -> AudienceEstimate:
    """Counters for the size, the first page of contacts for the shares: never a full walk."""
    return sample_audience(user_id, audience, template, on_missing)[0]


def check_sample(
    user_id: str, sample: list[Any], template: str | None
) -> tuple[int, int, list[dict[str, Any]]]:
    """Among sampled contacts: how many opted out, how many lack a variable of
    ``template``, and (at most 100 of) those lacking one."""
    import chalicelib.contacts.service as contacts

    required = templates.required_variables(template or "")
    opted = contacts.opted_out_among(user_id, [c.phone for c in sample])
    opted_out = missing = 0
    affected: list[dict[str, Any]] = []
    for contact in sample:
        if contact.opted_out or contact.phone in opted:
            opted_out += 1
            continue
        values = templates.contact_values_of(contact)
        lacking = [name for name in required if not (values.get(name) or "").strip()]
        if lacking:
            missing += 1
            if len(affected) < 100:
                affected.append({"phone": contact.phone, "name": contact.name, "missing": lacking})
    return opted_out, missing, affected


def sample_audience(
    user_id: str, audience: dict[str, Any], template: str | None, on_missing: str = "block"
) -> tuple[AudienceEstimate, list[dict[str, Any]]]:
    """The estimate, and the sampled contacts lacking a variable (at most 100)."""
    import chalicelib.contacts.service as contacts
    from chalicelib.models.contacts import ContactModel

    tags = set(audience.get("tags") or [])
    everyone = bool(audience.get("all")) or not tags
    page = ContactModel.query(user_id, limit=SAMPLE_CONTACTS)
    sample = [c for c in page if _selects(c, everyone, tags)]
    exact = page.last_evaluated_key is None
    opted_out, missing, affected = check_sample(user_id, sample, template)
    if exact:
        selected = len(sample)
    elif everyone:
        selected = int(ContactModel.count(user_id))
    else:
        counts = dict(contacts.tag_counts(user_id))
        # Tags overlap: their sum is an upper bound, the largest tag a lower one.
        selected = sum(counts.get(tag, 0) for tag in tags)
    if not exact and sample:
        opted_out = round(opted_out * selected / len(sample))
        missing = round(missing * selected / len(sample))
    elif not exact:
        opted_out = missing = 0
    recipients = selected - opted_out - (missing if on_missing == "skip" else 0)
    estimate = AudienceEstimate(
        selected=selected,
        opted_out=opted_out,
        missing_variables=missing,
        recipients=max(0, recipients),
        exact=exact,
    )
    return estimate, affected


# --- numbers ----------------------------------------------------------------------------------


def sessions_by_id(user_id: str, session_ids: list[str]) -> dict[str, WaSessionModel]:
    found: dict[str, WaSessionModel] = {}
    for session_id in session_ids:
        try:
            found[session_id] = WaSessionModel.get(user_id, session_id)
        except WaSessionModel.DoesNotExist:
            continue
    return found


def all_sessions(user_id: str) -> dict[str, WaSessionModel]:
    return {s.session_id: s for s in sessions_of(user_id)}


def sent_today(session: WaSessionModel | None, now: datetime) -> int:
    if session is None or session.sent_day != utc_today(now):
        return 0
    return int(session.sent_today or 0)


def _share(total: int, session_ids: list[str], session_id: str) -> int:
    """A number's part of ``total`` spread round-robin over ``session_ids``."""
    if session_id not in session_ids:
        return 0
    count, index = len(session_ids), session_ids.index(session_id)
    return total // count + (1 if index < total % count else 0)


def running_campaigns(user_id: str) -> list[CampaignModel]:
    from chalicelib.campaigns import lifecycle

    return list(
        CampaignModel.query(user_id, filter_condition=CampaignModel.status == lifecycle.RUNNING)
    )


def older_on(
    campaign: CampaignModel | None, running: list[CampaignModel], session_id: str
) -> list[CampaignModel]:
    """Running campaigns the number serves before ``campaign`` (leases take the oldest)."""
    mine = int(campaign.launched_at or 0) if campaign is not None else 0
    return [
        c
        for c in running
        if (campaign is None or c.campaign_id != campaign.campaign_id)
        and session_id in (c.session_ids or [])
        and (not mine or int(c.launched_at or 0) < mine)
        and (remaining_of(c) or 0) > 0
    ]


def number_plans(
    session_ids: list[str],
    remaining: int,
    sessions: dict[str, WaSessionModel],
    now: datetime,
    ahead: dict[str, int] | None = None,
) -> list[fc.NumberPlan]:
    """Recipients spread round-robin over the numbers, as materialisation assigns them."""
    return [
        fc.NumberPlan(
            session_id=session_id,
            recipients=_share(remaining, session_ids, session_id),
            sent_today=sent_today(sessions.get(session_id), now),
            first_connected_at=datetime_of_ms(sessions[session_id].first_connected_at)
            if session_id in sessions
            else None,
            label=sessions[session_id].label if session_id in sessions else None,
            ahead=(ahead or {}).get(session_id, 0),
        )
        for session_id in session_ids
    ]


def ahead_of(
    campaign: CampaignModel | None, session_ids: list[str], running: list[CampaignModel]
) -> dict[str, int]:
    """Per number, the messages of older running campaigns still to send on it."""
    return {
        sid: sum(
            _share(remaining_of(c) or 0, list(c.session_ids or []), sid)
            for c in older_on(campaign, running, sid)
        )
        for sid in session_ids
    }


# --- a campaign's forecast -------------------------------------------------------------------


def remaining_of(campaign: CampaignModel) -> int | None:
    """What is still to send, or None when unknown without walking the audience."""
    from chalicelib.campaigns import lifecycle

    if campaign.status in (lifecycle.SCHEDULED, lifecycle.RUNNING, lifecycle.PAUSED):
        if campaign.materialised:
            return int(campaign.pending or 0) + int(campaign.leased or 0)
        return max(0, int(campaign.reserved or 0))
    if campaign.status in (lifecycle.COMPLETED, lifecycle.CANCELLED):
        return 0
    return None  # draft / preparing


def campaign_forecast(
    campaign: CampaignModel,
    sessions: dict[str, WaSessionModel] | None = None,
    now: datetime | None = None,
    remaining: int | None = None,
    running: list[CampaignModel] | None = None,
) -> fc.Forecast | None:
    now = now or datetime.now(UTC)
    if remaining is None:
        remaining = remaining_of(campaign)
    if remaining is None:
        return None
    session_ids = list(campaign.session_ids or [])
    if sessions is None:
        sessions = sessions_by_id(campaign.user_id, session_ids)
    if running is None:
        running = running_campaigns(campaign.user_id) if remaining else []
    ahead = ahead_of(campaign, session_ids, running)
    return fc.forecast(
        number_plans(session_ids, remaining, sessions, now, ahead),
        pace_of(plain(campaign.pacing)),
        campaign.timezone or "UTC",
        now,
        send_at=datetime_of_ms(campaign.send_at),
        deadline=datetime_of_ms(campaign.deadline),
    )


# --- why it waits ----------------------------------------------------------------------------

NumberStateName = Literal[
    "sending",
    "waiting_gap",
    "daily_cap",
    "warmup_limit",
    "quiet_hours",
    "offline",
    "backing_off",
    "paused",
    "other_campaign",
    "scheduled",
    "preparing",
    "done",
    "idle",
]
# States that are not the campaign's own pacing: a wait of over an hour is worth a notice.
SLOW_STATES = {"daily_cap", "warmup_limit", "quiet_hours", "offline", "backing_off"}


class NumberState(BaseModel):
    session_id: str
    label: str | None
    state: NumberStateName
    until: int | None = Field(description="Epoch ms when this wait ends, when known")
    detail: str | None = Field(description="Session status when offline; pause reason")


@dataclass(frozen=True)
class _Wait:
    state: NumberStateName
    until: datetime | None = None
    detail: str | None = None


def _number_wait(
    campaign: CampaignModel,
    session: WaSessionModel | None,
    pace: fc.Pace,
    now: datetime,
    before: list[CampaignModel],
) -> _Wait:
    from chalicelib.campaigns import lifecycle

    status = campaign.status
    if status == lifecycle.PAUSED:
        resume_at = datetime_of_ms(campaign.send_at)  # a paused campaign's send_at: when it resumes
        return _Wait(
            "paused",
            until=resume_at if resume_at and resume_at > now else None,
            detail=campaign.pause_reason,
        )
    if status == lifecycle.PREPARING:
        return _Wait("preparing")
    if status == lifecycle.SCHEDULED:
        return _Wait("scheduled", until=datetime_of_ms(campaign.send_at))
    if status != lifecycle.RUNNING:
        return _Wait("done" if status == lifecycle.COMPLETED else "idle")
    if session is None or session.status != "connected":
        return _Wait("offline", detail=session.status if session else "removed")
    if campaign.materialised and not int(campaign.pending or 0) and not int(campaign.leased or 0):
        return _Wait("done")
    backoff = datetime_of_ms(session.backoff_until)
    if backoff and backoff > now:
        return _Wait("backing_off", until=backoff)
    tz = ZoneInfo(campaign.timezone or "UTC")
    if fc.in_quiet_hours(pace, tz, now):
        assert pace.quiet_end
        return _Wait("quiet_hours", until=fc.next_local(now, tz, fc.hhmm(pace.quiet_end)))
    origin = datetime_of_ms(session.first_connected_at) or now
    cap = fc.warmup_cap(pace, origin, now)
    if cap - sent_today(session, now) <= 0:
        midnight = fc.next_utc_midnight(now)
        if pace.warmup and cap < pace.daily_cap:
            step = origin + timedelta(days=int((now - origin) // fc.DAY) + 1)
            return _Wait("warmup_limit", until=min(midnight, step))
        return _Wait("daily_cap", until=midnight)
    if int(campaign.leased or 0):
        return _Wait("sending")
    if before:
        return _Wait("other_campaign", detail=before[0].name)  # it sends the older one first
    return _Wait("waiting_gap")


def number_states(
    campaign: CampaignModel,
    sessions: dict[str, WaSessionModel] | None = None,
    now: datetime | None = None,
    running: list[CampaignModel] | None = None,
) -> list[NumberState]:
    from chalicelib.campaigns import lifecycle

    now = now or datetime.now(UTC)
    session_ids = list(campaign.session_ids or [])
    if sessions is None:
        sessions = sessions_by_id(campaign.user_id, session_ids)
    if running is None:
        live = campaign.status == lifecycle.RUNNING
        running = running_campaigns(campaign.user_id) if live else []
    pace = pace_of(plain(campaign.pacing))
    states = []
    for session_id in session_ids:
        session = sessions.get(session_id)
        before = older_on(campaign, running, session_id)
        wait = _number_wait(campaign, session, pace, now, before)
        states.append(
            NumberState(
                session_id=session_id,
                label=session.label if session else None,
                state=wait.state,
                until=int(wait.until.timestamp() * 1000) if wait.until else None,
                detail=wait.detail,
            )
        )
    return states


def now_dt() -> datetime:
    return datetime.fromtimestamp(now_ms() / 1000, tz=UTC)


# --- the launch summary ---------------------------------------------------------------------


class SummaryNumber(BaseModel):
    session_id: str
    label: str | None
    status: str
    connected: bool


class QuotaNeed(BaseModel):
    needed: int
    remaining: int | None = Field(description="Null: the plan has no message limit")
    short_by: int
    unlimited: bool


class Problem(BaseModel):
    code: str
    message: str


class LaunchSummary(BaseModel):
    audience: AudienceEstimate
    numbers: list[SummaryNumber]
    first_message_at: int | None
    finish_at: int | None
    forecast: fc.Forecast
    quota: QuotaNeed
    can_launch: bool
    problems: list[Problem]
    send_to_first_max: int | None = Field(
        description="Largest N for 'send to the first N' when the quota is short"
    )
    send_to_first_finish_at: int | None = Field(
        default=None, description="Forecast finish when only the first N are sent (epoch ms)"
    )


def audience_of(campaign: CampaignModel) -> AudienceEstimate:
    """Exact counts when a preparing walk completed; otherwise the cheap estimate."""
    counts = plain(campaign.prepare_counts)
    if counts and int(campaign.prepare_page or 0) > 0 and not campaign.prepare_cursor:
        opted_out = int(counts.get("opted_out", 0))
        checked = int(counts.get("checked", 0))
        return AudienceEstimate(
            selected=checked,
            opted_out=opted_out,
            missing_variables=int(counts.get("missing_variables", 0)),
            recipients=int(counts.get("recipients", 0)),
            exact=True,
        )
    if campaign.follow_up:
        return follow_up_sample(campaign)[0]  # the origin's matching recipients
    return estimate_audience(
        campaign.user_id,
        plain(campaign.audience),
        campaign.template,
        campaign.on_missing_variable or "block",
    )


def launch_summary(campaign: CampaignModel, now: datetime | None = None) -> LaunchSummary:
    from chalicelib.campaigns import quota

    now = now or now_dt()
    session_ids = list(campaign.session_ids or [])
    sessions = sessions_by_id(campaign.user_id, session_ids)
    audience = audience_of(campaign)
    predicted = campaign_forecast(campaign, sessions, now, remaining=audience.recipients)
    assert predicted is not None
    numbers = [
        SummaryNumber(
            session_id=sid,
            label=sessions[sid].label if sid in sessions else None,
            status=sessions[sid].status if sid in sessions else "removed",
            connected=sid in sessions and sessions[sid].status == "connected",
        )
        for sid in session_ids
    ]
    left = quota.remaining(campaign.user_id)
    needed = audience.recipients
    short = max(0, needed - left) if left is not None else 0
    problems: list[Problem] = []
    offline = [n.label or n.session_id for n in numbers if not n.connected]
    if offline:
        problems.append(
            Problem(
                code="sessions_not_ready",
                message=f"Connect {', '.join(offline)} first: every sending number must be "
                "connected.",
            )
        )
    if len(campaign.template) > templates.MAX_LENGTH:
        problems.append(
            Problem(
                code="message_too_long",
                message=f"The message is {len(campaign.template):,} characters long; WhatsApp "
                f"allows at most {templates.MAX_LENGTH:,}.",
            )
        )
    if audience.missing_variables and (campaign.on_missing_variable or "block") == "block":
        problems.append(
            Problem(
                code="missing_variables",
                message=f"About {audience.missing_variables:,} recipient(s) lack a variable "
                "without a fallback: add a fallback, or choose to skip them.",
            )
        )
    if needed == 0:
        problems.append(Problem(code="empty_audience", message="No one to message."))
    elif short:
        problems.append(
            Problem(
                code="quota_short",
                message=f"This needs {needed:,} messages but only {left:,} remain in your plan "
                "this period.",
            )
        )
    first_n = left if short and left else None
    # Choosing between an upgrade and a partial send: when would the first N be done?
    partial = campaign_forecast(campaign, sessions, now, remaining=first_n) if first_n else None
    return LaunchSummary(
        audience=audience,
        numbers=numbers,
        first_message_at=predicted.first_message_at,
        finish_at=predicted.finish_at,
        forecast=predicted,
        quota=QuotaNeed(needed=needed, remaining=left, short_by=short, unlimited=left is None),
        can_launch=not problems,
        problems=problems,
        send_to_first_max=first_n,
        send_to_first_finish_at=partial.finish_at if partial else None,
    )


def known_variables(user_id: str) -> list[str]:
    """Built-in variables, then custom fields seen in the first page of contacts."""
    import chalicelib.contacts.service as contacts
    from chalicelib.models.contacts import ContactModel

    names = list(templates.BUILTIN)
    for contact in ContactModel.query(user_id, limit=SAMPLE_CONTACTS):
        for name in contacts.fields_of(contact):
            if name not in names:
                names.append(name)
    return names


def follow_up_sample(campaign: CampaignModel) -> tuple[Any, list[dict[str, Any]]]:
    """A follow-up's audience as the composer shows it (``AudienceEstimate``, and
    who lacks a variable): the origin's matching recipients now, within its tags, less
    opt-outs. Exact up to ``followups.PREVIEW_LIMIT`` origin messages, scaled from them beyond."""
    from chalicelib.campaigns import followups
    from chalicelib.models.contacts import ContactModel

    follow_up = plain(campaign.follow_up)
    origin, kind = str(follow_up["campaign_id"]), str(follow_up["kind"])
    scanned, phones = 0, []
    result = CampaignMessageModel.query(
        origin,
        attributes_to_get=["phone", "status", "read_at", "replied_at"],
        limit=followups.PREVIEW_LIMIT,
    )
    for m in result:
        scanned += 1
        if followups.matches(m, kind):
            phones.append(m.phone)
    exact = result.last_evaluated_key is None
    audience = plain(campaign.audience)
    tags = set(audience.get("tags") or [])
    everyone = bool(audience.get("all")) or not tags
    found = [
        c
        for c in ContactModel.batch_get([(campaign.user_id, p) for p in phones])
        if everyone or set(c.tags or ()) & tags
    ]
    opted_out, missing, affected = check_sample(campaign.user_id, found, campaign.template)
    selected = len(found)
    if not exact and scanned:
        scale = int(followups.campaign_total(origin, campaign.user_id)) / scanned
        selected, opted_out, missing = (round(x * scale) for x in (selected, opted_out, missing))
    skip = campaign.on_missing_variable == "skip"
    recipients = selected - opted_out - (missing if skip else 0)
    estimate = AudienceEstimate(
        selected=selected,
        opted_out=opted_out,
        missing_variables=missing,
        recipients=max(0, recipients),
        exact=exact,
    )
    return estimate, affected
