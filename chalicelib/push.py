"""Sending frames to agents over the WebSocket API's management endpoint."""

from __future__ import annotations

import contextlib
from typing import Any

from chalice import Chalice, WebsocketDisconnectedError

from chalicelib.config import settings
from chalicelib.logs import logger


def configure(app: Chalice) -> None:
    """HTTP, SQS and schedule handlers must configure the endpoint themselves."""
    s = settings()
    if s.ws_domain and app.websocket_api is not None:
        app.websocket_api.configure(s.ws_domain, s.ws_stage)
    if app.websocket_api is not None and app.websocket_api.session is None:
        import boto3

        app.websocket_api.session = boto3.session.Session()


def send(app: Chalice, connection_id: str, payload: str) -> bool:
    """Send one frame; False when the connection is gone."""
    assert app.websocket_api is not None
    try:
        app.websocket_api.send(connection_id, payload)
        return True
    except WebsocketDisconnectedError:
        logger.info("connection gone", extra={"connection_id": connection_id})
        return False


def close(app: Chalice, connection_id: str) -> None:
    assert app.websocket_api is not None
    with contextlib.suppress(WebsocketDisconnectedError):
        app.websocket_api.close(connection_id)


def frame(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "v": 1, **fields}
