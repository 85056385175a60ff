"""Follow-ups: the audience narrowing both the preparing walk and the launch use (the
drafts themselves are made in ``derived.py``, their composer estimate in ``planning``).

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

from chalicelib.campaigns import frequency, lifecycle
from chalicelib.errors import Conflict
from chalicelib.models.base import now_ms, plain
from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel

KINDS: tuple[str, ...] = ("not_read", "not_replied", "read_not_replied")
RECEIVED = ("sent", "delivered", "read")  # failed, skipped, cancelled, unknown never arrived
PREVIEW_LIMIT = 20_000  # messages counted exactly; beyond, the counters give an estimate
FOLLOWABLE = {lifecycle.RUNNING, lifecycle.PAUSED, lifecycle.COMPLETED, lifecycle.CANCELLED}


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


def origin_of(user_id: str, campaign_id: str) -> CampaignModel:
    origin = lifecycle.get(user_id, campaign_id, consistent=True)
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


def preview(user_id: str, campaign_id: str) -> dict[str, Any]:
    """How many recipients each kind would reach (before opt-outs and the frequency cap).

    Exact for up to ``PREVIEW_LIMIT`` messages; larger campaigns are estimated from their
    counters (a recipient who replied without a read receipt counts as read there)."""
    origin = origin_of(user_id, campaign_id)
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


def campaign_total(campaign_id: str, user_id: str) -> int:
    try:
        return int(lifecycle.get(user_id, campaign_id).total or 0)
    except lifecycle.NotFound:
        return 0
