"""Drafts made from another campaign: a follow-up (its audience narrowed by
``followups``) and a duplicate. Both are created through ``service.create``, the one
way a campaign is composed, so they get its checks."""

from __future__ import annotations

from typing import Any

from chalicelib.campaigns import followups, frequency, lifecycle, service, variants
from chalicelib.campaigns.audience_options import DEFAULT_HOURS
from chalicelib.models.base import plain
from chalicelib.models.campaigns import CampaignModel

COPIED = ("template", "media_key", "session_ids", "pacing", "on_missing_variable", "timezone")


def create_follow_up(
    user_id: str,
    campaign_id: str,
    kind: str,
    after_days: int,
    timezone: str,
    name: str | None = None,
    template: str | None = None,
    frequency_cap_hours: int = DEFAULT_HOURS,
) -> CampaignModel:
    origin = followups.origin_of(user_id, campaign_id)
    data: dict[str, Any] = {
        "name": (name or f"{origin.name} — follow-up")[:120],
        "template": template or "",  # its own message, written in the editor
        "audience": {"all": True, "tags": []},
        "session_ids": list(origin.session_ids or []),  # the same chats continue
        "timezone": timezone,
        "pacing": plain(origin.pacing),
        "on_missing_variable": origin.on_missing_variable or "block",
        "send_at": followups.default_send_at(origin, after_days, timezone),
        "follow_up": {"campaign_id": origin.campaign_id, "kind": kind, "after_days": after_days},
        "frequency_cap_hours": frequency_cap_hours,
    }
    return service.create(user_id, data)


def duplicate(user_id: str, campaign_id: str) -> CampaignModel:
    """A new draft with the same message, image, audience, numbers and pacing; no schedule,
    no deadline and none of the original's counts."""
    source = lifecycle.get(user_id, campaign_id)
    data: dict[str, Any] = {name: getattr(source, name) for name in COPIED}
    data["session_ids"] = list(source.session_ids or [])
    data["pacing"] = plain(source.pacing)
    data["audience"] = plain(source.audience)
    data["name"] = f"{source.name[:113]} (copy)"
    data["frequency_cap_hours"] = frequency.hours_of(source)
    if getattr(source, "follow_up", None):
        data["follow_up"] = plain(source.follow_up)
    if source.variants:  # the A/B test, not its results or decision
        data["variants"] = variants.stored_variants(source.variants)
    if source.rollout:
        data["rollout"] = variants.stored_rollout(source.rollout)
    if not data["media_key"]:
        del data["media_key"]
    return service.create(user_id, data)
