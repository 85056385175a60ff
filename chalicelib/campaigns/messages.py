"""Campaign messages: their statuses, their outbox keys, the conditional writes that
lease one and move one, and what the agent is handed for a leased one.

Every message update is conditional on its current status (and session), so a frame
applied twice (re-sent after a reconnect, or redelivered) changes nothing the second
time. Counters move with one ADD per campaign per frame, not per message
(``counters.bump``), so callers sum the moves that succeeded and bump once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.campaigns.statuses import FINAL_STATUSES, MessageStatus, MessageStatusName
from chalicelib.config import settings
from chalicelib.models.campaigns import CampaignMessageModel
from chalicelib.pagination import decode_cursor, encode_cursor
from wacast_protocol import BatchMessage

__all__ = [
    "FINAL_STATUSES",
    "MessageStatus",
    "MessageStatusName",
    "chat_id",
    "committed_upper_bound",
    "lease_one",
    "lease_slack_ms",
    "move_message",
    "moved_message",
    "outbox_order",
    "outgoing",
]


def move_message(
    campaign_id: str,
    phone: str,
    session_id: str,
    old: str,
    actions: list,
    extra_condition: object = None,
) -> bool:
    """Apply ``actions`` to the message if it is still ``old`` on ``session_id`` (and
    ``extra_condition`` holds); False when another write got there first."""
    moved = moved_message(campaign_id, phone, session_id, old, actions, extra_condition)
    return moved is not None


def moved_message(
    campaign_id: str,
    phone: str,
    session_id: str,
    old: str,
    actions: list,
    extra_condition: object = None,
) -> CampaignMessageModel | None:
    """As ``move_message``, answering the message as written (the update reads back
    ALL_NEW: its variant, …), or None when another write got there first."""
    condition = (CampaignMessageModel.status == old) & (
        CampaignMessageModel.session_id == session_id
    )
    if extra_condition is not None:
        condition = condition & extra_condition
    message = CampaignMessageModel(campaign_id, phone)
    try:
        message.update(actions=actions, condition=condition)
        return message
    except UpdateError:
        return None


def chat_id(phone: str) -> str:
    """OpenWA's chat id of a person: the E.164 digits at ``c.us``."""
    return f"{phone.lstrip('+')}@c.us"


def outgoing(
    message: CampaignMessageModel, text: str, media_url: str | None, lease_until: int
) -> BatchMessage:
    """What the agent is handed for one leased message."""
    return BatchMessage(
        campaign_id=message.campaign_id,
        phone=message.phone,
        to=chat_id(message.phone),
        text=text,
        media_url=media_url,
        media_filename="image.jpg" if media_url else None,
        lease_until=lease_until,
    )


def lease_slack_ms() -> int:
    return settings().lease_slack_s * 1000


def lease_one(message: CampaignMessageModel, session_id: str, lease_until: int, now: int) -> bool:
    """Lease one outbox message to ``session_id`` if it is still pending there."""
    try:
        message.update(
            actions=[
                CampaignMessageModel.status.set("leased"),
                CampaignMessageModel.outbox_session.remove(),
                CampaignMessageModel.lease_session.set(session_id),
                CampaignMessageModel.lease_until.set(lease_until),
                CampaignMessageModel.leased_at.set(now),
                CampaignMessageModel.attempts.add(1),
            ],
            condition=(CampaignMessageModel.status == "pending")
            & CampaignMessageModel.outbox_session.exists(),
        )
        return True
    except UpdateError:
        return False  # leased by a concurrent pull


def outbox_order(campaign_id: str, chunk: int, index: int) -> str:
    return f"1#{campaign_id}#{chunk:06d}#{index:06d}"


def committed_upper_bound(campaign_id: str, chunks: int) -> str:
    """The largest outbox key of the committed chunks (chunks 0..chunks-1)."""
    return f"1#{campaign_id}#{chunks - 1:06d}#~"


def page(
    campaign_id: str,
    limit: int,
    cursor: str | None,
    status: str | None = None,
    replied: bool | None = None,
) -> tuple[list[CampaignMessageModel], str | None]:
    """One page of a campaign's recipients, optionally of one status and/or (not) replied."""
    start = decode_cursor(cursor, {"campaign_id", "phone"}, owner=("campaign_id", campaign_id))
    condition: Any = CampaignMessageModel.status == status if status else None
    if replied is not None:
        exists = CampaignMessageModel.replied_at.exists()
        answered = exists if replied else CampaignMessageModel.replied_at.does_not_exist()
        condition = answered if condition is None else condition & answered
    result = CampaignMessageModel.query(
        campaign_id, limit=limit, last_evaluated_key=start, filter_condition=condition
    )
    items = list(result)
    return items, encode_cursor(result.last_evaluated_key)


def all_of(campaign_id: str) -> Iterator[CampaignMessageModel]:
    """Every recipient of a campaign (the export)."""
    yield from CampaignMessageModel.query(campaign_id)
