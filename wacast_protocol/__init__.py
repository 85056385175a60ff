"""Agent <-> cloud WebSocket protocol: one pydantic model per frame type.

Pure pydantic (no AWS imports): both the Chalice app and the edge agent import it.
Every frame has ``type`` and ``v``. Strings and lists are bounded so that a hostile
frame cannot make either side allocate without limit.
"""

from __future__ import annotations

import json
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 1_000_000  # a frame larger than this is rejected before parsing
# Messages of no campaign carry these pseudo-campaign ids in batches and results: an
# answer from the inbox (into a chat that exists) and a test send. Both sides read them.
REPLY_PREFIX = "reply-"
TEST_PREFIX = "test-"

SessionId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
CampaignId = Annotated[str, Field(min_length=1, max_length=64)]
E164 = Annotated[str, Field(pattern=r"^\+[1-9][0-9]{6,14}$")]
WaId = Annotated[str, Field(pattern=r"^[0-9]{6,15}@c\.us$", max_length=32)]
EpochMs = Annotated[int, Field(ge=0, le=10**14)]
Seq = Annotated[int, Field(ge=1, le=2**62)]
HHMM = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
ShortText = Annotated[str, Field(max_length=500)]
WaMessageId = Annotated[str, Field(min_length=1, max_length=200)]
LicenseKey = Annotated[str, Field(min_length=1, max_length=200)]


class SessionState(StrEnum):
    starting = "starting"
    qr_ready = "qr_ready"
    qr_expired = "qr_expired"
    connected = "connected"
    disconnected = "disconnected"
    banned = "banned"
    logged_out = "logged_out"
    agent_offline = "agent_offline"
    stopped = "stopped"
    deleted = "deleted"
    failed = "failed"
    # WhatsApp's "reachout timelock": the number may not start new chats for a while;
    # sends to existing chats still work.
    restricted = "restricted"


class StartFailReason(StrEnum):
    """Why a session could not start, read from OpenWA's events and log (``reason``)."""

    whatsapp_unreachable = "whatsapp_unreachable"
    browser_missing = "browser_missing"
    browser_failed = "browser_failed"
    profile_locked = "profile_locked"
    qr_timeout = "qr_timeout"
    whatsapp_web_changed = "whatsapp_web_changed"
    start_failed = "start_failed"


class Outcome(StrEnum):
    sent = "sent"
    failed = "failed"
    unknown = "unknown"


class FailReason(StrEnum):
    invalid_number = "invalid_number"
    not_on_whatsapp = "not_on_whatsapp"
    session_error = "session_error"
    rate_limited = "rate_limited"
    timeout = "timeout"
    media_error = "media_error"
    # OpenWA's licence wall: a chat that does not exist yet with a number that is not a
    # saved contact of the phone needs a licence key for the sending number.
    needs_license = "needs_license"
    # "ERROR: Please make sure you have at least one chat"
    no_chats = "no_chats"
    # "Not able to send message to broadcast"
    broadcast_refused = "broadcast_refused"
    # sendText returned false: no chat could be found or opened
    chat_not_found = "chat_not_found"
    # the number may not start new chats (reachout timelock)
    restricted = "restricted"
    unknown = "unknown"


class ProtocolError(Exception):
    """The only exception the parse functions raise."""

    def __init__(self, code: str, message: str, details: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, str_strip_whitespace=False)


class _AgentFrameBase(_Model):
    v: Literal[1] = 1
    seq: Seq | None = None


class _CloudFrameBase(_Model):
    v: Literal[1] = 1


# ----------------------------------------------------------------- agent -> cloud
class SessionSummary(_Model):
    session_id: SessionId
    state: SessionState
    phone: E164 | None = None


class LeaseRef(_Model):
    session_id: SessionId
    campaign_id: CampaignId
    phone: E164


class Hello(_AgentFrameBase):
    type: Literal["hello"] = "hello"
    agent_version: Annotated[str, Field(min_length=1, max_length=40)]
    max_sessions: Annotated[int, Field(ge=0, le=10_000)]
    sessions: Annotated[list[SessionSummary], Field(max_length=10_000)] = []
    # Sends the agent's journal holds without a reported outcome. Every other message
    # leased to this agent's sessions was never attempted and may return to the outbox.
    # None (an older agent) means "unknown": leases then wait for their expiry.
    in_flight: Annotated[list[LeaseRef], Field(max_length=10_000)] | None = None
    openwa_version: Annotated[str, Field(max_length=40)] | None = None


class Heartbeat(_AgentFrameBase):
    type: Literal["heartbeat"] = "heartbeat"
    sessions_running: Annotated[int, Field(ge=0, le=10_000)]
    rss_bytes: Annotated[int, Field(ge=0, le=2**50)]
    cpu_percent: Annotated[float, Field(ge=0, le=100_000)]
    uptime_s: Annotated[float, Field(ge=0, le=10**10)]
    openwa_version: Annotated[str, Field(max_length=40)] | None = None
    # What runs now, so the cloud can re-send what should run (reconciliation).
    sessions: Annotated[list[SessionSummary], Field(max_length=10_000)] | None = None


class SessionStateFrame(_AgentFrameBase):
    type: Literal["session_state"] = "session_state"
    session_id: SessionId
    state: SessionState
    ts: EpochMs
    phone: E164 | None = None
    qr: Annotated[str, Field(max_length=200_000, pattern=r"^data:image/png;base64,")] | None = None
    qr_expires_at: EpochMs | None = None
    reason: Annotated[str, Field(max_length=64)] | None = None
    detail: ShortText | None = None
    # state "restricted": when the restriction lifts, if WhatsApp said
    restricted_until: EpochMs | None = None


class Pull(_AgentFrameBase):
    type: Literal["pull"] = "pull"
    session_id: SessionId
    max: Annotated[int, Field(ge=1, le=100)]


class ResultItem(_Model):
    campaign_id: CampaignId
    phone: E164
    session_id: SessionId
    outcome: Outcome
    wa_message_id: WaMessageId | None = None
    reason: FailReason | None = None
    # the engine's own words for a failure it could not classify
    detail: ShortText | None = None
    ts: EpochMs
    # a sent message's ack (2 delivered, 3 read, 4 played) that came before its result
    # left the agent: the cloud applies both in one write
    ack: Annotated[int, Field(ge=2, le=4)] | None = None


class Results(_AgentFrameBase):
    type: Literal["results"] = "results"
    items: Annotated[list[ResultItem], Field(min_length=1, max_length=500)]


class AckItem(_Model):
    session_id: SessionId
    wa_message_id: WaMessageId
    ack: Annotated[int, Field(ge=-1, le=4)]
    ts: EpochMs


class Acks(_AgentFrameBase):
    type: Literal["acks"] = "acks"
    items: Annotated[list[AckItem], Field(min_length=1, max_length=500)]


class Inbound(_AgentFrameBase):
    type: Literal["inbound"] = "inbound"
    session_id: SessionId
    from_phone: E164
    body: Annotated[str, Field(max_length=4096)]
    wa_message_id: WaMessageId
    ts: EpochMs
    # The sender's WhatsApp display name, when the engine reports it.
    push_name: Annotated[str, Field(max_length=200)] | None = None
    # A media message: OpenWA's type (image, video, ptt, audio, document, sticker,
    # location, vcard, ...); ``body`` is then its caption (a location's address), or "".
    # Absent from older agents and for texts.
    kind: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z_]+$")] | None = None


# ----------------------------------------------------------------- cloud -> agent
class DesiredSession(_Model):
    session_id: SessionId
    desired: Literal["running", "stopped"]
    purge_after: EpochMs | None = None
    license_key: LicenseKey | None = Field(default=None, repr=False)


class Sync(_CloudFrameBase):
    type: Literal["sync"] = "sync"
    sessions: Annotated[list[DesiredSession], Field(max_length=10_000)]
    # when the desired set was read: a session started after this is not the sync's to stop
    computed_at: EpochMs | None = None


class StartSession(_CloudFrameBase):
    type: Literal["start_session"] = "start_session"
    session_id: SessionId
    # the number's own OpenWA licence key (write-only in the API; never logged)
    license_key: LicenseKey | None = Field(default=None, repr=False)
    issued_at: EpochMs | None = None


class StopSession(_CloudFrameBase):
    type: Literal["stop_session"] = "stop_session"
    session_id: SessionId
    purge_after: EpochMs | None = None


class BatchMessage(_Model):
    campaign_id: CampaignId
    phone: E164
    to: WaId
    text: Annotated[str, Field(max_length=4096)]
    media_url: Annotated[str, Field(max_length=4096, pattern=r"^(https?|data):")] | None = None
    media_filename: Annotated[str, Field(max_length=200)] | None = None
    lease_until: EpochMs


class Pacing(_Model):
    min_gap_s: Annotated[float, Field(ge=0, le=86_400)]
    max_gap_s: Annotated[float, Field(ge=0, le=86_400)]
    daily_cap: Annotated[int, Field(ge=0, le=1_000_000)]
    quiet_start: HHMM | None = None
    quiet_end: HHMM | None = None
    timezone: Annotated[str, Field(min_length=1, max_length=64)] = "UTC"
    # Show "typing…" in the chat for a moment before each send (the number's setting);
    # None: off (and what an older cloud sends).
    typing: bool | None = None


class Batch(_CloudFrameBase):
    type: Literal["batch"] = "batch"
    session_id: SessionId
    messages: Annotated[list[BatchMessage], Field(max_length=100)]
    pacing: Pacing


class Wake(_CloudFrameBase):
    type: Literal["wake"] = "wake"
    session_ids: Annotated[list[SessionId], Field(max_length=10_000)]


class CancelLeases(_CloudFrameBase):
    type: Literal["cancel_leases"] = "cancel_leases"
    session_id: SessionId
    campaign_id: CampaignId
    phones: Annotated[list[E164], Field(max_length=1000)] | None = None


class Receipt(_CloudFrameBase):
    type: Literal["receipt"] = "receipt"
    seqs: Annotated[list[Seq], Field(max_length=1000)]


class ErrorFrame(_CloudFrameBase):
    type: Literal["error"] = "error"
    code: Annotated[str, Field(min_length=1, max_length=64)]
    message: Annotated[str, Field(max_length=1000)]
    details: Any = None


AgentFrame = Annotated[
    Hello | Heartbeat | SessionStateFrame | Pull | Results | Acks | Inbound,
    Field(discriminator="type"),
]
CloudFrame = Annotated[
    Sync | StartSession | StopSession | Batch | Wake | CancelLeases | Receipt | ErrorFrame,
    Field(discriminator="type"),
]
AnyFrame = (
    Hello
    | Heartbeat
    | SessionStateFrame
    | Pull
    | Results
    | Acks
    | Inbound
    | Sync
    | StartSession
    | StopSession
    | Batch
    | Wake
    | CancelLeases
    | Receipt
    | ErrorFrame
)


@lru_cache(maxsize=1)
def _agent_adapter() -> TypeAdapter[AgentFrame]:
    # Built on first use, not at import: cold starts of HTTP handlers never need it.
    return TypeAdapter(AgentFrame)


@lru_cache(maxsize=1)
def _cloud_adapter() -> TypeAdapter[CloudFrame]:
    return TypeAdapter(CloudFrame)


AGENT_FRAME_TYPES = frozenset(
    {"hello", "heartbeat", "session_state", "pull", "results", "acks", "inbound"}
)
CLOUD_FRAME_TYPES = frozenset(
    {"sync", "start_session", "stop_session", "batch", "wake", "cancel_leases", "receipt", "error"}
)


def _load(raw: str | bytes, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(raw, str | bytes | bytearray):
        raise ProtocolError("invalid_frame", "frame must be text or bytes")
    if len(raw) > MAX_FRAME_BYTES:
        raise ProtocolError("frame_too_large", f"frame exceeds {MAX_FRAME_BYTES} bytes")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ProtocolError("invalid_json", "frame is not valid JSON", str(exc)[:200]) from None
    if not isinstance(data, dict):
        raise ProtocolError("invalid_frame", "frame must be a JSON object")
    ftype = data.get("type")
    if not isinstance(ftype, str) or ftype not in allowed:
        shown = ftype[:64] if isinstance(ftype, str) else None
        raise ProtocolError("unknown_type", "unknown frame type", {"type": shown})
    if data.get("v", PROTOCOL_VERSION) != PROTOCOL_VERSION:
        raise ProtocolError("unsupported_version", "unsupported protocol version")
    return data


def _errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": [str(p) for p in e["loc"]][:10], "msg": e["msg"][:200], "type": e["type"]}
        for e in exc.errors(include_url=False, include_input=False)[:20]
    ]


def parse_agent_frame(raw: str | bytes) -> AgentFrame:
    data = _load(raw, AGENT_FRAME_TYPES)
    try:
        return _agent_adapter().validate_python(data)
    except ValidationError as exc:
        raise ProtocolError("invalid_frame", "frame failed validation", _errors(exc)) from None


def parse_cloud_frame(raw: str | bytes) -> CloudFrame:
    data = _load(raw, CLOUD_FRAME_TYPES)
    try:
        return _cloud_adapter().validate_python(data)
    except ValidationError as exc:
        raise ProtocolError("invalid_frame", "frame failed validation", _errors(exc)) from None


def dump_frame(frame: BaseModel) -> str:
    return frame.model_dump_json(exclude_none=True)
