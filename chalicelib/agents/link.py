"""The agents' WebSocket link: $connect authentication, frames in, frames out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib import jobs, push, queues
from chalicelib.agents import recovery, registry
from chalicelib.logs import logger
from chalicelib.models.agents import AgentModel
from chalicelib.models.base import now_ms
from chalicelib.sessions import service as sessions
from wacast_protocol import (
    Acks,
    ErrorFrame,
    Heartbeat,
    Hello,
    Inbound,
    ProtocolError,
    Pull,
    Receipt,
    Results,
    SessionStateFrame,
    parse_agent_frame,
)

OFFLINE_CHECK_DELAY_S = 60


def _token(raw_event: dict[str, Any]) -> str:
    headers = {k.lower(): v for k, v in (raw_event.get("headers") or {}).items()}
    query = raw_event.get("queryStringParameters") or {}
    return str(headers.get("authorization") or query.get("token") or "")


def on_connect(event: Any) -> dict[str, Any]:
    agent = registry.authenticate(_token(event.to_dict()))
    if agent is None:
        logger.warning("agent connect refused", extra={"connection_id": event.connection_id})
        return {"statusCode": 403}
    replaced = registry.attach_connection(agent, event.connection_id)
    logger.info(
        "agent connected",
        extra={"agent_id": agent.agent_id, "connection_id": event.connection_id},
    )
    if replaced:
        # One live connection per agent: the newest wins, the old one is closed.
        push.close(replaced)
    return {"statusCode": 200}


def on_disconnect(event: Any) -> None:
    agent = registry.detach_connection(event.connection_id)
    logger.info(
        "agent disconnected",
        extra={"agent_id": agent.agent_id if agent else None, "connection_id": event.connection_id},
    )
    if agent is not None:
        # If it has not come back within a minute, its sessions are offline.
        queues.send(
            queues.JOBS,
            jobs.AgentOfflineCheck(agent_id=agent.agent_id),
            delay_seconds=OFFLINE_CHECK_DELAY_S,
        )


def send_error(connection_id: str, code: str, message: str, details: Any = None) -> None:
    push.send_frame(connection_id, ErrorFrame(code=code, message=message, details=details))


def on_message(event: Any) -> None:
    connection_id = event.connection_id
    agent = registry.agent_for_connection(connection_id)
    if agent is None:
        send_error(connection_id, "not_connected", "This connection is not an agent's.")
        push.close(connection_id)
        return
    try:
        frame = parse_agent_frame(event.body or "")
    except ProtocolError as error:
        logger.warning("bad frame", extra={"agent_id": agent.agent_id, "code": error.code})
        send_error(connection_id, error.code, error.message, error.details)
        return
    handler = HANDLERS.get(frame.type)
    if handler is None:
        send_error(
            connection_id,
            "unsupported",
            f"This server does not handle {frame.type!r} frames yet.",
            {"type": frame.type},
        )
        return
    try:
        handler(agent, connection_id, frame)
    except sessions.SessionNotOwned as error:
        logger.warning(
            "agent spoke about a session it does not hold",
            extra={"agent_id": agent.agent_id, "session_id": str(error)},
        )
        send_error(
            connection_id,
            "not_your_session",
            "That session is not assigned to you.",
            {"session_id": str(error)},
        )
        return
    if frame.seq is not None:
        push.send_frame(connection_id, Receipt(seqs=[frame.seq]))


def _hello(agent: AgentModel, connection_id: str, frame: Hello) -> None:
    agent.update(
        actions=[
            AgentModel.version.set(frame.agent_version),
            AgentModel.last_heartbeat_at.set(now_ms()),
        ]
    )
    registry.record_openwa_version(agent, frame.openwa_version)
    push.send_frame(connection_id, sessions.reconcile(agent, frame.sessions))
    recovery.release_unjournalled(agent, connection_id, frame)


def _heartbeat(agent: AgentModel, connection_id: str, frame: Heartbeat) -> None:
    agent.update(
        actions=[
            AgentModel.last_heartbeat_at.set(now_ms()),
            AgentModel.metrics.set(
                {
                    "sessions_running": frame.sessions_running,
                    "rss_bytes": frame.rss_bytes,
                    "cpu_percent": frame.cpu_percent,
                    "uptime_s": frame.uptime_s,
                }
            ),
        ]
    )
    registry.record_openwa_version(agent, frame.openwa_version)
    recovery.reconcile_running(agent, connection_id, frame)


def _session_state(agent: AgentModel, connection_id: str, frame: SessionStateFrame) -> None:
    sessions.apply_report(agent, frame)
    recovery.wake_if_connected(connection_id, frame)


def _pull(agent: AgentModel, connection_id: str, frame: Pull) -> None:
    from chalicelib.campaigns import lease

    push.send_frame(connection_id, lease.lease(agent, frame.session_id, frame.max))


def _results(agent: AgentModel, connection_id: str, frame: Results) -> None:
    from chalicelib.campaigns import outcomes

    outcomes.apply_results(agent, frame)


def _acks(agent: AgentModel, connection_id: str, frame: Acks) -> None:
    from chalicelib.campaigns import outcomes

    outcomes.apply_acks(agent, frame)


def _inbound(agent: AgentModel, connection_id: str, frame: Inbound) -> None:
    from chalicelib.campaigns import outcomes
    from chalicelib.conversations import inbox

    # Campaigns count the reply and read it for opt-out words first; then the inbox
    # keeps it. Both are idempotent, so a re-sent frame changes nothing.
    replied = outcomes.apply_inbound(agent, frame)
    inbox.record_inbound(replied.session, frame, replied.campaign)


HANDLERS: dict[str, Callable[[AgentModel, str, Any], None]] = {
    "hello": _hello,
    "heartbeat": _heartbeat,
    "session_state": _session_state,
    "pull": _pull,
    "results": _results,
    "acks": _acks,
    "inbound": _inbound,
}


def offline_check(agent_id: str) -> int:
    """Delayed after a disconnect: still gone? Then its sessions are offline."""
    try:
        agent = registry.get_agent(agent_id)
    except Exception:
        return 0
    if sessions.agent_online(agent):
        return 0
    return sessions.mark_agent_offline(agent)
