"""Sending frames to agents through the WebSocket API's management endpoint.

app.py binds the Chalice app once; services then push without knowing about it.
HTTP, SQS and schedule handlers are not configured by Chalice automatically, so
``configure`` points the client at WACAST_WS_DOMAIN/WACAST_WS_STAGE.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from chalice import Chalice, WebsocketDisconnectedError
from pydantic import BaseModel

from chalicelib.config import settings
from chalicelib.logs import logger

_app: Chalice | None = None


def bind(app: Chalice) -> None:
    global _app
    _app = app


def configure(app: Chalice | None = None) -> None:
    app = app or _app
    if app is None or app.websocket_api is None:
        return
    s = settings()
    if s.ws_domain:
        app.websocket_api.configure(s.ws_domain, s.ws_stage)
    if app.websocket_api.session is None:
        import boto3

        app.websocket_api.session = boto3.session.Session()


def _api() -> Any:
    if _app is None or _app.websocket_api is None:
        raise RuntimeError("push.bind(app) was not called")
    configure(_app)
    return _app.websocket_api


def send(connection_id: str, payload: str) -> bool:
    """Send one frame; False when the connection is gone or pushing is not set up."""
    try:
        _api().send(connection_id, payload)
        return True
    except WebsocketDisconnectedError:
        logger.info("connection gone", extra={"connection_id": connection_id})
        return False
    except ValueError as error:  # no endpoint configured (WACAST_WS_DOMAIN unset)
        logger.error("cannot push to agents", extra={"error": str(error)})
        return False


def send_frame(connection_id: str | None, frame: BaseModel | dict[str, Any]) -> bool:
    if not connection_id:
        return False
    if isinstance(frame, BaseModel):
        payload = frame.model_dump_json(exclude_none=True)
    else:
        payload = json.dumps(frame, separators=(",", ":"))
    return send(connection_id, payload)


def close(connection_id: str) -> None:
    with contextlib.suppress(WebsocketDisconnectedError, ValueError):
        _api().close(connection_id)
