"""Campaign and message statuses, launch stages: plain names, cheap to import (the API's models use
them at start-up; ``messages`` holds the writes that move a message)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Literal


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


# Nothing more happens to a message in one of these (unless the user retries a failure).
FINAL_STATUSES = tuple(
    s for s in MessageStatus if s not in (MessageStatus.PENDING, MessageStatus.LEASED)
)

if TYPE_CHECKING:
    MessageStatusName = str
else:  # the API's list of statuses, from the enum
    MessageStatusName = Literal[tuple(s.value for s in MessageStatus)]

LaunchStage = Literal["checking", "queuing", "done"]


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    PREPARING = "preparing"  # schedule answered; the launch worker walks the audience
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


if TYPE_CHECKING:
    CampaignStatusName = str
else:  # the API's list of statuses, from the enum
    CampaignStatusName = Literal[tuple(s.value for s in CampaignStatus)]
