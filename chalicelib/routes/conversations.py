"""The reply inbox: conversations, their messages, mark read, retention."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Literal

from chalice import Response
from pydantic import Field

from chalicelib import lazy
from chalicelib.api import Api, RequestContext
from chalicelib.basemodel import BaseModel
from chalicelib.pagination import Page, PageQuery

if TYPE_CHECKING:
    from chalicelib.conversations import inbox
    from chalicelib.models.conversations import ConversationModel
else:  # imported on first use (chalicelib.lazy): cheap cold starts
    inbox = lazy.module("chalicelib.conversations.inbox")
    ConversationModel = lazy.attr("chalicelib.models.conversations", "ConversationModel")

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
    status: str | None = Field(description="For messages sent: sent, delivered, read, failed")


class Thread(BaseModel):
    conversation: Conversation
    items: list[ThreadMessage]


class InboxSettings(BaseModel):
    retention_days: int = Field(ge=1, le=3650, description="Days reply texts are kept")


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
    assert ctx.user_id
    return InboxSettings(retention_days=inbox.retention_days(ctx.user_id))


@api.route(
    "/api/conversations/settings",
    "PUT",
    body=InboxSettings,
    response=InboxSettings,
    summary="How long reply texts are kept (new replies)",
)
def put_inbox_settings(ctx: RequestContext, body: InboxSettings) -> InboxSettings:
    assert ctx.user_id
    return InboxSettings(retention_days=inbox.set_retention_days(ctx.user_id, body.retention_days))
