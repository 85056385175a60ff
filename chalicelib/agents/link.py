"""The agents' WebSocket link: $connect authentication, frames in, frames out."""

from __future__ import annotations

import json
from typing import Any

from chalice import Chalice

from chalicelib import push
from chalicelib.agents import registry
from chalicelib.logs import logger
from chalicelib.models.agents import AgentModel
from chalicelib.models.base import now_ms

MAX_FRAME_BYTES = 128 * 1024


def _token(raw_event: dict[str, Any]) -> str:
    headers = {k.lower(): v for k, v in (raw_event.get("headers") or {}).items()}
    query = raw_event.get("queryStringParameters") or {}
    return str(headers.get("authorization") or query.get("token") or "")


def on_connect(app: Chalice, event: Any) -> dict[str, Any]:
    raw = event.to_dict()
    agent = registry.authenticate(_token(raw))
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
        push.close(app, replaced)
    return {"statusCode": 200}


def on_disconnect(app: Chalice, event: Any) -> None:
    agent = registry.detach_connection(event.connection_id)
    logger.info(
        "agent disconnected",
        extra={"agent_id": agent.agent_id if agent else None, "connection_id": event.connection_id},
    )


def send_error(
    app: Chalice, connection_id: str, code: str, message: str, details: Any = None
) -> None:
    frame = push.frame("error", code=code, message=message, details=details)
    push.send(app, connection_id, json.dumps(frame))


def on_message(app: Chalice, event: Any) -> None:
    connection_id = event.connection_id
    agent = registry.agent_for_connection(connection_id)
    if agent is None:
        send_error(app, connection_id, "not_connected", "This connection is not an agent's.")
        push.close(app, connection_id)
        return
    body = event.body or ""
    if len(body.encode("utf-8", "replace")) > MAX_FRAME_BYTES:
        send_error(app, connection_id, "frame_too_large", "Frames are limited to 128 KiB.")
        return
    try:
        frame = json.loads(body)
    except ValueError:
        send_error(app, connection_id, "invalid_json", "The frame is not valid JSON.")
        return
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        send_error(app, connection_id, "invalid_frame", "A frame is an object with a type.")
        return
    handler = HANDLERS.get(frame["type"])
    if handler is None:
        send_error(app, connection_id, "unknown_type", f"Unknown frame type {frame['type']!r}.")
        return
    handler(app, agent, connection_id, frame)


def _heartbeat(app: Chalice, agent: AgentModel, connection_id: str, frame: dict[str, Any]) -> None:
    agent.update(actions=[AgentModel.last_heartbeat_at.set(now_ms())])


HANDLERS = {"heartbeat": _heartbeat}
