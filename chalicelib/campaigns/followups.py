"""Follow-ups, duplicates, and the audience narrowing both the preparing walk and the launch use.

A follow-up is a draft whose audience is "the recipients of campaign X who did not read /
did not reply / read but did not reply". It is stored on the campaign as ``follow_up``
(``{campaign_id, kind, after_days}``), beside the ordinary ``audience`` (all or tags), so
editing the tags never loses it: the walks keep a contact only if it is in the audience
and its message in campaign X matches the kind.

When the audience is decided: from the origin's messages as they are when the follow-up
is walked, i.e. counted when it is prepared (launch pressed) and fixed for good when its
messages are written at its send time (``launch.materialise_chunk``). So a reply that
arrives after the follow-up was prepared but before it sends still takes that contact
out; from then the follow-up's messages are the frozen list.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.campaigns import frequency, service, variants
from chalicelib.campaigns.audience_options import DEFAULT_HOURS
from chalicelib.errors import Conflict
from chalicelib.models.base import now_ms, plain
from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel

KINDS: tuple[str, ...] = ("not_read", "not_replied", "read_not_replied")
RECEIVED = ("sent", "delivered", "read")  # failed, skipped, cancelled, unknown never arrived
PREVIEW_LIMIT = 20_000  # messages counted exactly; beyond, the counters give an estimate
FOLLOWABLE = {service.RUNNING, service.PAUSED, service.COMPLETED, service.CANCELLED}
COPIED = ("template", "media_key", "session_ids", "pacing", "on_missing_variable", "timezone")


def matches(message: Any, kind: str) -> bool:
    """Whether one origin message's recipient belongs to a follow-up of this kind."""
    if message.status not in RECEIVED:
        return False
    replied = bool(message.replied_at)
    read = message.status == "read" or bool(message.read_at) or replied
    if kind == "not_read":
        return not read
    if kind == "not_replied":
        return not replied
    return read and not replied  # read_not_replied


# --- the audience walk ------------------------------------------------------------------


def narrow(campaign: CampaignModel, contacts: list[Any]) -> tuple[list[Any], set[str]]:
    """One page of the audience: who stays (its tags; a follow-up keeps only the origin's
    matching recipients), and which of those the frequency cap leaves out."""
    audience = plain(campaign.audience)
    tags = set(audience.get("tags") or [])
    if tags and not audience.get("all"):  # read nothing for contacts outside the audience
        contacts = [c for c in contacts if set(c.tags or ()) & tags]
    follow_up = plain(getattr(campaign, "follow_up", None))
    if follow_up and contacts:
        origin, kind = str(follow_up["campaign_id"]), str(follow_up["kind"])
        keys = [(origin, c.phone) for c in contacts]
        wanted = {
            m.phone
            for m in CampaignMessageModel.batch_get(
                keys, attributes_to_get=["phone", "status", "read_at", "replied_at"]
            )
            if matches(m, kind)
        }
        contacts = [c for c in contacts if c.phone in wanted]
    capped = frequency.capped_among(campaign, [c.phone for c in contacts]) if contacts else set()
    return contacts, capped


# --- follow up --------------------------------------------------------------------------


def _origin(user_id: str, campaign_id: str) -> CampaignModel:
    origin = service.get(user_id, campaign_id, consistent=True)
    sent = int(origin.sent or 0) + int(origin.delivered or 0) + int(origin.read or 0)
    if origin.status not in FOLLOWABLE or not (origin.first_sent_at or sent):
        raise Conflict(
            "Only a campaign that has sent messages can be followed up. "
            "Launch it first, or wait for its first messages to go out.",
            {"status": origin.status},
            code="not_sent_yet",
        )
    return origin


def default_send_at(
    origin: CampaignModel, after_days: int, timezone: str, now: int | None = None
) -> int | None:
    """The origin's send time plus N days on the account's calendar (the same local time
    across a daylight-saving change); None when that moment has already passed."""
    began = int(origin.first_sent_at or origin.launched_at or origin.send_at or 0)
    if not began:
        return None
    zone = ZoneInfo(timezone)
    local = datetime.fromtimestamp(began / 1000, tz=zone).replace(tzinfo=None)
    moment = int((local + timedelta(days=after_days)).replace(tzinfo=zone).timestamp() * 1000)
    return moment if moment > (now or now_ms()) + 60_000 else None


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
    origin = _origin(user_id, campaign_id)
    data: dict[str, Any] = {
        "name": (name or f"{origin.name} — follow-up")[:120],
        "template": template or "",  # its own message, written in the editor
        "audience": {"all": True, "tags": []},
        "session_ids": list(origin.session_ids or []),  # the same chats continue
        "timezone": timezone,
        "pacing": plain(origin.pacing),
        "on_missing_variable": origin.on_missing_variable or "block",
        "send_at": default_send_at(origin, after_days, timezone),
        "follow_up": {"campaign_id": origin.campaign_id, "kind": kind, "after_days": after_days},
        "frequency_cap_hours": frequency_cap_hours,
    }
    return service.create(user_id, data)


def preview(user_id: str, campaign_id: str) -> dict[str, Any]:
    """How many recipients each kind would reach (before opt-outs and the frequency cap).

    Exact for up to ``PREVIEW_LIMIT`` messages; larger campaigns are estimated from their
    counters (a recipient who replied without a read receipt counts as read there)."""
    origin = _origin(user_id, campaign_id)
    counts = dict.fromkeys(KINDS, 0)
    if int(origin.total or 0) <= PREVIEW_LIMIT:
        for m in CampaignMessageModel.query(
            campaign_id, attributes_to_get=["phone", "status", "read_at", "replied_at"]
        ):
            for kind in KINDS:
                counts[kind] += matches(m, kind)
        return {**counts, "exact": True}
    sent, delivered, read = (int(getattr(origin, k) or 0) for k in ("sent", "delivered", "read"))
    replied = int(origin.replies or 0)
    return {
        "not_read": sent + delivered,
        "not_replied": max(0, sent + delivered + read - replied),
        "read_not_replied": max(0, read - replied),
        "exact": False,
    }


# --- duplicate --------------------------------------------------------------------------


def duplicate(user_id: str, campaign_id: str) -> CampaignModel:
    """A new draft with the same message, image, audience, numbers and pacing; no schedule,
    no deadline and none of the original's counts."""
    source = service.get(user_id, campaign_id)
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


def fields_of(campaign: CampaignModel) -> dict[str, Any]:
    """What the campaign's API view shows of these features."""
    capped = int(campaign.frequency_capped or 0)
    if not campaign.materialise_chunks:  # not launched yet: what the preparing walk counted
        capped = int(plain(campaign.prepare_counts).get("frequency_capped", 0))
    return {
        "follow_up": plain(campaign.follow_up) if campaign.follow_up else None,
        "frequency_cap_hours": frequency.hours_of(campaign),
        "frequency_capped": capped,
    }


# --- the composer's estimate ------------------------------------------------------------


def sample(campaign: CampaignModel) -> tuple[Any, list[dict[str, Any]]]:
    """A follow-up's audience as the composer shows it (``planning.AudienceEstimate``, and
    who lacks a variable): the origin's matching recipients now, within its tags, less
    opt-outs. Exact up to ``PREVIEW_LIMIT`` origin messages, scaled from them beyond."""
    from chalicelib.campaigns import planning
    from chalicelib.models.contacts import ContactModel

    follow_up = plain(campaign.follow_up)
    origin, kind = str(follow_up["campaign_id"]), str(follow_up["kind"])
    scanned, phones = 0, []
    result = CampaignMessageModel.query(
        origin,
        attributes_to_get=["phone", "status", "read_at", "replied_at"],
        limit=PREVIEW_LIMIT,
    )
    for m in result:
        scanned += 1
        if matches(m, kind):
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
    opted_out, missing, affected = planning.check_sample(campaign.user_id, found, campaign.template)
    selected = len(found)
    if not exact and scanned:
        scale = int(campaign_total(origin, campaign.user_id)) / scanned
        selected, opted_out, missing = (round(x * scale) for x in (selected, opted_out, missing))
    skip = campaign.on_missing_variable == "skip"
    recipients = selected - opted_out - (missing if skip else 0)
    estimate = planning.AudienceEstimate(
        selected=selected,
        opted_out=opted_out,
        missing_variables=missing,
        recipients=max(0, recipients),
        exact=exact,
    )
    return estimate, affected


def campaign_total(campaign_id: str, user_id: str) -> int:
    try:
        return int(service.get(user_id, campaign_id).total or 0)
    except service.NotFound:
        return 0
