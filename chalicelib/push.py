"""Sending frames to agents through the WebSocket API's management endpoint.

``chalicelib.bootstrap`` binds the Chalice app once; services then push without
knowing about it. An entry point without an app (the admin CLI, a script) pushes
through a WebsocketAPI of its own. HTTP, SQS and schedule handlers are not configured
by Chalice automatically, so every push points the client at
WACAST_WS_DOMAIN/WACAST_WS_STAGE first (``configure``; no handler needs to call it).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from chalice import Chalice, WebsocketDisconnectedError
from chalice.app import WebsocketAPI
from pydantic import BaseModel

from chalicelib.config import settings
from chalicelib.logs import logger

_app: Chalice | None = None
_own: WebsocketAPI | None = None  # for entry points that run without the Chalice app


def bind(app: Chalice) -> None:
    global _app
    _app = app


def _websocket_api() -> WebsocketAPI:
    global _own
    if _app is not None and _app.websocket_api is not None:
        return _app.websocket_api
    if _own is None:
        _own = WebsocketAPI()
    return _own


def configure(app: Chalice | None = None) -> None:
    """Point the management client at the stage's WebSocket API (a no-op once set)."""
    api = app.websocket_api if app is not None else _websocket_api()
    if api is None:
        return
    s = settings()
    if s.ws_domain:
        api.configure(s.ws_domain, s.ws_stage)
    if api.session is None:
        import boto3

        api.session = boto3.session.Session()


def _api() -> Any:
    configure()
    return _websocket_api()


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
