"""The preparing walk: after ``schedule`` answered, check the audience page by page.

One SQS message per page of contacts (on the launch queue), so no invocation grows
with the audience. Each page's counts are committed with one conditional update
(``prepare_page`` moves from p to p+1), so a redelivered page never counts twice.
After the last page: a problem sends the campaign back to ``draft`` with
``launch_problem`` stored; otherwise the quota is reserved and the campaign becomes
``scheduled`` (the existing launch takes it from there).
"""

from __future__ import annotations

import json
import time
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib import jobs, queues
from chalicelib.campaigns import followups, lifecycle, quota, templates, variants
from chalicelib.errors import DomainError
from chalicelib.logs import logger
from chalicelib.models.base import now_ms, plain
from chalicelib.models.campaigns import CampaignModel

PAGE_CONTACTS = 2000  # the most per SQS message: a page is one query and one opt-out lookup
# Pages are sized by time: the first is small, each next one takes this page's pace aimed
# at PAGE_SECONDS, so no invocation nears Lambda's budget (issue 15: none over 5 s) on a
# slow day or a slow table; a 100,000-contact walk is ~50-200 messages either way.
FIRST_PAGE = 250
PAGE_SECONDS = 1.5
AFFECTED_LIMIT = 100
COUNTS = ("checked", "recipients", "opted_out", "missing_variables", "too_long", "frequency_capped")


def enqueue(user_id: str, campaign_id: str, token: str, page: int, size: int = FIRST_PAGE) -> None:
    queues.send(
        queues.LAUNCH,
        jobs.PreparePage(
            user_id=user_id, campaign_id=campaign_id, token=token, page=page, size=size
        ),
    )


def next_page_size(walked: int, took_s: float) -> int:
    """Contacts for the next page: this page's pace, aimed at PAGE_SECONDS."""
    if took_s <= 0:
        return PAGE_CONTACTS
    return max(50, min(PAGE_CONTACTS, int(walked * PAGE_SECONDS / took_s)))


def handle(job: jobs.PreparePage) -> None:
    user_id, campaign_id, page, token = job.user_id, job.campaign_id, job.page, job.token
    try:
        campaign = lifecycle.get(user_id, campaign_id, consistent=True)
    except lifecycle.NotFound:
        return
    if campaign.status != lifecycle.PREPARING or campaign.launch_token != token:
        return  # cancelled, or an older launch's job
    done_pages = int(campaign.prepare_page or 0)
    if page < done_pages:
        if page == done_pages - 1:  # a redelivery: make sure what followed it happened
            if campaign.prepare_cursor:
                enqueue(user_id, campaign_id, token, done_pages)
            else:
                finish(campaign)
        return
    if page > done_pages:
        return
    walk_page(campaign, page, max(1, min(PAGE_CONTACTS, job.size or PAGE_CONTACTS)))


def walk_page(campaign: CampaignModel, page: int, size: int = PAGE_CONTACTS) -> None:
    import chalicelib.contacts.service as contacts
    from chalicelib.models.contacts import ContactModel

    start = json.loads(campaign.prepare_cursor) if campaign.prepare_cursor else None
    if page > 0 and start is None:
        return finish(campaign)  # the walk was already complete
    started = time.monotonic()
    result = ContactModel.query(campaign.user_id, limit=size, last_evaluated_key=start)
    audience = plain(campaign.audience)
    tags = set(audience.get("tags") or [])
    everyone = bool(audience.get("all")) or not tags
    required = variants.required_variables(campaign)
    texts = variants.templates_of(campaign)  # every variant is checked for everyone
    skip_missing = campaign.on_missing_variable == "skip"
    counts = {name: int(plain(campaign.prepare_counts).get(name, 0)) for name in COUNTS}
    affected: list[dict[str, Any]] = [plain(a) for a in (campaign.prepare_affected or [])]
    walked = list(result)
    selected = [c for c in walked if everyone or set(c.tags or ()) & tags]
    selected, capped = followups.narrow(campaign, selected)  # follow-up audience, frequency cap
    opted = contacts.opted_out_among(campaign.user_id, [c.phone for c in selected])
    for contact in selected:
        counts["checked"] += 1
        if contact.opted_out or contact.phone in opted:
            counts["opted_out"] += 1
            continue
        if contact.phone in capped:
            counts["frequency_capped"] += 1
            continue
        values = templates.contact_values_of(contact)
        missing = [name for name in required if not (values.get(name) or "").strip()]
        if missing:
            counts["missing_variables"] += 1
            if not skip_missing and len(affected) < AFFECTED_LIMIT:
                entry = {"phone": contact.phone, "name": contact.name, "missing": missing}
                if len(texts) > 1:  # which variants need them
                    entry["variants"] = [
                        letter
                        for letter, text in texts
                        if set(templates.required_variables(text)) & set(missing)
                    ]
                affected.append(entry)
            if skip_missing:
                continue
        longest, letter = 0, "A"
        for variant, text in texts:
            rendered = templates.render(
                text,
                {k: v for k, v in values.items() if v},
                seed=f"{campaign.campaign_id}:{contact.phone}",
                limit=10 * templates.MAX_LENGTH,  # the whole text, to say how long it would be
            )
            if len(rendered.text) > longest:
                longest, letter = len(rendered.text), variant
        if longest > templates.MAX_LENGTH:
            counts["too_long"] += 1
            if len(affected) < AFFECTED_LIMIT:
                problem = {"phone": contact.phone, "name": contact.name, "length": longest}
                if len(texts) > 1:
                    problem["variant"] = letter
                affected.append(problem)
            continue
        counts["recipients"] += 1
    cursor = result.last_evaluated_key
    try:
        campaign.update(
            actions=[
                CampaignModel.prepare_page.set(page + 1),
                CampaignModel.prepare_counts.set(counts),
                CampaignModel.prepare_affected.set(affected),
                CampaignModel.prepare_cursor.set(json.dumps(cursor))
                if cursor
                else CampaignModel.prepare_cursor.remove(),
                CampaignModel.updated_at.set(now_ms()),
            ],
            condition=(CampaignModel.prepare_page == page)
            & (CampaignModel.status == lifecycle.PREPARING),
        )
    except UpdateError:
        return  # another delivery committed this page first, or the campaign moved on
    if cursor:
        size = next_page_size(len(walked), time.monotonic() - started)
        enqueue(campaign.user_id, campaign.campaign_id, str(campaign.launch_token), page + 1, size)
    else:
        finish(lifecycle.get(campaign.user_id, campaign.campaign_id, consistent=True))


def _problem(campaign: CampaignModel, counts: dict[str, int]) -> dict[str, Any] | None:
    affected = [plain(a) for a in (campaign.prepare_affected or [])]
    if counts["too_long"]:
        return {
            "code": "message_too_long",
            "message": (
                f"For {counts['too_long']:,} recipient(s) the message would be longer than "
                f"WhatsApp's {templates.MAX_LENGTH:,} characters once their details are filled "
                "in. Shorten the message."
            ),
            "details": {
                "count": counts["too_long"],
                "affected": [a for a in affected if "length" in a],
            },
        }
    if counts["missing_variables"] and campaign.on_missing_variable != "skip":
        return {
            "code": "missing_variables",
            "message": (
                f"{counts['missing_variables']:,} recipient(s) have no value for a variable "
                "without a fallback. Add a fallback like {{first_name|there}}, fill the "
                "contacts in, or choose to skip them."
            ),
            "details": {
                "count": counts["missing_variables"],
                "affected": [a for a in affected if "missing" in a],
            },
        }
    if counts["recipients"] == 0:
        return {
            "code": "empty_audience",
            "message": "The audience has no one to message (after opt-outs)."
            if not counts["frequency_capped"]
            else (
                f"The audience has no one to message: {counts['frequency_capped']:,} were "
                "left out because they got a message recently (the frequency cap)."
            ),
            "details": {
                "checked": counts["checked"],
                "opted_out": counts["opted_out"],
                "missing_variables": counts["missing_variables"],
                "frequency_capped": counts["frequency_capped"],
            },
        }
    return None


def finish(campaign: CampaignModel) -> None:
    if campaign.status != lifecycle.PREPARING:
        return
    counts = {name: int(plain(campaign.prepare_counts).get(name, 0)) for name in COUNTS}
    problem = _problem(campaign, counts)
    if problem:
        back_to_draft(campaign, problem)
        return
    wanted = counts["recipients"]
    if campaign.send_limit:
        wanted = min(wanted, int(campaign.send_limit))
    reservation = f"{campaign.campaign_id}:{campaign.launch_token}"
    try:
        quota.reserve(campaign.user_id, wanted, reservation)
    except DomainError as error:
        details = error.details if isinstance(error.details, dict) else {}
        remaining = int(details.get("remaining", 0))
        back_to_draft(
            campaign,
            {
                "code": "quota_short",
                "message": (
                    f"This needs {wanted:,} messages but only {remaining:,} remain in your "
                    "plan this period. Send to the first "
                    f"{remaining:,} now, or upgrade your plan."
                    if remaining
                    else f"This needs {wanted:,} messages and none remain in your plan this "
                    "period. Upgrade your plan, or wait for the next period."
                ),
                "details": {**details, "requested": wanted, "recipients": counts["recipients"]},
            },
        )
        return
    send_at = int(campaign.send_at or 0) or now_ms()
    if not lifecycle.transition(
        campaign,
        {lifecycle.PREPARING},
        lifecycle.SCHEDULED,
        reserved=wanted,
        send_at=send_at,
    ):
        # Cancelled meanwhile (or relaunched under a new token): give the hold back. A twin
        # delivery that scheduled it first holds this same reservation: keep it then.
        fresh = lifecycle.get(campaign.user_id, campaign.campaign_id, consistent=True)
        if fresh.launch_token != campaign.launch_token or fresh.status == lifecycle.DRAFT:
            quota.safely("release", campaign.user_id, wanted)
        return
    from chalicelib.campaigns import launch

    launch.enqueue(campaign.user_id, campaign.campaign_id, send_at)
    logger.info(
        "campaign scheduled",
        extra={"campaign_id": campaign.campaign_id, "send_at": send_at, "recipients": wanted},
    )


def back_to_draft(campaign: CampaignModel, problem: dict[str, Any]) -> None:
    from chalicelib import notifications

    if not lifecycle.transition(
        campaign, {lifecycle.PREPARING}, lifecycle.DRAFT, launch_problem=problem
    ):
        return
    notifications.notify(
        campaign.user_id,
        "campaign_not_launched",
        f"Campaign “{campaign.name}” did not start",
        problem["message"],
        campaign_id=campaign.campaign_id,
        email=False,
        link_path=f"/campaigns/{campaign.campaign_id}",
    )
    logger.info(
        "campaign back to draft",
        extra={"campaign_id": campaign.campaign_id, "code": problem["code"]},
    )
