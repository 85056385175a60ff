"""A running campaign that has waited over an hour for something other than its gaps
gets a notice (and an email, if the user wants those): run from a schedule.

A campaign "waits" when none of its numbers can send for a reason outside its own
pacing (daily cap, warm-up, number offline, WhatsApp's slow-down). Quiet hours are the
user's own rule, so they are shown as a state but never notified. Each reason is
notified once per campaign, except a number offline or slowed down, which is notified
once per episode (the user can act on it).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from pynamodb.exceptions import UpdateError

from chalicelib.campaigns import emails, planning, service
from chalicelib.logs import logger
from chalicelib.models.campaigns import CampaignModel

WAIT_NOTICE_AFTER_MS = 3_600_000
NOTIFIED = {"daily_cap", "warmup_limit", "offline", "backing_off"}
EVERY_EPISODE = {"offline", "backing_off"}

WORDS = {
    "daily_cap": "its numbers reached their daily limit",
    "warmup_limit": "its numbers reached today's warm-up limit",
    "offline": "a sending number is not connected",
    "backing_off": "WhatsApp asked a sending number to slow down",
}


def _waiting_reason(states: list[planning.NumberState]) -> str | None:
    if not states or any(s.state not in planning.SLOW_STATES for s in states):
        return None  # at least one number is sending or between two messages
    return Counter(s.state for s in states).most_common(1)[0][0]


def _resumes(states: list[planning.NumberState], timezone: str) -> str:
    untils = [s.until for s in states if s.until]
    if not untils:
        return ""
    from zoneinfo import ZoneInfo

    when = datetime.fromtimestamp(min(untils) / 1000, tz=UTC).astimezone(ZoneInfo(timezone))
    return f" It resumes around {when:%a %d %b, %H:%M} ({timezone})."


def check(campaign: CampaignModel, now: datetime) -> bool:
    """Record when the campaign started waiting and notify past the hour; True if notified."""
    states = planning.number_states(campaign, None, now)
    reason = _waiting_reason(states)
    now_ms = int(now.timestamp() * 1000)
    if reason is None:
        if campaign.waiting_reason:
            campaign.update(
                actions=[
                    CampaignModel.waiting_reason.remove(),
                    CampaignModel.waiting_since.remove(),
                ]
            )
        return False
    if campaign.waiting_reason != reason:
        campaign.update(
            actions=[
                CampaignModel.waiting_reason.set(reason),
                CampaignModel.waiting_since.set(now_ms),
            ]
        )
        return False
    if (
        now_ms - int(campaign.waiting_since or now_ms) < WAIT_NOTICE_AFTER_MS
        or reason not in NOTIFIED
    ):
        return False
    # Notified reasons are kept as "reason@since" (per episode) or "reason" (once).
    mark = f"{reason}@{int(campaign.waiting_since or 0)}" if reason in EVERY_EPISODE else reason
    done = set((campaign.waiting_notified_for or "").split(","))
    if mark in done:
        return False
    try:
        campaign.update(
            actions=[CampaignModel.waiting_notified_for.set(",".join(sorted(done | {mark})))],
            condition=CampaignModel.waiting_notified_for == campaign.waiting_notified_for
            if campaign.waiting_notified_for
            else CampaignModel.waiting_notified_for.does_not_exist(),
        )
    except UpdateError:
        return False  # another run notified it
    emails.notify(
        campaign,
        "campaign_waiting",
        f"Campaign “{campaign.name}” is waiting",
        f"Nothing has been sent for over an hour because {WORDS[reason]}."
        + _resumes(states, campaign.timezone or "UTC")
        + " Open the campaign to see each number's state.",
    )
    return True


def run(now: datetime | None = None) -> int:
    """Every running campaign (a filtered scan: running campaigns are few)."""
    now = now or planning.now_dt()
    notified = 0
    for campaign in CampaignModel.scan(filter_condition=CampaignModel.status == service.RUNNING):
        try:
            notified += int(check(campaign, now))
        except Exception:
            logger.exception("waiting check failed", extra={"campaign_id": campaign.campaign_id})
    return notified
