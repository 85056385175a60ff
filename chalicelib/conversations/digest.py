"""The inbox email digest: once a day (from 08:00 in the account's time zone), the
conversations still unread, for accounts that turned it on (off by default).

Subscriptions are small system records (``inbox_digest#<user_id>``), so the hourly run
reads only the accounts that asked for it; the day it last sent is kept there, and moved
with a conditional write, so two overlapping runs send one email."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pynamodb.exceptions import PutError, UpdateError

from chalicelib import mail
from chalicelib.config import settings
from chalicelib.conversations import inbox
from chalicelib.logs import logger
from chalicelib.models.base import now_ms, plain
from chalicelib.models.conversations import ConversationModel
from chalicelib.models.system import SystemModel
from chalicelib.models.users import UserModel

PREFIX = "inbox_digest#"
SEND_FROM_HOUR = 8
MAX_LISTED = 10
Frequency = Literal["off", "daily"]


def _key(user_id: str) -> str:
    return f"{PREFIX}{user_id}"


def frequency(user_id: str) -> Frequency:
    try:
        SystemModel.get(_key(user_id))
    except SystemModel.DoesNotExist:
        return "off"
    return "daily"


def set_frequency(user_id: str, value: Frequency) -> Frequency:
    if value == "off":
        SystemModel(_key(user_id)).delete()
        return "off"
    with contextlib.suppress(PutError):  # already on: keep the day it last sent
        SystemModel(_key(user_id), updated_at=now_ms(), data={"last_day": ""}).save(
            condition=SystemModel.key.does_not_exist()
        )
    return "daily"


def _local_now(user: UserModel, now: datetime) -> datetime:
    try:
        return now.astimezone(ZoneInfo(user.timezone or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        return now.astimezone(UTC)


def run(now: datetime | None = None) -> int:
    """Send the digests due; returns how many emails were queued."""
    now = now or datetime.now(UTC)
    sent = 0
    for item in SystemModel.scan(SystemModel.key.startswith(PREFIX)):
        user_id = item.key[len(PREFIX) :]
        try:
            user = UserModel.get(user_id)
        except UserModel.DoesNotExist:
            item.delete()  # the account is gone
            continue
        local = _local_now(user, now)
        day = local.strftime("%Y-%m-%d")
        if local.hour < SEND_FROM_HOUR or plain(item.data).get("last_day") == day:
            continue
        try:
            # Claim the day first: a second run at the same time sends nothing.
            item.update(
                actions=[
                    SystemModel.data.set({"last_day": day}),
                    SystemModel.updated_at.set(now_ms()),
                ],
                condition=SystemModel.updated_at == item.updated_at,
            )
        except UpdateError:  # another run claimed it
            continue
        if user.email and _send(user_id, user.email):
            sent += 1
    if sent:
        logger.info("inbox digests queued", extra={"count": sent})
    return sent


def _unread(user_id: str) -> list[ConversationModel]:
    found: list[ConversationModel] = []
    for conversation in ConversationModel.recent_index.query(
        user_id, scan_index_forward=False, filter_condition=ConversationModel.unread > 0
    ):
        found.append(conversation)
        if len(found) >= MAX_LISTED:
            break
    return found


def _send(user_id: str, email: str) -> bool:
    total = inbox.state(user_id).unread_conversations
    waiting = _unread(user_id)
    if not total or not waiting:
        return False  # nothing waits: no email
    app = settings().app_url
    lines = []
    for c in waiting:
        who = c.name or c.phone or ""
        who = f"{who} ({c.phone})" if c.name and c.phone else who
        text = inbox.preview_of(c)
        if c.last_in_kind:
            text = inbox.media_words(c.last_in_kind, text)
        text = text or "(a message no longer kept)"
        lines.append(f"• {who}: {text[:140]}\n  {app}/inbox/{c.conversation_id}")
    more = total - len(waiting)
    if more > 0:
        lines.append(f"…and {more} more.")
    subject = (
        "1 conversation waits for your answer"
        if total == 1
        else f"{total} conversations wait for your answer"
    )
    body = (
        f"{subject}:\n\n" + "\n".join(lines) + f"\n\nOpen the inbox: {app}/inbox\n\n"
        f"You get this email once a day while replies are unread. Turn it off in the "
        f"inbox settings: {app}/settings\n"
    )
    mail.enqueue(email, subject, body, kind="inbox_digest")
    return True
