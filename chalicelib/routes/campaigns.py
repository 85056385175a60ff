"""Campaigns: compose, preview, test, schedule, follow, export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalice import Response
from pydantic import ConfigDict, Field, field_validator, model_validator

from chalicelib import lazy
from chalicelib.api import Api, RequestContext, attachment
from chalicelib.basemodel import BaseModel
from chalicelib.campaigns import audience_options, planning, templates
from chalicelib.campaigns import forecast as forecast_model
from chalicelib.campaigns import health as health_model
from chalicelib.campaigns import variant_schema as ab
from chalicelib.campaigns.forecast import DEFAULT_PACE
from chalicelib.campaigns.statuses import CampaignStatusName, LaunchStage, MessageStatusName
from chalicelib.errors import NotFound, ValidationFailed
from chalicelib.pagination import Page, PageQuery

if TYPE_CHECKING:
    import chalicelib.contacts.service as contacts
    from chalicelib.auth import profile
    from chalicelib.campaigns import emails, followups, media, messages, service, trial
    from chalicelib.campaigns import progress as campaign_progress
    from chalicelib.campaigns.pacing import pacing_of
    from chalicelib.conversations import inbox
    from chalicelib.models.base import now_ms, plain
    from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel
else:  # imported on first use (chalicelib.lazy): cheap cold starts
    contacts = lazy.module("chalicelib.contacts.service")
    profile = lazy.module("chalicelib.auth.profile")
    emails = lazy.module("chalicelib.campaigns.emails")
    followups = lazy.module("chalicelib.campaigns.followups")
    messages = lazy.module("chalicelib.campaigns.messages")
    trial = lazy.module("chalicelib.campaigns.trial")
    campaign_progress = lazy.module("chalicelib.campaigns.progress")
    inbox = lazy.module("chalicelib.conversations.inbox")
    media = lazy.module("chalicelib.campaigns.media")
    pacing_of = lazy.attr("chalicelib.campaigns.pacing", "pacing_of")
    service = lazy.module("chalicelib.campaigns.service")
    now_ms = lazy.attr("chalicelib.models.base", "now_ms")
    plain = lazy.attr("chalicelib.models.base", "plain")
    CampaignMessageModel = lazy.attr("chalicelib.models.campaigns", "CampaignMessageModel")
    CampaignModel = lazy.attr("chalicelib.models.campaigns", "CampaignModel")

api = Api(__name__, "campaigns")
Handler = Callable[..., Any]

Tag = Annotated[str, Field(min_length=1, max_length=64)]
SessionIdField = Annotated[str, Field(min_length=1, max_length=64)]
HHMM = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Audience(Strict):
    all: bool = Field(False, description="Every contact (opted-out ones are always excluded)")
    tags: list[Tag] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def something_selected(self) -> Audience:
        if not self.all and not self.tags:
            raise ValueError("choose all contacts or at least one tag")
        return self


class PacingIn(Strict):
    min_gap_s: float = Field(
        DEFAULT_PACE.min_gap_s, ge=0, le=3600, description="Shortest gap between messages"
    )
    max_gap_s: float = Field(DEFAULT_PACE.max_gap_s, ge=0, le=3600)
    daily_cap: int = Field(
        DEFAULT_PACE.daily_cap, ge=1, le=100_000, description="Most messages a number sends a day"
    )
    warmup: bool = Field(
        DEFAULT_PACE.warmup, description="Ramp new numbers up: 20 on day one, doubling daily"
    )
    quiet_start: HHMM | None = None
    quiet_end: HHMM | None = None

    @model_validator(mode="after")
    def ordered(self) -> PacingIn:
        if self.max_gap_s < self.min_gap_s:
            raise ValueError("max_gap_s must be at least min_gap_s")
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("give both quiet_start and quiet_end, or neither")
        return self


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not an IANA timezone") from None
    return value


class _SendingChoices(Strict):
    """A known time zone, and each number once (campaign fields and the forecast)."""

    @field_validator("timezone", check_fields=False)
    @classmethod
    def known_timezone(cls, value: str) -> str:
        return _check_timezone(value)

    @field_validator("session_ids", check_fields=False)
    @classmethod
    def distinct(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


FREQUENCY_CAP = Field(
    audience_options.DEFAULT_HOURS,
    ge=0,
    le=audience_options.MAX_HOURS,
    description="Leave out contacts this account messaged in the last N hours; 0 is off",
)


class CampaignFields(_SendingChoices):
    name: str = Field(min_length=1, max_length=120)
    template: str = Field(min_length=1, max_length=templates.MAX_TEMPLATE_LENGTH)
    audience: Audience
    session_ids: list[SessionIdField] = Field(min_length=1, max_length=20)
    send_at: datetime | None = Field(
        None, description="Local date and time in `timezone`; empty means as soon as launched"
    )
    timezone: str = "UTC"
    pacing: PacingIn = Field(default_factory=PacingIn)
    on_missing_variable: Literal["block", "skip"] = "block"
    deadline: datetime | None = Field(
        None, description="Must be done by: local date and time in `timezone`"
    )
    frequency_cap_hours: int = FREQUENCY_CAP
    variants: list[ab.VariantIn] = Field(
        default_factory=list, max_length=3, description="Variants B-D (the template is A)"
    )
    rollout: ab.RolloutIn | None = Field(None, description="Send the rest with the best variant")


class CampaignPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=120)
    template: str | None = Field(None, min_length=1, max_length=templates.MAX_TEMPLATE_LENGTH)
    audience: Audience | None = None
    session_ids: list[SessionIdField] | None = Field(None, min_length=1, max_length=20)
    send_at: datetime | None = None
    timezone: str | None = None
    pacing: PacingIn | None = None
    on_missing_variable: Literal["block", "skip"] | None = None
    deadline: datetime | None = None
    frequency_cap_hours: int | None = Field(None, ge=0, le=audience_options.MAX_HOURS)
    variants: list[ab.VariantIn] | None = Field(None, max_length=3)
    rollout: ab.RolloutIn | None = None


def _local_ms(moment: datetime | None, timezone: str) -> int | None:
    if moment is None:
        return None
    local = moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))
    return int(local.timestamp() * 1000)


def _epoch_ms(send_at: datetime | None, timezone: str, unchanged: int | None = None) -> int | None:
    value = _local_ms(send_at, timezone)
    if value is not None and unchanged is not None and value // 60_000 == unchanged // 60_000:
        return unchanged  # the stored time, as a form shows it (to the minute): no change
    if value is not None and value < now_ms() - 60_000:
        raise ValidationFailed(
            "The send time is in the past.", [{"loc": ["send_at"], "msg": "in the past"}]
        )
    return value


def _stored(
    fields: dict[str, Any], timezone: str, current: CampaignModel | None = None
) -> dict[str, Any]:
    data = dict(fields)
    if "send_at" in data:
        stored = int(current.send_at) if current is not None and current.send_at else None
        data["send_at"] = _epoch_ms(data["send_at"], timezone, unchanged=stored)
    if "deadline" in data:
        data["deadline"] = _local_ms(data["deadline"], timezone)
    return data


class Counters(BaseModel):
    total: int
    pending: int
    leased: int
    sent: int
    delivered: int
    read: int
    failed: int
    skipped: int
    unknown: int
    cancelled: int
    replies: int


class Funnel(BaseModel):
    sent: int = Field(description="Sent, including those since delivered or read")
    delivered: int = Field(description="Delivered, including those since read")
    read: int
    replied: int = Field(0, description="Recipients who replied (first reply counts)")


class LaunchProblem(BaseModel):
    code: str
    message: str
    details: Any = None


class LaunchProgress(BaseModel):
    stage: LaunchStage
    checked: int = Field(description="Contacts checked by the preparing walk")
    recipients: int = Field(description="Recipients found so far")
    queued: int = Field(description="Messages written for sending so far")
    total: int | None = Field(description="Messages to write, once known")


class Campaign(BaseModel):
    campaign_id: str
    name: str
    status: str
    pause_reason: str | None
    template: str
    has_media: bool
    audience: dict[str, Any]
    session_ids: list[str]
    send_at: int | None
    timezone: str
    pacing: dict[str, Any]
    on_missing_variable: str
    counters: Counters
    funnel: Funnel
    progress: float = Field(description="Share of recipients with a final outcome, 0..1")
    eta_s: int | None = Field(description="Seconds from now to the forecast finish")
    created_at: int
    launched_at: int | None
    completed_at: int | None
    deadline: int | None = None
    first_message_at: int | None = Field(None, description="Forecast (or actual) first message")
    finish_at: int | None = Field(None, description="Forecast finish of what is left")
    launch_problem: LaunchProblem | None = None
    launch_progress: LaunchProgress | None = None
    send_limit: int | None = None
    numbers: list[planning.NumberState] = Field(
        default_factory=list, description="Why it waits: each sending number's live state"
    )
    follow_up: dict[str, Any] | None = Field(
        None, description="Follows up {campaign_id, kind, after_days}: only those recipients"
    )
    frequency_cap_hours: int = 0
    frequency_capped: int = Field(
        0, description="Recipients left out by the frequency cap (counted, then skipped)"
    )
    variants: list[ab.VariantOut] = Field(default_factory=list)
    rollout: ab.Rollout | None = None
    variant_results: list[ab.VariantResult] = Field(default_factory=list)

    @classmethod
    def of(
        cls,
        c: CampaignModel,
        sessions: dict[str, Any] | None = None,
        now: datetime | None = None,
        running: list[CampaignModel] | None = None,
    ) -> Campaign:
        counts = campaign_progress.counts_of(c, list(Counters.model_fields))
        now = now or planning.now_dt()
        if sessions is None:
            sessions = planning.sessions_by_id(c.user_id, list(c.session_ids or []))
        if running is None:
            live = c.status in (service.RUNNING, service.SCHEDULED, service.PAUSED)
            running = planning.running_campaigns(c.user_id) if live else []
        predicted = planning.campaign_forecast(c, sessions, now, running=running)
        finish = predicted.finish_at if predicted and predicted.recipients else None
        # Once launched, sending began at launch (within seconds); before, the forecast's.
        first = int(c.first_sent_at or c.launched_at or 0) or None
        if first is None and predicted is not None:
            first = predicted.first_message_at
        problem = plain(c.launch_problem) if c.launch_problem else None
        return cls(
            campaign_id=c.campaign_id,
            name=c.name,
            status=c.status,
            pause_reason=c.pause_reason,
            template=c.template,
            has_media=bool(c.media_key),
            audience=plain(c.audience),
            session_ids=list(c.session_ids or []),
            send_at=int(c.send_at) if c.send_at else None,
            timezone=c.timezone or "UTC",
            pacing=pacing_of(c),
            on_missing_variable=c.on_missing_variable or "block",
            counters=Counters(**counts),
            funnel=Funnel(**campaign_progress.funnel_of(counts)),
            progress=campaign_progress.share_done(counts),
            eta_s=campaign_progress.eta_s(finish, now),
            created_at=int(c.created_at),
            launched_at=int(c.launched_at) if c.launched_at else None,
            completed_at=int(c.completed_at) if c.completed_at else None,
            deadline=int(c.deadline) if c.deadline else None,
            first_message_at=first,
            finish_at=finish,
            launch_problem=LaunchProblem(**problem) if problem else None,
            launch_progress=_launch_progress(c),
            send_limit=int(c.send_limit) if c.send_limit else None,
            numbers=planning.number_states(c, sessions, now, running),
            **followups.fields_of(c),
            **ab.fields_of(c),
        )


def _launch_progress(c: CampaignModel) -> LaunchProgress | None:
    found = campaign_progress.launch_progress(c)
    return LaunchProgress(**found) if found is not None else None


class CampaignQuery(PageQuery):
    status: CampaignStatusName | None = None


@api.route(
    "/api/campaigns",
    "POST",
    body=CampaignFields,
    response=Campaign,
    status=201,
    errors=(409, 422),
    summary="Create a draft campaign",
)
def create_campaign(ctx: RequestContext, body: CampaignFields) -> Campaign:
    assert ctx.user_id
    if "timezone" not in body.model_fields_set:  # the account's time zone by default
        body.timezone = profile.user_timezone(ctx.user_id)
    data = _stored(body.model_dump(mode="python"), body.timezone)
    return Campaign.of(service.create(ctx.user_id, data))


@api.route(
    "/api/campaigns",
    "GET",
    query=CampaignQuery,
    response=Page[Campaign],
    summary="Your campaigns, newest first",
)
def list_campaigns(ctx: RequestContext, query: CampaignQuery) -> Page[Campaign]:
    assert ctx.user_id
    items, cursor = service.list_for(ctx.user_id, query.limit, query.cursor, query.status)
    sessions = planning.all_sessions(ctx.user_id) if items else {}
    running = planning.running_campaigns(ctx.user_id) if items else []
    now = planning.now_dt()
    return Page[Campaign](
        items=[Campaign.of(c, sessions, now, running) for c in items], next_cursor=cursor
    )


@api.route(
    "/api/campaigns/{campaign_id}",
    "GET",
    response=Campaign,
    errors=(404,),
    summary="One campaign with counters, progress and ETA",
)
def get_campaign(ctx: RequestContext, campaign_id: str) -> Campaign:
    assert ctx.user_id
    return Campaign.of(service.get(ctx.user_id, campaign_id))


@api.route(
    "/api/campaigns/{campaign_id}",
    "PATCH",
    body=CampaignPatch,
    response=Campaign,
    errors=(404, 409, 422),
    summary="Edit a draft, scheduled or paused campaign",
)
def update_campaign(ctx: RequestContext, campaign_id: str, body: CampaignPatch) -> Campaign:
    assert ctx.user_id
    current = service.get(ctx.user_id, campaign_id)
    changes = body.model_dump(mode="python", exclude_unset=True)
    if "timezone" in changes and changes["timezone"] is not None:
        _check_timezone(changes["timezone"])
    changes = {
        k: v for k, v in changes.items() if v is not None or k in ("send_at", "deadline", "rollout")
    }
    data = _stored(changes, changes.get("timezone") or current.timezone or "UTC", current)
    return Campaign.of(service.update(ctx.user_id, campaign_id, data))


@api.route(
    "/api/campaigns/{campaign_id}",
    "DELETE",
    status=204,
    errors=(404, 409),
    summary="Delete a draft",
)
def delete_campaign(ctx: RequestContext, campaign_id: str) -> None:
    assert ctx.user_id
    service.delete_draft(ctx.user_id, campaign_id)


class PreviewBody(Strict):
    phone: str = Field(min_length=3, max_length=32)
    variant: Literal["A", "B", "C", "D"] | None = Field(
        None, description="The A/B variant to render (A, the template, by default)"
    )


class Preview(BaseModel):
    text: str
    length: int
    missing: list[str]
    truncated: bool


def _contact(user_id: str, phone: str) -> Any:
    try:
        return contacts.get_contact(user_id, phone)
    except NotFound:
        raise NotFound("No contact with that number.") from None


@api.route(
    "/api/campaigns/{campaign_id}/preview",
    "POST",
    body=PreviewBody,
    response=Preview,
    errors=(404,),
    summary="Render the message for one contact",
)
def preview_campaign(ctx: RequestContext, campaign_id: str, body: PreviewBody) -> Preview:
    assert ctx.user_id
    campaign = service.get(ctx.user_id, campaign_id)
    contact = _contact(ctx.user_id, body.phone)
    rendered = templates.render(
        ab.template_of(campaign, body.variant),
        templates.contact_values_of(contact),
        seed=f"{campaign_id}:{contact.phone}",
    )
    return Preview(
        text=rendered.text,
        length=len(rendered.text),
        missing=list(rendered.missing),
        truncated=rendered.truncated,
    )


class AudienceCheck(BaseModel):
    recipients: int
    opted_out: int
    missing_variables: int
    affected: list[dict[str, Any]] = Field(description="Contacts lacking a variable (≤ 100)")
    exact: bool = Field(
        True, description="False: counts scaled from the first 1,000 contacts (large lists)"
    )


@api.route(
    "/api/campaigns/{campaign_id}/audience",
    "GET",
    response=AudienceCheck,
    errors=(404,),
    summary="Who would receive it, and who lacks a variable (estimated for large lists)",
)
def check_audience(ctx: RequestContext, campaign_id: str) -> AudienceCheck:
    assert ctx.user_id
    campaign = service.get(ctx.user_id, campaign_id)
    # Never a full walk while composing: counters and the first page of contacts.
    estimate, affected = (
        planning.follow_up_sample(campaign)  # a follow-up: the origin's matching recipients
        if campaign.follow_up
        else planning.sample_audience(
            ctx.user_id,
            plain(campaign.audience),
            campaign.template,
            campaign.on_missing_variable or "block",
        )
    )
    return AudienceCheck(
        recipients=estimate.recipients,
        opted_out=estimate.opted_out,
        missing_variables=estimate.missing_variables,
        affected=affected,
        exact=estimate.exact,
    )


class TestBody(Strict):
    session_id: SessionIdField
    to: str = Field(min_length=3, max_length=32, description="A contact's phone (E.164)")
    variant: Literal["A", "B", "C", "D"] | None = Field(
        None, description="Which A/B variant's message to send (default A, the main one)"
    )


class Queued(BaseModel):
    message: str
    # The same figures as the sentence, for a client that says them in its own language.
    tests_left: int = Field(description="Test sends still allowed now (rolling day)")
    tests_per_day: int = Field(description="The daily test-send allowance")


@api.route(
    "/api/campaigns/{campaign_id}/test",
    "POST",
    body=TestBody,
    response=Queued,
    status=202,
    errors=(404, 409),
    summary="Send one test message now",
)
def test_campaign(ctx: RequestContext, campaign_id: str, body: TestBody) -> Queued:
    assert ctx.user_id
    campaign = service.get(ctx.user_id, campaign_id)
    contact = _contact(ctx.user_id, body.to)
    trial.queue(campaign, body.session_id, contact, body.variant)
    left, allowed = trial.tests_left(ctx.user_id), trial.daily_allowance()
    return Queued(
        message=f"The test message is on its way. {left} of {allowed} tests left for today.",
        tests_left=left,
        tests_per_day=allowed,
    )


class UploadSlot(BaseModel):
    upload_url: str = Field(description="POST the image here (JPEG, PNG or WebP, ≤ 5 MB)")
    upload_fields: dict[str, str] = Field(
        description="Form fields to send first, the file last as `file`; Content-Type may be "
        "set to the image's type"
    )
    method: Literal["POST"] = "POST"
    upload_key: str
    expires_in: int


class AttachBody(Strict):
    upload_key: str = Field(min_length=1, max_length=300)


@api.route(
    "/api/campaigns/{campaign_id}/media/upload",
    "POST",
    response=UploadSlot,
    errors=(404,),
    summary="Get a URL to upload the campaign's image to",
)
def media_upload(ctx: RequestContext, campaign_id: str) -> UploadSlot:
    assert ctx.user_id
    service.get(ctx.user_id, campaign_id)
    url, fields, key = media.upload_slot(ctx.user_id, campaign_id)
    return UploadSlot(
        upload_url=url, upload_fields=fields, upload_key=key, expires_in=media.UPLOAD_URL_SECONDS
    )


@api.route(
    "/api/campaigns/{campaign_id}/media",
    "PUT",
    body=AttachBody,
    response=Campaign,
    errors=(404, 409, 422),
    summary="Attach the uploaded image (checked and normalised)",
)
def media_attach(ctx: RequestContext, campaign_id: str, body: AttachBody) -> Campaign:
    assert ctx.user_id
    service.get(ctx.user_id, campaign_id)
    key = media.attach(ctx.user_id, campaign_id, body.upload_key)
    return Campaign.of(service.update(ctx.user_id, campaign_id, {"media_key": key}))


@api.route(
    "/api/campaigns/{campaign_id}/media",
    "DELETE",
    response=Campaign,
    errors=(404, 409),
    summary="Remove the image",
)
def media_remove(ctx: RequestContext, campaign_id: str) -> Campaign:
    assert ctx.user_id
    return Campaign.of(service.update(ctx.user_id, campaign_id, {"media_key": None}))


class MediaLink(BaseModel):
    url: str


@api.route(
    "/api/campaigns/{campaign_id}/media",
    "GET",
    response=MediaLink,
    errors=(404,),
    summary="A short-lived link to the campaign's image",
)
def media_get(ctx: RequestContext, campaign_id: str) -> MediaLink:
    assert ctx.user_id
    campaign = service.get(ctx.user_id, campaign_id)
    if not campaign.media_key:
        raise NotFound("This campaign has no image.")
    return MediaLink(url=media.download_url(campaign.media_key))


class ScheduleBody(Strict):
    send_to_first: int | None = Field(
        None,
        ge=1,
        le=10_000_000,
        description="Send only to the first N recipients; the rest are kept skipped (quota)",
    )


@api.route(
    "/api/campaigns/{campaign_id}/schedule",
    "POST",
    body=ScheduleBody,
    response=Campaign,
    status=202,
    errors=(404, 409, 422),
    summary="Launch (now, or at send_at): answers at once; the campaign is `preparing`",
)
def schedule_campaign(ctx: RequestContext, campaign_id: str, body: ScheduleBody) -> Campaign:
    assert ctx.user_id
    return Campaign.of(service.schedule(ctx.user_id, campaign_id, body.send_to_first))


def _lifecycle_route(action: str, summary: str) -> Callable[[Handler], Handler]:
    """The three lifecycle moves share their route shape: POST, no body, the campaign."""
    return api.route(
        f"/api/campaigns/{{campaign_id}}/{action}",
        "POST",
        response=Campaign,
        errors=(404, 409, 422),
        summary=summary,
    )


@_lifecycle_route("pause", "Pause a running campaign (takes effect within one batch)")
def pause_campaign(ctx: RequestContext, campaign_id: str) -> Campaign:
    assert ctx.user_id
    return Campaign.of(service.pause(ctx.user_id, campaign_id))


@_lifecycle_route("resume", "Resume a paused campaign")
def resume_campaign(ctx: RequestContext, campaign_id: str) -> Campaign:
    assert ctx.user_id
    return Campaign.of(service.resume(ctx.user_id, campaign_id))


@_lifecycle_route(
    "cancel", "Cancel a scheduled, running or paused campaign (a preparing one: back to draft)"
)
def cancel_campaign(ctx: RequestContext, campaign_id: str) -> Campaign:
    assert ctx.user_id
    return Campaign.of(service.cancel(ctx.user_id, campaign_id))


class Retried(BaseModel):
    requeued: int


@api.route(
    "/api/campaigns/{campaign_id}/retry-failed",
    "POST",
    response=Retried,
    errors=(404, 409),
    summary="Send again the failures with a retryable reason",
)
def retry_failed(ctx: RequestContext, campaign_id: str) -> Retried:
    assert ctx.user_id
    return Retried(requeued=service.retry_failed(ctx.user_id, campaign_id))


class Message(BaseModel):
    phone: str
    name: str | None
    status: str
    reason: str | None
    session_id: str
    attempts: int
    queued_at: int
    sent_at: int | None
    delivered_at: int | None
    read_at: int | None
    failed_at: int | None
    replied_at: int | None
    detail: str | None = Field(None, description="The engine's own words for a failure")
    reply_text: str | None = Field(None, description="Their last reply, with ?replied=true")
    variant: str | None = Field(None, description="A-D; empty while it waits for the winner")

    @classmethod
    def of(cls, m: CampaignMessageModel) -> Message:
        def opt(value: Any) -> int | None:
            return int(value) if value else None

        return cls(
            phone=m.phone,
            name=m.name,
            status=m.status,
            reason=m.reason,
            session_id=m.session_id,
            attempts=int(m.attempts or 0),
            queued_at=int(m.queued_at),
            sent_at=opt(m.sent_at),
            delivered_at=opt(m.delivered_at),
            read_at=opt(m.read_at),
            failed_at=opt(m.failed_at),
            replied_at=opt(m.replied_at),
            detail=m.detail,
            variant=m.variant,
        )


class MessageQuery(PageQuery):
    status: MessageStatusName | None = None
    replied: bool | None = Field(None, description="Only those who replied, with the reply")


@api.route(
    "/api/campaigns/{campaign_id}/messages",
    "GET",
    query=MessageQuery,
    response=Page[Message],
    errors=(404,),
    summary="Every recipient and its status",
)
def list_messages(ctx: RequestContext, campaign_id: str, query: MessageQuery) -> Page[Message]:
    assert ctx.user_id
    service.get(ctx.user_id, campaign_id)
    found, cursor = messages.page(
        campaign_id, query.limit, query.cursor, query.status, query.replied
    )
    items = [Message.of(m) for m in found]
    if query.replied:
        inbox.add_reply_texts(ctx.user_id, items)
    return Page[Message](items=items, next_cursor=cursor)


def _csv_cell(column: str, value: Any) -> str:
    text = "" if value is None else str(value)
    if column == "phone":
        return text  # validated E.164 digits: nothing a spreadsheet could run
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@api.route(
    "/api/campaigns/{campaign_id}/export",
    "GET",
    response="csv",
    errors=(404,),
    content_type="text/csv",
    summary="Every recipient and outcome as CSV",
)
def export_messages(ctx: RequestContext, campaign_id: str) -> Response:
    assert ctx.user_id
    campaign = service.get(ctx.user_id, campaign_id)
    out = io.StringIO()
    writer = csv.writer(out)
    columns = list(Message.model_fields)
    writer.writerow(columns)
    for message in messages.all_of(campaign_id):
        row = Message.of(message).model_dump()
        writer.writerow([_csv_cell(c, row[c]) for c in columns])
    filename = f"{campaign.name[:40]}-{campaign_id}.csv"
    return Response(
        body=out.getvalue(),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": attachment(filename),
        },
    )


# --- planning: forecast and launch summary (docs/campaign-planning.md) ---------------------


class ForecastBody(_SendingChoices):
    session_ids: list[SessionIdField] = Field(min_length=1, max_length=20)
    audience: Audience | None = None
    recipients: int | None = Field(
        None, ge=0, le=10_000_000, description="Overrides the audience's estimate"
    )
    pacing: PacingIn = Field(default_factory=PacingIn)
    timezone: str = "UTC"
    send_at: datetime | None = None
    deadline: datetime | None = None
    template: str | None = Field(None, max_length=templates.MAX_TEMPLATE_LENGTH)
    on_missing_variable: Literal["block", "skip"] = "block"


class ForecastOut(BaseModel):
    forecast: forecast_model.Forecast
    audience: planning.AudienceEstimate | None


def _utc(moment: datetime | None, timezone: str) -> datetime | None:
    value = _local_ms(moment, timezone)
    return datetime.fromtimestamp(value / 1000, tz=UTC) if value is not None else None


@api.route(
    "/api/campaigns/forecast",
    "POST",
    body=ForecastBody,
    response=ForecastOut,
    errors=(422,),
    summary="Forecast unsaved composer values: first message, per day, finish, deadline",
)
def forecast_unsaved(ctx: RequestContext, body: ForecastBody) -> ForecastOut:
    assert ctx.user_id
    audience = None
    recipients = body.recipients
    if recipients is None:
        if body.audience is None:
            raise ValidationFailed(
                "Choose who receives it to see how long it takes.",
                [{"loc": ["audience"], "msg": "choose the audience or give recipients"}],
            )
        audience = planning.estimate_audience(
            ctx.user_id, body.audience.model_dump(), body.template, body.on_missing_variable
        )
        recipients = audience.recipients
    now = planning.now_dt()
    sessions = planning.sessions_by_id(ctx.user_id, body.session_ids)
    ahead = planning.ahead_of(None, body.session_ids, planning.running_campaigns(ctx.user_id))
    result = forecast_model.forecast(
        planning.number_plans(body.session_ids, recipients, sessions, now, ahead),
        planning.pace_of(body.pacing.model_dump()),
        body.timezone,
        now,
        send_at=_utc(body.send_at, body.timezone),
        deadline=_utc(body.deadline, body.timezone),
    )
    return ForecastOut(forecast=result, audience=audience)


@api.route(
    "/api/campaigns/{campaign_id}/forecast",
    "GET",
    response=forecast_model.Forecast,
    errors=(404,),
    summary="The campaign's forecast: what is left (or its audience, for a draft)",
)
def campaign_forecast(ctx: RequestContext, campaign_id: str) -> forecast_model.Forecast:
    assert ctx.user_id
    campaign = service.get(ctx.user_id, campaign_id)
    remaining = planning.remaining_of(campaign)
    if remaining is None:
        remaining = planning.audience_of(campaign).recipients
    result = planning.campaign_forecast(campaign, remaining=remaining)
    assert result is not None
    return result


@api.route(
    "/api/campaigns/{campaign_id}/launch-summary",
    "GET",
    response=planning.LaunchSummary,
    errors=(404,),
    summary="What launching means: recipients, numbers, times, quota needed vs left",
)
def launch_summary(ctx: RequestContext, campaign_id: str) -> planning.LaunchSummary:
    assert ctx.user_id
    return planning.launch_summary(service.get(ctx.user_id, campaign_id))


# --- which campaign events also send an email -------------------------------------------------


class EmailSettings(BaseModel):
    campaign_started: bool
    campaign_paused: bool
    campaign_finished: bool
    campaign_waiting: bool = Field(description="Waited over an hour for something other than gaps")


class EmailSettingsPatch(Strict):
    campaign_started: bool | None = None
    campaign_paused: bool | None = None
    campaign_finished: bool | None = None
    campaign_waiting: bool | None = None


@api.route(
    "/api/notification-settings",
    "GET",
    response=EmailSettings,
    summary="Which campaign events also send you an email",
)
def get_email_settings(ctx: RequestContext) -> EmailSettings:
    assert ctx.user_id
    return EmailSettings(**emails.settings_of(ctx.user_id))


@api.route(
    "/api/notification-settings",
    "PUT",
    body=EmailSettingsPatch,
    response=EmailSettings,
    errors=(422,),
    summary="Choose which campaign events also send you an email",
)
def put_email_settings(ctx: RequestContext, body: EmailSettingsPatch) -> EmailSettings:
    assert ctx.user_id
    changes = body.model_dump(exclude_none=True)
    return EmailSettings(**emails.update_settings(ctx.user_id, changes))


@api.route(
    "/api/sessions/health",
    "GET",
    response=health_model.HealthList,
    summary="Each number's health: today's room, the last 7 days, a badge with its reason",
)
def sessions_health(ctx: RequestContext) -> health_model.HealthList:
    assert ctx.user_id
    return health_model.number_health(ctx.user_id)


# --- the composer's template check -------------------------------------------------------------


class TemplateCheckBody(Strict):
    template: str = Field(max_length=templates.MAX_TEMPLATE_LENGTH)


class TemplateCheck(BaseModel):
    length: int
    max_length: int = Field(description="WhatsApp's limit: launch refuses more")
    over_by: int
    variables: list[str] = Field(description="Variables used, in order")
    required_variables: list[str] = Field(description="Used without a |fallback somewhere")
    unknown_variables: list[str] = Field(
        description="Neither built in nor a field of any of your first 1,000 contacts"
    )
    known_variables: list[str]
    problem: str | None = Field(description="Malformed spintax or braces, in words")


@api.route(
    "/api/campaigns/template-check",
    "POST",
    body=TemplateCheckBody,
    response=TemplateCheck,
    errors=(422,),
    summary="Check a message while typing: length, variables, unknown ones",
)
def template_check(ctx: RequestContext, body: TemplateCheckBody) -> TemplateCheck:
    assert ctx.user_id
    used = templates.variables(body.template)
    known = planning.known_variables(ctx.user_id)
    problem = None
    try:
        templates.validate(body.template)
    except templates.TemplateError as error:
        problem = str(error)
    return TemplateCheck(
        length=len(body.template),
        max_length=templates.MAX_LENGTH,
        over_by=max(0, len(body.template) - templates.MAX_LENGTH),
        variables=used,
        required_variables=templates.required_variables(body.template),
        unknown_variables=[name for name in used if name not in known],
        known_variables=known,
        problem=problem,
    )
