"""The marketing frequency cap: leave out contacts this account messaged in the last N hours.

"Messaged" is read from the campaigns' own messages, never from a per-contact stamp (that
would add a write per sent message): the account's campaigns that could have sent in the
window are found with one query of its campaigns, then one batched read per page of
contacts looks up each such campaign's message to those phones (its key is
campaign id + phone) and keeps the ones sent since the cut-off.
"""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.campaigns import lifecycle
from chalicelib.models.base import now_ms, plain
from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel

HOUR_MS = 3_600_000


def hours_of(campaign: CampaignModel) -> int:
    """The campaign's cap in hours; campaigns from before the cap existed have none."""
    return int(getattr(campaign, "frequency_cap_hours", None) or 0)


def recent_campaigns(user_id: str, since: int, exclude: Iterable[str] = ()) -> list[str]:
    """Ids of the account's campaigns that may have sent a message since ``since``."""
    found = []
    skip = set(exclude)
    for c in CampaignModel.query(user_id):
        if c.campaign_id in skip or not c.launched_at:
            continue
        if c.status in (lifecycle.RUNNING, lifecycle.PAUSED) or (
            c.status == lifecycle.COMPLETED and int(c.completed_at or 0) >= since
        ):
            found.append(c.campaign_id)
        elif c.status == lifecycle.CANCELLED and int(c.updated_at or 0) >= since:
            found.append(c.campaign_id)  # a late result may still land after a cancel
    return found


def messaged_since(campaign_ids: Iterable[str], phones: Iterable[str], since: int) -> set[str]:
    """The phones among ``phones`` that one of these campaigns sent to since ``since``."""
    wanted = list(dict.fromkeys(phones))
    keys = [(cid, phone) for cid in campaign_ids for phone in wanted]
    if not keys:
        return set()
    return {
        m.phone
        for m in CampaignMessageModel.batch_get(keys, attributes_to_get=["phone", "sent_at"])
        if int(m.sent_at or 0) >= since
    }


def capped_among(
    campaign: CampaignModel, phones: Iterable[str], now: int | None = None
) -> set[str]:
    """The phones this campaign leaves out under its frequency cap (empty when it is off)."""
    hours = hours_of(campaign)
    if hours <= 0:
        return set()
    since = (now or now_ms()) - hours * HOUR_MS
    # A follow-up means to write to its origin's recipients again: only other campaigns count.
    origin = (plain(campaign.follow_up) or {}).get("campaign_id") if campaign.follow_up else None
    skip = {campaign.campaign_id, *([str(origin)] if origin else [])}
    recent = recent_campaigns(campaign.user_id, since, exclude=skip)
    return messaged_since(recent, phones, since)
