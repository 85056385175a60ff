"""Test sends: one message to one contact through one number, ahead of any campaign.

A test rides the same pipeline as campaign messages (outbox → lease → agent →
results) under the pseudo-campaign id ``test-<campaign_id>``, at the front of
the number's outbox. It moves no campaign counters, but it is a real message to
a real person, so it obeys the same rules as any send:

* it uses one message of the monthly quota (held when queued, consumed when
  sent, given back when it fails), and a user may send at most
  ``WACAST_TEST_SENDS_PER_DAY`` (20) tests a rolling day;
* an opted-out number is refused, and nothing is queued or handed out while
  billing holds sending;
* the number's daily cap and the campaign's gap between messages apply when it
  is leased (one test per pull), and one test per recipient is in flight at a time.
"""

from __future__ import annotations

import secrets
from typing import Any

from pynamodb.exceptions import PutError

import chalicelib.contacts.service as contacts
from chalicelib import ratelimit
from chalicelib.campaigns import answers, lifecycle, quota, templates, variants
from chalicelib.campaigns.pacing import daily_room, pacing_of
from chalicelib.config import settings
from chalicelib.errors import Conflict, RateLimited, ValidationFailed
from chalicelib.models.base import now_ms
from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel
from chalicelib.models.sessions import WaSessionModel
from wacast_protocol import TEST_PREFIX

PREFIX = TEST_PREFIX
IN_FLIGHT = ("pending", "leased")


def is_test(campaign_id: str) -> bool:
    """A message of no campaign: a test, or an answer from the inbox (``reply-``, see
    chalicelib/conversations/outbound.py). Either moves no campaign counters."""
    return campaign_id.startswith((PREFIX, answers.PREFIX))


def daily_allowance() -> int:
    return max(1, settings().test_sends_per_day)


def _allowance(user_id: str) -> tuple[str, ratelimit.Rate]:
    allowed = daily_allowance()
    return f"tests:{user_id}", ratelimit.Rate(allowed, 86_400, allowed)


def tests_left(user_id: str) -> int:
    """Tests the user may still send now (the rolling day's allowance refills steadily)."""
    return ratelimit.available(*_allowance(user_id))


def _take_allowance(user_id: str) -> None:
    allowed = daily_allowance()
    try:
        ratelimit.consume(*_allowance(user_id))
    except RateLimited as error:
        raise RateLimited(
            f"You can send {allowed} test messages a day, and today's are used up. "
            "Launch the campaign, or try again later.",
            retry_after=error.retry_after,
            details={"limit": allowed, "period_s": 86_400},
        ) from None


def queue(
    campaign: CampaignModel, session_id: str, contact: Any, variant: str | None = None
) -> CampaignMessageModel:
    """Queue one test of ``variant``'s message (A, the main one, by default) to ``contact``."""
    user_id = campaign.user_id
    letters = [letter for letter, _ in variants.templates_of(campaign)]
    if variant is not None and variant not in letters:
        raise ValidationFailed(
            f"This campaign has no variant {variant}: it has {', '.join(letters)}.",
            [{"loc": ["variant"], "msg": f"choose one of {', '.join(letters)}"}],
            code="no_such_variant",
        )
    try:
        session = WaSessionModel.get(user_id, session_id)
    except WaSessionModel.DoesNotExist:
        raise Conflict("No such sending number.", code="sessions_not_ready") from None
    if session.status != "connected":
        raise Conflict(
            f"The number is {session.status.replace('_', ' ')}, not connected.",
            code="sessions_not_ready",
        )
    if contacts.is_opted_out(user_id, contact.phone):
        raise Conflict(
            "This contact asked not to be messaged, so wacast will not send them a test. "
            "Pick another contact (your own phone, for example).",
            {"phone": contact.phone},
            code="contact_opted_out",
        )
    allowed, why = quota.sending_allowed(user_id)
    if not allowed:
        raise Conflict(
            "Sending is on hold until the account is back in good standing, tests included.",
            {"reason": why},
            code="sending_on_hold",
        )
    if daily_room(session, pacing_of(campaign)) <= 0:
        raise Conflict(
            "This number has reached its daily limit of messages; tests count too. "
            "Try again tomorrow.",
            code="daily_cap_reached",
        )
    try:
        previous = CampaignMessageModel.get(f"{PREFIX}{campaign.campaign_id}", contact.phone)
        if previous.status in IN_FLIGHT:
            raise _in_flight()
    except CampaignMessageModel.DoesNotExist:
        pass
    _take_allowance(user_id)
    token = f"test#{campaign.campaign_id}#{contact.phone}#{secrets.token_hex(8)}"
    quota.reserve(user_id, 1, token)
    values = templates.contact_values_of(contact)
    rendered = templates.render(
        variants.template_for(campaign, variant),
        values,
        seed=f"{campaign.campaign_id}:{contact.phone}",
    )
    message = CampaignMessageModel(
        f"{PREFIX}{campaign.campaign_id}",
        contact.phone,
        user_id=user_id,
        session_id=session_id,
        status="pending",
        name=contact.name,
        text=rendered.text,
        queued_at=now_ms(),
        outbox_session=session_id,
        outbox_order=f"0#{now_ms():013d}#{secrets.token_hex(3)}",
    )
    try:
        # A finished test to the same person is replaced; one still in flight is not.
        message.save(condition=~CampaignMessageModel.status.is_in(*IN_FLIGHT))
    except PutError:
        quota.safely("release", user_id, 1)
        raise _in_flight() from None
    lifecycle.wake(user_id, [session_id])
    return message


def _in_flight() -> Conflict:
    return Conflict(
        "A test to this contact is already on its way; wait for it before sending another.",
        code="test_in_progress",
    )
