"""A campaign's numbers as people read them, from its counters (no table read): the
funnel, the share done, the time left, and where its launch stands."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.campaigns.statuses import FINAL_STATUSES, CampaignStatus, LaunchStage
from chalicelib.models.base import plain
from chalicelib.models.campaigns import CampaignModel


def counts_of(campaign: CampaignModel, names: tuple[str, ...] | list[str]) -> dict[str, int]:
    return {name: int(getattr(campaign, name) or 0) for name in names}


def funnel_of(counts: dict[str, int]) -> dict[str, int]:
    """Each stage includes those that went further (a read message was delivered)."""
    return {
        "sent": counts["sent"] + counts["delivered"] + counts["read"],
        "delivered": counts["delivered"] + counts["read"],
        "read": counts["read"],
        "replied": counts.get("replies", 0),
    }


def share_done(counts: dict[str, int]) -> float:
    """Share of recipients with a final outcome, 0..1."""
    final = sum(counts[status] for status in FINAL_STATUSES)
    return round(final / counts["total"], 4) if counts["total"] else 0.0


def eta_s(finish_at: int | None, now: datetime) -> int | None:
    """Seconds from ``now`` to a forecast finish (epoch ms), never negative."""
    if not finish_at:
        return None
    return max(0, (finish_at - int(now.timestamp() * 1000)) // 1000)


def launch_progress(c: CampaignModel) -> dict[str, Any] | None:
    """Where the launch stands: checking the audience, queuing messages, or done."""
    if c.status == CampaignStatus.DRAFT and not c.launch_token:
        return None
    prepared = plain(c.prepare_counts)
    checked, recipients = int(prepared.get("checked", 0)), int(prepared.get("recipients", 0))
    stage: LaunchStage
    if c.status == CampaignStatus.PREPARING:
        stage = "checking"
    elif c.materialised or c.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED):
        stage = "done"
    elif c.status == CampaignStatus.DRAFT:
        return None
    else:
        stage = "queuing"
    queued = int(c.total or 0)
    if stage == "done":
        total: int | None = queued
    elif stage == "queuing":
        total = checked if prepared else None  # one message per selected contact
    else:
        total = None
    return {
        "stage": stage,
        "checked": checked,
        "recipients": recipients,
        "queued": queued,
        "total": total,
    }
