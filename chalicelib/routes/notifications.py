"""In-app notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from chalicelib import lazy
from chalicelib.api import Api, RequestContext
from chalicelib.basemodel import BaseModel
from chalicelib.pagination import Page, PageQuery

if TYPE_CHECKING:
    from chalicelib import notifications
    from chalicelib.models.sessions import NotificationModel
else:  # imported on first use (chalicelib.lazy): cheap cold starts
    notifications = lazy.module("chalicelib.notifications")
    NotificationModel = lazy.attr("chalicelib.models.sessions", "NotificationModel")

api = Api(__name__, "notifications")


class NotificationQuery(PageQuery):
    unread: bool = Field(False, description="Only unread ones")


class Notification(BaseModel):
    notification_id: str
    kind: str
    title: str
    body: str
    session_id: str | None
    campaign_id: str | None
    created_at: int
    read_at: int | None

    @classmethod
    def of(cls, notice: NotificationModel) -> Notification:
        return cls(
            notification_id=notice.notification_id,
            kind=notice.kind,
            title=notice.title,
            body=notice.body,
            session_id=notice.session_id,
            campaign_id=notice.campaign_id,
            created_at=int(notice.created_at),
            read_at=int(notice.read_at) if notice.read_at else None,
        )


@api.route(
    "/api/notifications",
    "GET",
    query=NotificationQuery,
    response=Page[Notification],
    summary="Your notifications, newest first",
)
def list_notifications(ctx: RequestContext, query: NotificationQuery) -> Page[Notification]:
    assert ctx.user_id
    items, cursor = notifications.list_for(ctx.user_id, query.limit, query.cursor, query.unread)
    return Page[Notification](items=[Notification.of(n) for n in items], next_cursor=cursor)


@api.route(
    "/api/notifications/{notification_id}/read",
    "POST",
    response=Notification,
    errors=(404,),
    summary="Mark one notification read",
)
def read_notification(ctx: RequestContext, notification_id: str) -> Notification:
    assert ctx.user_id
    return Notification.of(notifications.mark_read(ctx.user_id, notification_id))
