"""One local webhook receiver (127.0.0.1) for every OpenWA process of this agent.

Each session gets a random secret path segment; a POST is routed by that secret only, so one
session's process cannot post events as another session.
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger("agent.webhooks")

Handler = Callable[[str, dict[str, Any]], Awaitable[None]]  # (kind, body); kind: ev|ready|wh
MAX_BODY = 2 << 20


class WebhookReceiver:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self._routes: dict[str, tuple[str, Handler]] = {}
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/hook/{secret}/{kind}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        log.info("webhook receiver listening", extra={"port": self.port})

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def register(self, session_id: str, handler: Handler) -> dict[str, str]:
        """Returns the URLs for ``--ev``, ``--ready-webhook`` and ``-w``."""
        for secret, (sid, _) in list(self._routes.items()):
            if sid == session_id:
                del self._routes[secret]
        secret = secrets.token_urlsafe(24)
        self._routes[secret] = (session_id, handler)
        base = f"http://{self.host}:{self.port}/hook/{secret}"
        return {"ev": f"{base}/ev", "ready": f"{base}/ready", "wh": f"{base}/wh"}

    def unregister(self, session_id: str) -> None:
        for secret, (sid, _) in list(self._routes.items()):
            if sid == session_id:
                del self._routes[secret]

    async def _handle(self, request: web.Request) -> web.Response:
        route = self._routes.get(request.match_info["secret"])
        kind = request.match_info["kind"]
        if route is None or kind not in ("ev", "ready", "wh"):
            return web.json_response({"error": "not found"}, status=404)
        session_id, handler = route
        try:
            body = json.loads(await request.read())
        except ValueError:
            return web.json_response({"error": "invalid json"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"error": "invalid body"}, status=400)
        if body.get("sessionId") not in (None, session_id):
            log.warning("sessionId mismatch", extra={"session_id": session_id})
            return web.json_response({"error": "session mismatch"}, status=403)
        try:
            await handler(kind, body)
        except Exception:
            log.exception("webhook handler failed", extra={"session_id": session_id})
        return web.json_response({"ok": True})
