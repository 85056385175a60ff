"""Follow up a campaign, duplicate one, and preview a follow-up's audience."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from chalicelib import lazy
from chalicelib.api import Api, RequestContext
from chalicelib.auth import profile
from chalicelib.basemodel import BaseModel
from chalicelib.campaigns import audience_options, templates
from chalicelib.routes.campaigns import FREQUENCY_CAP, Campaign, Strict

if TYPE_CHECKING:
    from chalicelib.campaigns import derived, followups
else:  # imported on first use (chalicelib.lazy): cheap cold starts
    derived = lazy.module("chalicelib.campaigns.derived")
    followups = lazy.module("chalicelib.campaigns.followups")

api = Api(__name__, "campaigns")


class FollowUpBody(Strict):
    kind: audience_options.Kind = Field(
        description="Who: not_read, not_replied, or read_not_replied (read but no reply)"
    )
    after_days: int = Field(
        audience_options.DEFAULT_AFTER_DAYS,
        ge=0,
        le=90,
        description="Send this many days after the original (at the same local time)",
    )
    name: str | None = Field(None, min_length=1, max_length=120)
    template: str | None = Field(
        None, max_length=templates.MAX_TEMPLATE_LENGTH, description="Its own message"
    )
    frequency_cap_hours: int = FREQUENCY_CAP


class FollowUpPreview(BaseModel):
    not_read: int = Field(description="Received it but have not read it")
    not_replied: int = Field(description="Received it and have not replied")
    read_not_replied: int = Field(description="Read it but have not replied")
    exact: bool = Field(description="False: estimated from the campaign's counters")


@api.route(
    "/api/campaigns/{campaign_id}/follow-up",
    "POST",
    body=FollowUpBody,
    response=Campaign,
    status=201,
    errors=(404, 409, 422),
    summary="A draft to the recipients who did not read or reply, N days later",
)
def follow_up(ctx: RequestContext, campaign_id: str, body: FollowUpBody) -> Campaign:
    assert ctx.user_id
    draft = derived.create_follow_up(
        ctx.user_id,
        campaign_id,
        body.kind,
        body.after_days,
        profile.user_timezone(ctx.user_id),
        name=body.name,
        template=body.template,
        frequency_cap_hours=body.frequency_cap_hours,
    )
    return Campaign.of(draft)


@api.route(
    "/api/campaigns/{campaign_id}/follow-up",
    "GET",
    response=FollowUpPreview,
    errors=(404, 409),
    summary="How many recipients each kind of follow-up would reach",
)
def follow_up_preview(ctx: RequestContext, campaign_id: str) -> FollowUpPreview:
    assert ctx.user_id
    return FollowUpPreview(**followups.preview(ctx.user_id, campaign_id))


@api.route(
    "/api/campaigns/{campaign_id}/duplicate",
    "POST",
    response=Campaign,
    status=201,
    errors=(404, 409),
    summary="A new draft with the same message, image, audience, numbers and pacing",
)
def duplicate(ctx: RequestContext, campaign_id: str) -> Campaign:
    assert ctx.user_id
    return Campaign.of(derived.duplicate(ctx.user_id, campaign_id))
