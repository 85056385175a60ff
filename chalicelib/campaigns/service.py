"""Compose campaigns and move them through their lifecycle.

draft → preparing → scheduled → running ⇄ paused → completed; cancelled from scheduled,
running or paused. Only draft, scheduled and paused campaigns are editable. Moving a
status, pausing, resuming and waking agents are ``lifecycle``'s (re-exported here for
the routes); this module composes, schedules, cancels and retries, enqueuing the launch
worker's jobs.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib import jobs, queues
from chalicelib.campaigns import lifecycle, quota, templates, variants
from chalicelib.campaigns.counters import bump

# The state layer, re-exported for callers outside the package (routes, conversations).
from chalicelib.campaigns.lifecycle import (
    CANCELLED as CANCELLED,
)
from chalicelib.campaigns.lifecycle import (
    COMPLETED as COMPLETED,
)
from chalicelib.campaigns.lifecycle import (
    DRAFT as DRAFT,
)
from chalicelib.campaigns.lifecycle import (
    PAUSED as PAUSED,
)
from chalicelib.campaigns.lifecycle import (
    PREPARING as PREPARING,
)
from chalicelib.campaigns.lifecycle import (
    RUNNING as RUNNING,
)
from chalicelib.campaigns.lifecycle import (
    SCHEDULED as SCHEDULED,
)
from chalicelib.campaigns.lifecycle import (
    agent_of as agent_of,
)
from chalicelib.campaigns.lifecycle import (
    auto_pause as auto_pause,
)
from chalicelib.campaigns.lifecycle import (
    cancel_leases as cancel_leases,
)
from chalicelib.campaigns.lifecycle import (
    get as get,
)
from chalicelib.campaigns.lifecycle import (
    resume as resume,
)
from chalicelib.campaigns.lifecycle import (
    transition as transition,
)
from chalicelib.campaigns.lifecycle import (
    wake as wake,
)
from chalicelib.errors import Conflict, ValidationFailed
from chalicelib.logs import logger
from chalicelib.models.base import now_ms, plain
from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel
from chalicelib.pagination import decode_cursor, encode_cursor
from chalicelib.sessions import licensing

EDITABLE = {DRAFT, SCHEDULED, PAUSED}
RETRYABLE_REASONS = {
    "session_error",
    "rate_limited",
    "timeout",
    "media_error",
    "restricted",
    "chat_not_found",
}
# Retryable only once the sending number has its own OpenWA licence key.
NEEDS_LICENSE = licensing.NEEDS_LICENSE
LICENSE_PAUSES = {NEEDS_LICENSE, licensing.LICENSE_REJECTED}  # at the wall, or the key failed


def new_campaign_id() -> str:
    return f"cmp_{secrets.token_hex(8)}"


def list_for(
    user_id: str, limit: int, cursor: str | None, status: str | None = None
) -> tuple[list[CampaignModel], str | None]:
    start = decode_cursor(cursor, {"user_id", "campaign_id"}, owner=("user_id", user_id))
    condition = CampaignModel.status == status if status else None
    result = CampaignModel.query(
        user_id,
        limit=limit,
        last_evaluated_key=start,
        filter_condition=condition,
        scan_index_forward=False,
    )
    items = list(result)
    return items, encode_cursor(result.last_evaluated_key)


def _check_template(template: str) -> None:
    try:
        templates.validate(template)
    except templates.TemplateError as error:
        raise ValidationFailed(str(error), [{"loc": ["template"], "msg": str(error)}]) from None


def check_length(template: str) -> None:
    """WhatsApp's hard limit, refused in words rather than cut at send."""
    if len(template) > templates.MAX_LENGTH:
        over = len(template) - templates.MAX_LENGTH
        message = (
            f"The message is {len(template):,} characters long; WhatsApp allows at most "
            f"{templates.MAX_LENGTH:,}. Shorten it by {over:,} characters."
        )
        raise ValidationFailed(
            message,
            [{"loc": ["template"], "msg": message, "length": len(template)}],
            code="message_too_long",
        )


def create(user_id: str, data: dict[str, Any]) -> CampaignModel:
    _check_template(data["template"])
    data = variants.prepare_changes(None, data)
    lifecycle.check_sessions(user_id, data["session_ids"], need_connected=False)
    now = now_ms()
    campaign = CampaignModel(
        user_id,
        new_campaign_id(),
        status=DRAFT,
        created_at=now,
        updated_at=now,
        **data,
    )
    campaign.save(condition=CampaignModel.campaign_id.does_not_exist())
    return campaign


def update(user_id: str, campaign_id: str, changes: dict[str, Any]) -> CampaignModel:
    campaign = get(user_id, campaign_id)
    if campaign.status not in EDITABLE:
        raise Conflict(
            f"A {campaign.status} campaign cannot be edited; pause it first.",
            {"status": campaign.status},
            code="not_editable",
        )
    if "template" in changes:
        _check_template(changes["template"])
        if campaign.status != DRAFT:
            check_length(changes["template"])
    changes = variants.prepare_changes(campaign, changes)
    started = campaign.status != DRAFT
    if started:
        # A form may send every field: unchanged values are no change.
        changes = _without_unchanged(campaign, changes)
    if "session_ids" in changes:
        lifecycle.check_sessions(user_id, changes["session_ids"], need_connected=False)
    if started and ("audience" in changes or "session_ids" in changes):
        raise Conflict(
            "Recipients and numbers are fixed once a campaign is launched; "
            "duplicate it to send to others.",
            {"fields": sorted({"audience", "session_ids"} & set(changes))},
            code="not_editable",
        )
    paused_until = changes.get("send_at") if campaign.status == PAUSED else None
    if paused_until is not None and int(paused_until) <= now_ms():
        raise ValidationFailed(
            "Choose a time in the future to resume at, or resume the campaign now.",
            [{"loc": ["send_at"], "msg": "in the past"}],
        )
    actions = [getattr(CampaignModel, key).set(value) for key, value in changes.items()]
    actions.append(CampaignModel.updated_at.set(now_ms()))
    try:
        campaign.update(actions=actions, condition=CampaignModel.status.is_in(*EDITABLE))
    except UpdateError:
        raise Conflict(
            "The campaign changed state meanwhile; reload it.", code="conflict"
        ) from None
    if campaign.status == SCHEDULED and "send_at" in changes:
        from chalicelib.campaigns import launch

        # An earlier time needs its own wake-up; a later one is chained by the queued job.
        launch.enqueue(user_id, campaign_id, int(changes["send_at"] or now_ms()))
    if campaign.status == PAUSED and changes.get("send_at") is not None:
        from chalicelib.campaigns import launch

        # A paused campaign's new start time: it resumes by itself then.
        launch.enqueue_resume(user_id, campaign_id, int(changes["send_at"]))
    return campaign


def _without_unchanged(campaign: CampaignModel, changes: dict[str, Any]) -> dict[str, Any]:
    current: dict[str, Any] = {
        "audience": plain(campaign.audience),
        "session_ids": list(campaign.session_ids or []),
        "send_at": int(campaign.send_at) if campaign.send_at else None,
    }
    kept = {}
    for key, value in changes.items():
        if key == "audience" and isinstance(value, dict):
            if _same_audience(value, current["audience"]):
                continue
        elif key == "send_at" and value is None and campaign.status != SCHEDULED:
            continue  # "as soon as launched": it has been
        elif key in current and value == current[key]:
            continue
        kept[key] = value
    return kept


def _same_audience(a: dict[str, Any], b: dict[str, Any]) -> bool:
    def norm(x: dict[str, Any]) -> tuple[bool, list[str]]:
        tags = sorted(x.get("tags") or [])
        return bool(x.get("all")) or not tags, [] if x.get("all") else tags

    return norm(a) == norm(b)


def delete_draft(user_id: str, campaign_id: str) -> None:
    campaign = get(user_id, campaign_id)
    if campaign.status != DRAFT:
        raise Conflict("Only drafts can be deleted; cancel it instead.", code="not_a_draft")
    campaign.delete(condition=CampaignModel.status == DRAFT)


# --- audience ---------------------------------------------------------------------------


# --- lifecycle --------------------------------------------------------------------------


def schedule(user_id: str, campaign_id: str, send_to_first: int | None = None) -> CampaignModel:
    """draft → preparing: only the cheap checks here, whatever the audience's size.

    The launch worker walks the audience (``campaigns/prepare.py``), reserves the
    quota, and moves the campaign on to scheduled, or back to draft with the
    problem stored in ``launch_problem``.
    """
    campaign = get(user_id, campaign_id, consistent=True)
    if campaign.status != DRAFT:
        raise Conflict(f"A {campaign.status} campaign cannot be scheduled.", code="bad_transition")
    lifecycle.check_sessions(user_id, list(campaign.session_ids), need_connected=True)
    _check_template(campaign.template)
    check_length(campaign.template)
    if not (campaign.template or "").strip():  # a follow-up starts without one
        raise ValidationFailed(
            "Write the message before launching.",
            [{"loc": ["template"], "msg": "empty"}],
            code="empty_message",
        )
    variants.check_lengths(campaign)
    allowed, why = quota.sending_allowed(user_id)
    if not allowed:
        raise Conflict(f"Sending is on hold: {why}.", {"reason": why}, code="sending_on_hold")
    token = secrets.token_hex(12)  # a new launch: its own quota reservation
    if not transition(
        campaign,
        {DRAFT},
        PREPARING,
        launch_token=token,
        send_limit=send_to_first,
        launch_problem=None,
        prepare_page=0,
        prepare_cursor=None,
        prepare_counts=None,
        prepare_affected=None,
    ):
        raise Conflict("The campaign changed state meanwhile.", code="bad_transition")
    from chalicelib.campaigns import prepare

    prepare.enqueue(user_id, campaign_id, token, 0)
    logger.info("campaign preparing", extra={"campaign_id": campaign_id})
    return get(user_id, campaign_id, consistent=True)


def pause(user_id: str, campaign_id: str, reason: str = "paused_by_user") -> CampaignModel:
    campaign = get(user_id, campaign_id, consistent=True)
    if not transition(campaign, {RUNNING}, PAUSED, pause_reason=reason):
        raise Conflict(f"A {campaign.status} campaign cannot be paused.", code="bad_transition")
    cancel_leases(campaign)
    return get(user_id, campaign_id, consistent=True)


def cancel(user_id: str, campaign_id: str) -> CampaignModel:
    campaign = get(user_id, campaign_id, consistent=True)
    if campaign.status == PREPARING:
        # Nothing was written or held yet (a reservation racing this is released by the
        # worker when its own move to scheduled fails): it simply becomes a draft again.
        if not transition(campaign, {PREPARING}, DRAFT):
            raise Conflict("The campaign changed state meanwhile.", code="bad_transition")
        return get(user_id, campaign_id, consistent=True)
    if not transition(campaign, {SCHEDULED, RUNNING, PAUSED}, CANCELLED):
        raise Conflict(f"A {campaign.status} campaign cannot be cancelled.", code="bad_transition")
    cancel_leases(campaign)
    # Pending messages are marked cancelled (and their quota released) in the background.
    queues.send(queues.JOBS, jobs.CancelPending(user_id=user_id, campaign_id=campaign_id))
    return get(user_id, campaign_id, consistent=True)


def cancel_pending(user_id: str, campaign_id: str) -> int:
    """Background: pending messages of a cancelled campaign become cancelled."""
    from chalicelib.campaigns.sweeps import settle_pending

    return settle_pending(user_id, campaign_id, "cancelled", None)


def retry_failed(user_id: str, campaign_id: str) -> int:
    """Failures with a retryable reason go back to pending; never `unknown` ones."""
    from chalicelib.campaigns.sweeps import requeue

    campaign = get(user_id, campaign_id, consistent=True)
    if campaign.status not in (RUNNING, PAUSED, COMPLETED):
        raise Conflict(f"A {campaign.status} campaign has nothing to retry.", code="bad_transition")
    licensed = {s for s in campaign.session_ids if licensing.has_key(user_id, s)}
    # Retryable failures, and those left out by "send to the first N" (skipped: quota).
    failed = [
        m
        for m in CampaignMessageModel.query(
            campaign_id,
            filter_condition=(
                (CampaignMessageModel.status == "failed")
                & CampaignMessageModel.reason.is_in(*RETRYABLE_REASONS, NEEDS_LICENSE)
            )
            | (
                (CampaignMessageModel.status == "skipped")
                & (CampaignMessageModel.reason == "quota")
            ),
        )
        if m.reason != NEEDS_LICENSE or m.session_id in licensed
    ]
    if not failed:
        return 0
    # The same failures at the same attempt reserve once, however often the call is retried.
    fingerprint = hashlib.sha256(
        ",".join(sorted(f"{m.phone}:{int(m.attempts or 0)}" for m in failed)).encode()
    ).hexdigest()[:24]
    quota.reserve(user_id, len(failed), f"{campaign_id}:retry:{fingerprint}")
    moved = requeue(campaign, failed)
    bump(user_id, campaign_id, {"reserved": moved})
    if campaign.status == COMPLETED:
        transition(campaign, {COMPLETED}, RUNNING, completed_at=None)
    if campaign.status == PAUSED and campaign.pause_reason in LICENSE_PAUSES:
        # Paused only for the licence wall, and its failures are going out again: go on
        # if the numbers are ready (otherwise it stays paused for the user to resume).
        with contextlib.suppress(Conflict):
            resume(user_id, campaign_id)
    elif campaign.status != PAUSED:
        wake(user_id, list(campaign.session_ids))
    return moved
