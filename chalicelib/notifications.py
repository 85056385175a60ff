"""In-app notices, mirrored by a short plain email with a link to the app."""

from __future__ import annotations

import secrets

from chalicelib import mail
from chalicelib.config import settings
from chalicelib.errors import NotFound
from chalicelib.logs import logger
from chalicelib.models.base import expiry, now_ms, now_s
from chalicelib.models.sessions import NotificationModel
from chalicelib.models.users import UserModel
from chalicelib.pagination import decode_cursor, encode_cursor

KEEP_DAYS = 90


def notify(
    user_id: str,
    kind: str,
    title: str,
    body: str,
    *,
    session_id: str | None = None,
    campaign_id: str | None = None,
    email: bool = True,
    link_path: str = "/dashboard",
) -> NotificationModel:
    created = now_ms()
    notice = NotificationModel(
        user_id,
        f"{created:013d}-{secrets.token_hex(4)}",
        kind=kind,
        title=title[:200],
        body=body[:2000],
        session_id=session_id,
        campaign_id=campaign_id,
        created_at=created,
        expires_at=expiry(now_s() + KEEP_DAYS * 86_400),
    )
    notice.save()
    if email:
        try:
            user = UserModel.get(user_id)
        except UserModel.DoesNotExist:
            return notice
        if user.email:
            mail.enqueue(
                to=user.email,
                subject=f"wacast: {title}",
                text=f"{body}\n\nOpen wacast: {settings().app_url}{link_path}\n",
                kind=kind,
            )
    logger.info("notified", extra={"user_id": user_id, "kind": kind, "session_id": session_id})
    return notice


def list_for(
    user_id: str, limit: int, cursor: str | None, unread_only: bool = False
) -> tuple[list[NotificationModel], str | None]:
    start = decode_cursor(cursor, {"user_id", "notification_id"}, owner=("user_id", user_id))
    condition = NotificationModel.read_at.does_not_exist() if unread_only else None
    result = NotificationModel.query(
        user_id,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=start,
        filter_condition=condition,
    )
    items = list(result)
    return items, encode_cursor(result.last_evaluated_key)


def mark_read(user_id: str, notification_id: str) -> NotificationModel:
    try:
        notice = NotificationModel.get(user_id, notification_id)
    except NotificationModel.DoesNotExist:
        raise NotFound("No such notification.") from None
    if notice.read_at is None:
        notice.update(actions=[NotificationModel.read_at.set(now_ms())])
    return notice
