"""Campaign messages: their statuses and the one conditional write that moves one.

Every message update is conditional on its current status (and session), so a frame
applied twice (re-sent after a reconnect, or redelivered) changes nothing the second
time. Counters move with one ADD per campaign per frame, not per message
(``counters.bump``), so callers sum the moves that succeeded and bump once.
"""

from __future__ import annotations

from enum import StrEnum

from pynamodb.exceptions import UpdateError

from chalicelib.models.campaigns import CampaignMessageModel


class MessageStatus(StrEnum):
    PENDING = "pending"
    LEASED = "leased"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"


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
    condition = (CampaignMessageModel.status == old) & (
        CampaignMessageModel.session_id == session_id
    )
    if extra_condition is not None:
        condition = condition & extra_condition
    try:
        CampaignMessageModel(campaign_id, phone).update(actions=actions, condition=condition)
        return True
    except UpdateError:
        return False
