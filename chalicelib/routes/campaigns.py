"""Campaigns: compose, preview, test, schedule, follow, export."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalice import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib.api import Api, RequestContext
from chalicelib.auth import profile
from chalicelib.campaigns import media, pipeline, service, templates
from chalicelib.errors import NotFound, ValidationFailed
from chalicelib.models.base import now_ms, plain
from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel
from chalicelib.pagination import Page, PageQuery, decode_cursor, encode_cursor

api = Api(__name__, "campaigns")

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
    min_gap_s: float = Field(20, ge=0, le=3600, description="Shortest gap between messages")
    max_gap_s: float = Field(60, ge=0, le=3600)
    daily_cap: int = Field(200, ge=1, le=100_000, description="Most messages a number sends a day")
    warmup: bool = Field(True, description="Ramp new numbers up: 20 on day one, doubling daily")
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


class CampaignFields(Strict):
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

    @field_validator("timezone")
    @classmethod
    def known_timezone(cls, value: str) -> str:
        return _check_timezone(value)

    @field_validator("session_ids")
    @classmethod
    def distinct(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class CampaignPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=120)
    template: str | None = Field(None, min_length=1, max_length=templates.MAX_TEMPLATE_LENGTH)
    audience: Audience | None = None
    session_ids: list[SessionIdField] | None = Field(None, min_length=1, max_length=20)
    send_at: datetime | None = None
    timezone: str | None = None
    pacing: PacingIn | None = None
    on_missing_variable: Literal["block", "skip"] | None = None


def _epoch_ms(send_at: datetime | None, timezone: str) -> int | None:
    if send_at is None:
        return None
    local = send_at if send_at.tzinfo else send_at.replace(tzinfo=ZoneInfo(timezone))
    value = int(local.timestamp() * 1000)
    if value < now_ms() - 60_000:
        raise ValidationFailed(
            "The send time is in the past.", [{"loc": ["send_at"], "msg": "in the past"}]
        )
    return value


def _stored(fields: dict[str, Any], timezone: str) -> dict[str, Any]:
    data = dict(fields)
    if "send_at" in data:
        data["send_at"] = _epoch_ms(data["send_at"], timezone)
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
    eta_s: int | None = Field(description="Seconds until done at the configured pacing")
    created_at: int
    launched_at: int | None
    completed_at: int | None

    @classmethod
    def of(cls, c: CampaignModel) -> Campaign:
        counts = {name: int(getattr(c, name) or 0) for name in Counters.model_fields}
        final = sum(
            counts[k]
            for k in ("sent", "delivered", "read", "failed", "skipped", "unknown", "cancelled")
        )
        remaining = counts["pending"] + counts["leased"]
        pacing = pipeline.pacing_of(c)
        numbers = max(1, len(c.session_ids or []))
        eta = None
        if c.status in (service.RUNNING, service.SCHEDULED) and (remaining or not c.materialised):
            gap = (float(pacing["min_gap_s"]) + float(pacing["max_gap_s"])) / 2
            eta = int(remaining * gap / numbers)
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
            pacing=pacing,
            on_missing_variable=c.on_missing_variable or "block",
            counters=Counters(**counts),
            funnel=Funnel(
                sent=counts["sent"] + counts["delivered"] + counts["read"],
                delivered=counts["delivered"] + counts["read"],
                read=counts["read"],
            ),
            progress=round(final / counts["total"], 4) if counts["total"] else 0.0,
            eta_s=eta,
            created_at=int(c.created_at),
            launched_at=int(c.launched_at) if c.launched_at else None,
            completed_at=int(c.completed_at) if c.completed_at else None,
        )


class CampaignQuery(PageQuery):
    status: Literal["draft", "scheduled", "running", "paused", "completed", "cancelled"] | None = (
        None
    )


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
    return Page[Campaign](items=[Campaign.of(c) for c in items], next_cursor=cursor)


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
    changes = {k: v for k, v in changes.items() if v is not None or k == "send_at"}
    data = _stored(changes, changes.get("timezone") or current.timezone or "UTC")
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


class Preview(BaseModel):
    text: str
    length: int
    missing: list[str]
    truncated: bool


def _contact(user_id: str, phone: str) -> Any:
    import chalicelib.contacts.service as contacts

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
        campaign.template, service.contact_values_of(contact), seed=f"{campaign_id}:{contact.phone}"
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
    affected: list[dict[str, Any]]


@api.route(
    "/api/campaigns/{campaign_id}/audience",
    "GET",
    response=AudienceCheck,
    errors=(404,),
    summary="Who would receive it, and who lacks a variable",
)
def check_audience(ctx: RequestContext, campaign_id: str) -> AudienceCheck:
    assert ctx.user_id
    report = service.check_audience(ctx.user_id, service.get(ctx.user_id, campaign_id))
    return AudienceCheck(**report.__dict__)


class TestBody(Strict):
    session_id: SessionIdField
    to: str = Field(min_length=3, max_length=32, description="A contact's phone (E.164)")


class Queued(BaseModel):
    message: str


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
    from chalicelib.campaigns import trial

    assert ctx.user_id
    campaign = service.get(ctx.user_id, campaign_id)
    contact = _contact(ctx.user_id, body.to)
    trial.queue(campaign, body.session_id, contact)
    return Queued(message="The test message is on its way.")


class UploadSlot(BaseModel):
    upload_url: str = Field(description="PUT the image here (JPEG, PNG or WebP, ≤ 5 MB)")
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
    url, key = media.upload_slot(ctx.user_id, campaign_id)
    return UploadSlot(upload_url=url, upload_key=key, expires_in=media.UPLOAD_URL_SECONDS)


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


def _lifecycle(name: str, summary: str) -> None:
    action = getattr(service, name)

    def handler(ctx: RequestContext, campaign_id: str) -> Campaign:
        assert ctx.user_id
        action(ctx.user_id, campaign_id)
        return Campaign.of(service.get(ctx.user_id, campaign_id, consistent=True))

    handler.__name__ = f"{name}_campaign"
    api.route(
        f"/api/campaigns/{{campaign_id}}/{name}",
        "POST",
        response=Campaign,
        errors=(404, 409, 422),
        summary=summary,
    )(handler)


_lifecycle("schedule", "Schedule (or launch now, with no send_at): reserves quota")
_lifecycle("pause", "Pause a running campaign (takes effect within one batch)")
_lifecycle("resume", "Resume a paused campaign")
_lifecycle("cancel", "Cancel a scheduled, running or paused campaign")


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
        )


MessageStatus = Literal[
    "pending", "leased", "sent", "delivered", "read", "failed", "skipped", "unknown", "cancelled"
]


class MessageQuery(PageQuery):
    status: MessageStatus | None = None


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
    start = decode_cursor(
        query.cursor, {"campaign_id", "phone"}, owner=("campaign_id", campaign_id)
    )
    condition = CampaignMessageModel.status == query.status if query.status else None
    result = CampaignMessageModel.query(
        campaign_id, limit=query.limit, last_evaluated_key=start, filter_condition=condition
    )
    items = [Message.of(m) for m in result]
    return Page[Message](items=items, next_cursor=encode_cursor(result.last_evaluated_key))


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
    for message in CampaignMessageModel.query(campaign_id):
        row = Message.of(message).model_dump()
        writer.writerow([_csv_cell(c, row[c]) for c in columns])
    filename = f"{campaign.name[:40].replace(chr(34), '')}-{campaign_id}.csv"
    return Response(
        body=out.getvalue(),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )
