"""Answers from the app: one message to the contact of a conversation, sent by the agent
on the conversation's number into that existing chat.

An answer rides the send pipeline like a test send (outbox → lease → agent journal →
results → acks) as a message of the pseudo-campaign ``reply-<id>``, at the front of the
number's outbox (``0#…``), so the agent and the frames need nothing new. Unlike a
campaign message it spends no pacing and no daily cap (the person is waiting for it),
but it is a message of the plan: one is held when queued, consumed when sent and given
back when it fails. Its thread row (``conversation_messages``, direction ``out``) keeps
the text; its status and WhatsApp id are read from its pipeline message, which results
and acks move, so the thread shows queued → sent → delivered → read without a second
write path.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from pynamodb.exceptions import PutError

from chalicelib.campaigns import media, quota, service
from chalicelib.campaigns.answers import PREFIX
from chalicelib.conversations import inbox
from chalicelib.errors import Conflict, DomainError, ValidationFailed
from chalicelib.logs import logger
from chalicelib.models.base import expiry, now_ms, now_s
from chalicelib.models.campaigns import CampaignMessageModel
from chalicelib.models.conversations import ConversationMessageModel, ConversationModel
from chalicelib.models.sessions import WaSessionModel

MAX_TEXT = 4096


def reply_id(user_id: str, conversation_id: str, client_id: str) -> str:
    """The same for a client's retry of one answer: the retry finds the first one."""
    digest = hashlib.sha256(f"{user_id}|{conversation_id}|{client_id}".encode()).hexdigest()
    return f"{PREFIX}{digest[:24]}"


def upload_scope(conversation_id: str) -> str:
    """Where an answer's image is uploaded (campaign media's checks and limits)."""
    return f"inbox-{conversation_id}"


@dataclass(frozen=True)
class Sent:
    row: ConversationMessageModel
    message: CampaignMessageModel
    created: bool  # False: a retry of an answer already queued


def send(
    user_id: str,
    conversation_id: str,
    text: str,
    client_id: str,
    upload_key: str | None = None,
) -> Sent:
    conversation = inbox.get(user_id, conversation_id)
    phone, session_id = conversation.phone or "", conversation.session_id or ""
    rid = reply_id(user_id, conversation_id, client_id)
    try:
        first = CampaignMessageModel.get(rid, phone, consistent_read=True)
        return Sent(_ensure_row(conversation, first), first, created=False)
    except CampaignMessageModel.DoesNotExist:
        pass
    text = text.strip()
    if not text and not upload_key:
        raise ValidationFailed("Write a message or attach an image.", code="empty_message")
    if len(text) > MAX_TEXT:
        raise ValidationFailed(
            f"The message is too long: at most {MAX_TEXT} characters.",
            {"length": len(text), "max": MAX_TEXT},
            code="too_long",
        )
    _check_can_send(user_id, session_id, phone)
    media_key = (
        media.attach(user_id, upload_scope(conversation_id), upload_key) if upload_key else None
    )
    try:
        # One per answer: a retry with the same id holds nothing more.
        quota.reserve(user_id, 1, f"reply#{rid}")
    except DomainError as error:
        if error.code != "quota_exceeded":
            raise
        raise Conflict(
            "Your plan's messages for this period are used up, and answers count too. "
            "Upgrade the plan or wait for the next period to answer from wacast.",
            error.details,
            code="quota_exceeded",
        ) from None
    now = now_ms()
    message = CampaignMessageModel(
        rid,
        phone,
        user_id=user_id,
        session_id=session_id,
        status="pending",
        name=conversation.name,
        text=text,
        media_key=media_key,
        queued_at=now,
        outbox_session=session_id,
        outbox_order=f"0#{now:013d}#{secrets.token_hex(3)}",
    )
    try:
        message.save(condition=CampaignMessageModel.campaign_id.does_not_exist())
    except PutError:
        # The same answer sent twice at once: the other request queued it (and its
        # reservation, under the same token, is the only one held).
        first = CampaignMessageModel.get(rid, phone, consistent_read=True)
        return Sent(_ensure_row(conversation, first), first, created=False)
    row = _ensure_row(conversation, message)
    ConversationModel(user_id, conversation_id).update(
        actions=[ConversationModel.updated_at.set(now)]
    )
    service.wake(user_id, [session_id])  # an answer goes now, not at the next idle pull
    logger.info(
        "answer queued",
        extra={"user_id": user_id, "conversation_id": conversation_id, "image": bool(media_key)},
    )
    return Sent(row, message, created=True)


def _check_can_send(user_id: str, session_id: str, phone: str) -> None:
    import chalicelib.contacts.service as contacts

    try:
        session = WaSessionModel.get(user_id, session_id)
    except WaSessionModel.DoesNotExist:
        raise Conflict(
            "The number this conversation is on was removed, so it cannot answer.",
            code="sessions_not_ready",
        ) from None
    if session.status not in ("connected", "restricted"):  # restricted: existing chats only
        raise Conflict(
            f"{session.label} is {session.status.replace('_', ' ')}, not connected. "
            "Connect it again to answer from it.",
            {"session_id": session_id, "status": session.status},
            code="sessions_not_ready",
        )
    if contacts.is_opted_out(user_id, phone):
        raise Conflict(
            "This contact asked not to be messaged, so wacast will not send to them.",
            {"phone": phone},
            code="contact_opted_out",
        )
    allowed, why = quota.sending_allowed(user_id)
    if not allowed:
        raise Conflict(
            "Sending is on hold until the account is back in good standing, answers included.",
            {"reason": why},
            code="sending_on_hold",
        )


def _ensure_row(
    conversation: ConversationModel, message: CampaignMessageModel
) -> ConversationMessageModel:
    """The answer's place in the thread, keyed by when it was queued (a retry after a
    crash between the two writes writes the same item again)."""
    queued_at = int(message.queued_at)
    row = ConversationMessageModel(
        conversation.conversation_id,
        f"{queued_at:013d}#{message.campaign_id}",
        user_id=conversation.user_id,
        direction="out",
        body=message.text or "",
        at=queued_at,
        received_at=queued_at,
        reply_id=message.campaign_id,
        media_key=message.media_key,
        expires_at=expiry(now_s() + inbox.retention_days(conversation.user_id) * 86_400),
    )
    row.save()
    return row


# --- typing indicator --------------------------------------------------------------------


def typing_numbers(user_id: str) -> list[WaSessionModel]:
    """The account's numbers, for the "show typing" setting (default off)."""
    from chalicelib.models.sessions import sessions_of

    return [s for s in sessions_of(user_id) if s.status != "deleted"]


def set_show_typing(user_id: str, session_id: str, on: bool) -> WaSessionModel:
    from chalicelib.errors import NotFound

    try:
        session = WaSessionModel.get(user_id, session_id)
    except WaSessionModel.DoesNotExist:
        raise NotFound("No such number.") from None
    if session.status == "deleted":
        raise NotFound("No such number.")
    session.update(actions=[WaSessionModel.show_typing.set(on)])
    return session
