"""Conversations: every inbound message on a number, grouped per contact, attributed to
the campaign the contact last received from that number, readable and markable."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import asdict, dataclass
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import notifications
from chalicelib.campaigns import answers, templates
from chalicelib.errors import Conflict, NotFound
from chalicelib.logs import logger
from chalicelib.models.base import expiry, now_ms, plain
from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel
from chalicelib.models.conversations import (
    STATE_ID,
    ConversationMessageModel,
    ConversationModel,
)
from chalicelib.models.sessions import WaSessionModel
from chalicelib.models.users import UserModel
from chalicelib.pagination import decode_cursor, encode_cursor
from wacast_protocol import Inbound

DEFAULT_RETENTION_DAYS = 180
PREVIEW_CHARS = 280


def conversation_id(user_id: str, session_id: str, phone: str) -> str:
    """Stable per (number, contact), so re-sent frames land in the same conversation."""
    digest = hashlib.sha256(f"{user_id}|{session_id}|{phone}".encode()).hexdigest()
    return f"cv_{digest[:24]}"


MEDIA_WORDS = {
    "image": "📷 Photo",
    "video": "🎥 Video",
    "ptt": "🎤 Audio",
    "audio": "🎤 Audio",
    "document": "📄 Document",
    "sticker": "Sticker",
    "location": "📍 Location",
    "vcard": "👤 Contact card",
    "multi_vcard": "👤 Contact card",
}


def media_words(kind: str, caption: str | None) -> str:
    """ "📷 Photo: caption" for notices and emails (the SPA words it in the user's language)."""
    words = MEDIA_WORDS.get(kind, "📎 Attachment")
    return f"{words}: {caption}" if caption else words


def retention_days(user_id: str) -> int:
    try:
        days = UserModel.get(user_id).inbox_retention_days
    except UserModel.DoesNotExist:
        days = None
    return int(days) if days else DEFAULT_RETENTION_DAYS


def set_retention_days(user_id: str, days: int) -> int:
    UserModel(user_id).update(actions=[UserModel.inbox_retention_days.set(days)])
    return days


# --- attribution -------------------------------------------------------------------------


# --- recording inbound messages ----------------------------------------------------------


def _contact_name(user_id: str, phone: str, push_name: str | None) -> str | None:
    """The contact's name; an unknown sender becomes a contact, named by WhatsApp."""
    from chalicelib.contacts import service as contacts
    from chalicelib.contacts.mapping import RowData

    try:
        contact = contacts.get_contact(user_id, phone)
        return contact.name or contact.first_name or push_name
    except NotFound:
        pass
    # Conflict: created meanwhile by an import or a re-sent frame.
    with contextlib.suppress(Conflict):
        contacts.create_contact(user_id, RowData(phone=phone, name=push_name or None))
    return push_name


def record_inbound(
    session: WaSessionModel, frame: Inbound, campaign: CampaignModel | None
) -> ConversationModel:
    """Store the message and move its conversation to the top, unread. Idempotent: a
    re-sent frame finds its message and changes nothing."""
    from chalicelib.contacts import service as contacts

    user_id = session.user_id
    cid = conversation_id(user_id, frame.session_id, frame.from_phone)
    now = now_ms()
    keep_until = now + retention_days(user_id) * 86_400_000
    message = ConversationMessageModel(
        cid,
        f"{frame.ts:013d}#{frame.wa_message_id}",
        user_id=user_id,
        body=frame.body,
        wa_message_id=frame.wa_message_id,
        at=frame.ts,
        campaign_id=campaign.campaign_id if campaign else None,
        received_at=now,
        expires_at=expiry(keep_until // 1000),
        kind=frame.kind,
    )
    name = _contact_name(user_id, frame.from_phone, frame.push_name)
    preview = frame.body[:PREVIEW_CHARS]
    opted_out = contacts.is_opted_out(user_id, frame.from_phone)
    # Message, conversation and the user's inbox state move together or not at all: a
    # re-sent frame finds its message and changes nothing; a half-done one never exists.
    for _ in range(5):
        try:
            before: ConversationModel | None = ConversationModel.get(
                user_id, cid, consistent_read=True
            )
        except ConversationModel.DoesNotExist:
            before = None
        unread = int(before.unread or 0) if before and before.unread is not None else None
        actions: list[Any] = [
            ConversationModel.session_id.set(frame.session_id),
            ConversationModel.phone.set(frame.from_phone),
            ConversationModel.unread.set((unread or 0) + 1),
            ConversationModel.opted_out.set(opted_out),
            ConversationModel.updated_at.set(now),
            ConversationModel.created_at.set(ConversationModel.created_at | now),
        ]
        if name:
            actions.append(ConversationModel.name.set(name))
        if campaign:
            actions.append(ConversationModel.campaign_ids.add({campaign.campaign_id}))
        last_at = int(before.last_at) if before and before.last_at else None
        if last_at is None or last_at <= frame.ts:
            # An older message re-sent late does not take over the preview or the order.
            actions += [
                ConversationModel.last_at.set(frame.ts),
                ConversationModel.recent.set(f"{frame.ts:013d}#{cid}"),
                ConversationModel.last_in_text.set(preview),
                ConversationModel.last_in_expires.set(keep_until),
                ConversationModel.last_in_kind.set(frame.kind)
                if frame.kind
                else ConversationModel.last_in_kind.remove(),
                ConversationModel.search.set(
                    " ".join(p for p in (name or "", frame.from_phone, preview) if p).lower()
                ),
            ]
            if campaign:
                actions.append(ConversationModel.campaign_id.set(campaign.campaign_id))
        unchanged = (
            ConversationModel.unread.does_not_exist()
            if unread is None
            else ConversationModel.unread == unread
        )
        state_actions: list[Any] = [ConversationModel.version.add(1)]
        was_read = not unread
        if was_read:
            state_actions.append(ConversationModel.unread_conversations.add(1))
        try:
            with _transaction() as transaction:
                transaction.save(
                    message, condition=ConversationMessageModel.message_key.does_not_exist()
                )
                transaction.update(ConversationModel(user_id, cid), actions, condition=unchanged)
                transaction.update(ConversationModel(user_id, STATE_ID), state_actions)
        except TransactWriteError as error:
            reasons = getattr(error, "cancellation_reasons", None) or []
            failed = [r is not None and r.code == "ConditionalCheckFailed" for r in reasons]
            if failed[:1] == [True]:
                return ConversationModel.get(user_id, cid)  # already stored: a re-sent frame
            if len(failed) > 1 and failed[1]:
                continue  # another reply or a mark-read moved it meanwhile: read again
            raise
        break
    else:
        raise RuntimeError("the conversation kept changing; the frame will be re-sent")
    conversation = ConversationModel.get(user_id, cid)
    if was_read:
        # One notice per conversation: only when a reply reopens a read (or new) one.
        who = name or frame.from_phone
        notifications.notify(
            user_id,
            "conversation_reply",
            f"New reply from {who}",
            media_words(frame.kind, preview) if frame.kind else preview,
            session_id=frame.session_id,
            campaign_id=campaign.campaign_id if campaign else None,
            email=False,
            link_path=f"/inbox/{cid}",
        )
    logger.info(
        "inbound stored",
        extra={"user_id": user_id, "conversation_id": cid, "attributed": bool(campaign)},
    )
    return conversation


def _transaction() -> TransactWrite:
    return TransactWrite(connection=Connection(region=ConversationModel.Meta.region))


# --- reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxState:
    version: int
    unread_conversations: int


def state(user_id: str) -> InboxState:
    try:
        item = ConversationModel.get(user_id, STATE_ID, consistent_read=True)
    except ConversationModel.DoesNotExist:
        return InboxState(0, 0)
    return InboxState(int(item.version or 0), max(0, int(item.unread_conversations or 0)))


def preview_of(conversation: ConversationModel) -> str | None:
    if conversation.last_in_expires and int(conversation.last_in_expires) < now_ms():
        return None  # past the account's retention
    return conversation.last_in_text


def get(user_id: str, cid: str) -> ConversationModel:
    if cid == STATE_ID:
        raise NotFound("No such conversation.")
    try:
        return ConversationModel.get(user_id, cid)
    except ConversationModel.DoesNotExist:
        raise NotFound("No such conversation.") from None


def list_conversations(
    user_id: str,
    limit: int,
    cursor: str | None,
    *,
    session_id: str | None = None,
    unread: bool | None = None,
    campaign_id: str | None = None,
    opted_out: bool | None = None,
    search: str | None = None,
) -> tuple[list[ConversationModel], str | None]:
    start = decode_cursor(
        cursor, {"user_id", "conversation_id", "recent"}, owner=("user_id", user_id)
    )
    conditions: list[Any] = []
    if session_id:
        conditions.append(ConversationModel.session_id == session_id)
    if unread is True:
        conditions.append(ConversationModel.unread > 0)
    elif unread is False:
        conditions.append(ConversationModel.unread == 0)
    if campaign_id:
        conditions.append(ConversationModel.campaign_ids.contains(campaign_id))
    if opted_out is not None:
        conditions.append(ConversationModel.opted_out == opted_out)
    if search:
        conditions.append(ConversationModel.search.contains(search.strip().lower()))
    condition = None
    for part in conditions:
        condition = part if condition is None else condition & part
    result = ConversationModel.recent_index.query(
        user_id,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=start,
        filter_condition=condition,
    )
    items = list(result)
    return items, encode_cursor(result.last_evaluated_key)


def mark_read(user_id: str, cid: str) -> ConversationModel:
    conversation = get(user_id, cid)
    if not int(conversation.unread or 0):
        return conversation  # already read: nothing moves
    try:
        with _transaction() as transaction:
            transaction.update(
                conversation,
                [ConversationModel.unread.set(0), ConversationModel.read_at.set(now_ms())],
                condition=ConversationModel.unread > 0,
            )
            transaction.update(
                ConversationModel(user_id, STATE_ID),
                [
                    ConversationModel.version.add(1),
                    ConversationModel.unread_conversations.add(-1),
                ],
            )
    except TransactWriteError as error:
        reasons = getattr(error, "cancellation_reasons", None) or []
        if not any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons):
            raise
    return get(user_id, cid)  # read meanwhile by another tab: the same answer


@dataclass(frozen=True)
class ThreadItem:
    direction: str  # "in" | "out"
    at: int
    text: str | None
    campaign_id: str | None
    campaign_name: str | None = None
    status: str | None = None
    wa_message_id: str | None = None
    kind: str | None = None  # inbound media: image, video, ptt, document, sticker, ...
    reason: str | None = None  # why an answer failed
    reply_id: str | None = None  # an answer sent from the app
    has_image: bool = False


def thread(user_id: str, cid: str, limit: int = 200) -> list[ThreadItem]:
    """The conversation's inbound messages, the answers sent from the app and the
    campaign messages sent to the contact from that number (with their status), oldest
    first."""
    conversation = get(user_id, cid)
    rows = list(ConversationMessageModel.query(cid, scan_index_forward=False, limit=limit))
    pipeline = answers.statuses(conversation.phone or "", [m.reply_id for m in rows if m.reply_id])
    items = []
    for m in rows:
        if m.direction == "out" and m.reply_id:
            sent = pipeline.get(m.reply_id)
            status, reason = answers.status_of(sent)
            items.append(
                ThreadItem(
                    "out",
                    int(m.at),
                    m.body or None,
                    None,
                    status=status,
                    reason=reason,
                    wa_message_id=sent.wa_message_id if sent else None,
                    reply_id=m.reply_id,
                    has_image=bool(m.media_key),
                )
            )
            continue
        items.append(
            ThreadItem(
                "in",
                int(m.at),
                m.body,
                m.campaign_id,
                wa_message_id=m.wa_message_id,
                kind=m.kind,
            )
        )
    campaigns = {
        c.campaign_id: c
        for c in CampaignModel.query(user_id)
        if conversation.session_id in (c.session_ids or []) and c.launched_at
    }
    names = {cid_: c.name for cid_, c in campaigns.items()}
    keys = [(campaign_id, conversation.phone) for campaign_id in campaigns]
    for sent in CampaignMessageModel.batch_get(keys) if keys else []:
        if sent.session_id != conversation.session_id or not sent.sent_at:
            continue
        campaign = campaigns[sent.campaign_id]
        rendered = templates.render(
            campaign.template, plain(sent.values), seed=f"{campaign.campaign_id}:{sent.phone}"
        )
        items.append(
            ThreadItem(
                "out",
                int(sent.sent_at),
                sent.text or rendered.text,
                sent.campaign_id,
                status=sent.status,
                wa_message_id=sent.wa_message_id,
            )
        )
    for i, item in enumerate(items):
        if item.campaign_id:
            items[i] = ThreadItem(**{**item.__dict__, "campaign_name": names.get(item.campaign_id)})
    items.sort(key=lambda t: (t.at, t.direction))
    return items[-limit:]


def add_reply_texts(user_id: str, items: list[Any]) -> None:
    """Fill ``reply_text`` on campaign recipients from their conversation on the number
    that sent them the message."""
    keys = {(i.session_id, i.phone) for i in items}
    if not keys:
        return
    conversations = ConversationModel.batch_get(
        [(user_id, conversation_id(user_id, s, p)) for s, p in keys]
    )
    texts = {(c.session_id, c.phone): preview_of(c) for c in conversations}
    for item in items:
        item.reply_text = texts.get((item.session_id, item.phone))


# --- erasure -----------------------------------------------------------------------------


def export_contact(user_id: str, phone: str) -> list[dict[str, Any]]:
    """Every conversation with this phone (on any number) and its messages, oldest
    first: the inbox's part of a contact's data export. Texts past their retention
    are gone, as in the app."""
    found = []
    for conversation in ConversationModel.recent_index.query(
        user_id, filter_condition=ConversationModel.phone == phone
    ):
        cid = conversation.conversation_id
        found.append(
            {
                "conversation_id": cid,
                "session_id": conversation.session_id,
                "messages": [asdict(item) for item in thread(user_id, cid, limit=10_000)],
            }
        )
    return found


def erase_contacts(user_id: str, phones: list[str]) -> int:
    """Delete every conversation with these phones (on any number, deleted ones included)
    and its messages: deleting a contact takes their replies with them (registered on
    ``contacts.hooks.on_contacts_deleted``). Rare, so it walks the user's conversations
    once rather than keeping an index by phone. Returns how many conversations went."""
    wanted = set(phones)
    if not wanted:
        return 0
    erased = 0
    for conversation in ConversationModel.recent_index.query(user_id):
        if conversation.phone not in wanted:
            continue
        cid = conversation.conversation_id
        with ConversationMessageModel.batch_write() as batch:
            for message in ConversationMessageModel.query(cid):
                batch.delete(message)
        try:
            conversation.delete(condition=ConversationModel.unread == conversation.unread)
        except DeleteError:
            conversation = ConversationModel.get(user_id, cid, consistent_read=True)
            conversation.delete()  # a reply arrived meanwhile: its count is read again
        _state_after_erase(user_id, int(conversation.unread or 0))
        erased += 1
    if erased:
        logger.info("conversations erased", extra={"user_id": user_id, "count": erased})
    return erased


def _state_after_erase(user_id: str, unread: int) -> None:
    actions: list[Any] = [ConversationModel.version.add(1)]
    if unread:
        actions.append(ConversationModel.unread_conversations.add(-1))
    ConversationModel(user_id, STATE_ID).update(actions=actions)
