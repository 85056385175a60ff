"""The reply inbox: conversations, their messages, mark read, retention."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Literal

from chalice import Response
from pydantic import ConfigDict, Field

from chalicelib import lazy
from chalicelib.api import Api, RequestContext
from chalicelib.basemodel import BaseModel
from chalicelib.campaigns.templates import MAX_LENGTH as MAX_TEXT
from chalicelib.pagination import Page, PageQuery

if TYPE_CHECKING:
    from chalicelib.campaigns import answers, media
    from chalicelib.conversations import inbox, outbound, quick_replies
    from chalicelib.models.conversations import ConversationModel, QuickReplyModel
else:  # imported on first use (chalicelib.lazy): cheap cold starts
    answers = lazy.module("chalicelib.campaigns.answers")
    media = lazy.module("chalicelib.campaigns.media")
    inbox = lazy.module("chalicelib.conversations.inbox")
    outbound = lazy.module("chalicelib.conversations.outbound")
    quick_replies = lazy.module("chalicelib.conversations.quick_replies")
    ConversationModel = lazy.attr("chalicelib.models.conversations", "ConversationModel")
    QuickReplyModel = lazy.attr("chalicelib.models.conversations", "QuickReplyModel")

api = Api(__name__, "conversations")


class ConversationQuery(PageQuery):
    session_id: str | None = Field(None, max_length=64, description="Only this number")
    unread: bool | None = Field(None, description="Only unread (true) or read (false) ones")
    campaign_id: str | None = Field(None, max_length=64, description="Replies to this campaign")
    opted_out: bool | None = None
    q: str | None = Field(
        None, min_length=1, max_length=100, description="Name, phone or last message contains"
    )


class Conversation(BaseModel):
    conversation_id: str
    session_id: str
    phone: str
    name: str | None
    last_at: int
    last_text: str | None = Field(description="The last reply, unless past retention")
    last_kind: str | None = Field(
        None, description="The last reply's media kind (image, ptt, …); its text is the caption"
    )
    unread: int
    campaign_id: str | None = Field(description="The campaign the last reply answered")
    opted_out: bool
    read_at: int | None

    @classmethod
    def of(cls, c: ConversationModel) -> Conversation:
        return cls(
            conversation_id=c.conversation_id,
            session_id=c.session_id or "",
            phone=c.phone or "",
            name=c.name,
            last_at=int(c.last_at or 0),
            last_text=inbox.preview_of(c),
            last_kind=c.last_in_kind,
            unread=int(c.unread or 0),
            campaign_id=c.campaign_id,
            opted_out=bool(c.opted_out),
            read_at=int(c.read_at) if c.read_at else None,
        )


class ConversationPage(Page[Conversation]):
    unread_conversations: int = Field(description="Conversations with unread replies, in all")


class InboxSummary(BaseModel):
    unread_conversations: int
    version: int = Field(description="Changes whenever a reply arrives or one is read")


class ThreadMessage(BaseModel):
    direction: Literal["in", "out"]
    at: int
    text: str | None
    campaign_id: str | None
    campaign_name: str | None
    status: str | None = Field(
        description="For messages sent: queued (answers only), sent, delivered, read, failed"
    )
    reason: str | None = Field(None, description="Why an answer failed (a code)")
    kind: str | None = Field(
        None, description="Inbound media: image, video, ptt/audio, document, sticker, location…"
    )
    reply_id: str | None = Field(None, description="An answer sent from the app")
    has_image: bool = False


class Thread(BaseModel):
    conversation: Conversation
    items: list[ThreadMessage]


class InboxSettings(BaseModel):
    retention_days: int = Field(ge=1, le=3650, description="Days reply texts are kept")
    digest: Literal["off", "daily"] | None = Field(
        None, description="An email of unread conversations once a day (PUT: leave out to keep)"
    )


def _etag(user_id: str, version: int, key: str) -> str:
    digest = hashlib.sha256(f"{user_id}|{key}".encode()).hexdigest()[:12]
    return f'W/"{version}-{digest}"'


def _cached(ctx: RequestContext, etag: str) -> Response | None:
    """304 when the caller's copy is current: the list is not read at all."""
    sent = ctx.headers.get("if-none-match", "")
    if etag in {tag.strip() for tag in sent.split(",")}:
        return Response(body="", status_code=304, headers={"ETag": etag})
    return None


def _with_etag(payload: BaseModel, etag: str) -> Response:
    return Response(
        body=payload.model_dump_json(),
        status_code=200,
        headers={"Content-Type": "application/json", "ETag": etag, "Cache-Control": "no-cache"},
    )


@api.route(
    "/api/conversations",
    "GET",
    query=ConversationQuery,
    response=ConversationPage,
    summary="Conversations with replies, newest first (ETag: send If-None-Match to poll)",
)
def list_conversations(ctx: RequestContext, query: ConversationQuery) -> Response:
    assert ctx.user_id
    current = inbox.state(ctx.user_id)  # read first: a change after it changes the tag
    etag = _etag(ctx.user_id, current.version, query.model_dump_json())
    cached = _cached(ctx, etag)
    if cached is not None:
        return cached
    items, cursor = inbox.list_conversations(
        ctx.user_id,
        query.limit,
        query.cursor,
        session_id=query.session_id,
        unread=query.unread,
        campaign_id=query.campaign_id,
        opted_out=query.opted_out,
        search=query.q,
    )
    page = ConversationPage(
        items=[Conversation.of(c) for c in items],
        next_cursor=cursor,
        unread_conversations=current.unread_conversations,
    )
    return _with_etag(page, etag)


@api.route(
    "/api/conversations/summary",
    "GET",
    response=InboxSummary,
    summary="Unread conversations, for the navigation badge (ETag)",
)
def inbox_summary(ctx: RequestContext) -> Response:
    assert ctx.user_id
    current = inbox.state(ctx.user_id)
    etag = _etag(ctx.user_id, current.version, "summary")
    cached = _cached(ctx, etag)
    if cached is not None:
        return cached
    summary = InboxSummary(
        unread_conversations=current.unread_conversations, version=current.version
    )
    return _with_etag(summary, etag)


@api.route(
    "/api/conversations/{conversation_id}/messages",
    "GET",
    response=Thread,
    errors=(404,),
    summary="A conversation: the replies and the campaign messages sent, oldest first",
)
def conversation_messages(ctx: RequestContext, conversation_id: str) -> Thread:
    assert ctx.user_id
    items = inbox.thread(ctx.user_id, conversation_id)
    conversation = inbox.get(ctx.user_id, conversation_id)
    return Thread(
        conversation=Conversation.of(conversation),
        items=[
            ThreadMessage(
                direction="in" if i.direction == "in" else "out",
                at=i.at,
                text=i.text,
                campaign_id=i.campaign_id,
                campaign_name=i.campaign_name,
                status=i.status,
                reason=i.reason,
                kind=i.kind,
                reply_id=i.reply_id,
                has_image=i.has_image,
            )
            for i in items
        ],
    )


@api.route(
    "/api/conversations/{conversation_id}/read",
    "POST",
    response=Conversation,
    errors=(404,),
    summary="Mark a conversation read",
)
def read_conversation(ctx: RequestContext, conversation_id: str) -> Conversation:
    assert ctx.user_id
    return Conversation.of(inbox.mark_read(ctx.user_id, conversation_id))


@api.route("/api/conversations/settings", "GET", response=InboxSettings, summary="Inbox settings")
def get_inbox_settings(ctx: RequestContext) -> InboxSettings:
    from chalicelib.conversations import digest

    assert ctx.user_id
    return InboxSettings(
        retention_days=inbox.retention_days(ctx.user_id), digest=digest.frequency(ctx.user_id)
    )


@api.route(
    "/api/conversations/settings",
    "PUT",
    body=InboxSettings,
    response=InboxSettings,
    summary="How long reply texts are kept (new replies), and the daily email digest",
)
def put_inbox_settings(ctx: RequestContext, body: InboxSettings) -> InboxSettings:
    from chalicelib.conversations import digest

    assert ctx.user_id
    days = inbox.set_retention_days(ctx.user_id, body.retention_days)
    frequency = (
        digest.set_frequency(ctx.user_id, body.digest)
        if body.digest
        else digest.frequency(ctx.user_id)
    )
    return InboxSettings(retention_days=days, digest=frequency)


# --- answering from the app --------------------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AnswerBody(Strict):
    text: str = Field("", max_length=MAX_TEXT, description="The answer (or the caption)")
    upload_key: str | None = Field(
        None, min_length=1, max_length=300, description="An image uploaded to the upload slot"
    )
    client_id: str | None = Field(
        None,
        min_length=8,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Your id for this answer: a retry with the same id sends it once "
        "(or send an Idempotency-Key header)",
    )


class Answer(BaseModel):
    reply_id: str
    status: str = Field(description="queued, sent, delivered, read or failed")
    reason: str | None
    at: int
    text: str
    has_image: bool


class UploadSlot(BaseModel):
    upload_url: str = Field(description="POST the image here (JPEG, PNG or WebP, ≤ 5 MB)")
    upload_fields: dict[str, str] = Field(description="Form fields first, the file last as `file`")
    method: Literal["POST"] = "POST"
    upload_key: str
    expires_in: int


@api.route(
    "/api/conversations/{conversation_id}/messages",
    "POST",
    body=AnswerBody,
    response=Answer,
    status=202,
    errors=(404, 409, 422),
    summary="Answer the contact from the conversation's number (counts against the quota)",
)
def answer(ctx: RequestContext, conversation_id: str, body: AnswerBody) -> Answer:
    import secrets

    assert ctx.user_id
    client_id = body.client_id or ctx.headers.get("idempotency-key", "").strip()[:64]
    sent = outbound.send(
        ctx.user_id,
        conversation_id,
        body.text,
        client_id or secrets.token_hex(12),
        body.upload_key,
    )
    status, reason = answers.status_of(sent.message)
    return Answer(
        reply_id=sent.message.campaign_id,
        status=status,
        reason=reason,
        at=int(sent.row.at),
        text=sent.row.body,
        has_image=bool(sent.row.media_key),
    )


@api.route(
    "/api/conversations/{conversation_id}/media/upload",
    "POST",
    response=UploadSlot,
    errors=(404,),
    summary="Get a URL to upload an image to answer with",
)
def answer_upload(ctx: RequestContext, conversation_id: str) -> UploadSlot:
    assert ctx.user_id
    inbox.get(ctx.user_id, conversation_id)
    url, fields, key = media.upload_slot(ctx.user_id, outbound.upload_scope(conversation_id))
    return UploadSlot(
        upload_url=url, upload_fields=fields, upload_key=key, expires_in=media.UPLOAD_URL_SECONDS
    )


# --- quick replies -----------------------------------------------------------------------


class QuickReplyBody(Strict):
    name: str = Field(min_length=1, max_length=60, description="What you pick it by")
    text: str = Field(
        min_length=1,
        max_length=MAX_TEXT,
        description="The answer; {{first_name|there}} and {a|b} as in campaigns",
    )


class QuickReply(BaseModel):
    quick_reply_id: str
    name: str
    text: str
    filled: str | None = Field(
        None, description="The text for the contact of `conversation_id`, if one was given"
    )

    @classmethod
    def of(cls, q: QuickReplyModel, filled: str | None = None) -> QuickReply:
        return cls(quick_reply_id=q.quick_reply_id, name=q.name, text=q.text, filled=filled)


class QuickReplyList(BaseModel):
    items: list[QuickReply]


class QuickReplyQuery(BaseModel):
    conversation_id: str | None = Field(
        None,
        min_length=1,  # an empty id is no key (DynamoDB refused it: a 500 the fuzzing found)
        max_length=64,
        description="Fill the variables for this conversation's contact",
    )


@api.route(
    "/api/quick-replies",
    "GET",
    query=QuickReplyQuery,
    response=QuickReplyList,
    errors=(404,),
    summary="The account's quick replies, by name",
)
def list_quick_replies(ctx: RequestContext, query: QuickReplyQuery) -> QuickReplyList:
    assert ctx.user_id
    items = quick_replies.list_all(ctx.user_id)
    if query.conversation_id is None:
        return QuickReplyList(items=[QuickReply.of(q) for q in items])
    conversation = inbox.get(ctx.user_id, query.conversation_id)
    return QuickReplyList(
        items=[
            QuickReply.of(q, quick_replies.fill(ctx.user_id, q.text, conversation)) for q in items
        ]
    )


@api.route(
    "/api/quick-replies",
    "POST",
    body=QuickReplyBody,
    response=QuickReply,
    status=201,
    errors=(409, 422),
    summary="Save a quick reply",
)
def create_quick_reply(ctx: RequestContext, body: QuickReplyBody) -> QuickReply:
    assert ctx.user_id
    return QuickReply.of(quick_replies.create(ctx.user_id, body.name, body.text))


@api.route(
    "/api/quick-replies/{quick_reply_id}",
    "PUT",
    body=QuickReplyBody,
    response=QuickReply,
    errors=(404, 409, 422),
    summary="Change a quick reply",
)
def update_quick_reply(
    ctx: RequestContext, quick_reply_id: str, body: QuickReplyBody
) -> QuickReply:
    assert ctx.user_id
    return QuickReply.of(quick_replies.update(ctx.user_id, quick_reply_id, body.name, body.text))


@api.route(
    "/api/quick-replies/{quick_reply_id}",
    "DELETE",
    status=204,
    errors=(404,),
    summary="Delete a quick reply",
)
def delete_quick_reply(ctx: RequestContext, quick_reply_id: str) -> None:
    assert ctx.user_id
    quick_replies.delete(ctx.user_id, quick_reply_id)


# --- typing indicator, per number ---------------------------------------------------------


class TypingBody(Strict):
    show_typing: bool = Field(description='Show "typing…" for a moment before each send')


class NumberTyping(BaseModel):
    session_id: str
    label: str
    show_typing: bool


class NumberTypingList(BaseModel):
    items: list[NumberTyping]


@api.route(
    "/api/conversations/numbers",
    "GET",
    response=NumberTypingList,
    summary='Each number\'s "show typing" setting',
)
def typing_numbers(ctx: RequestContext) -> NumberTypingList:
    assert ctx.user_id
    return NumberTypingList(
        items=[
            NumberTyping(session_id=s.session_id, label=s.label, show_typing=bool(s.show_typing))
            for s in outbound.typing_numbers(ctx.user_id)
        ]
    )


@api.route(
    "/api/conversations/numbers/{session_id}/typing",
    "PUT",
    body=TypingBody,
    response=NumberTyping,
    errors=(404,),
    summary='Show "typing…" before each send from this number (answers and campaigns)',
)
def put_typing(ctx: RequestContext, session_id: str, body: TypingBody) -> NumberTyping:
    assert ctx.user_id
    session = outbound.set_show_typing(ctx.user_id, session_id, body.show_typing)
    return NumberTyping(
        session_id=session.session_id, label=session.label, show_typing=body.show_typing
    )
