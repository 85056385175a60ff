"""A local stand-in for API Gateway's WebSocket API, for the app's on_ws_* handlers.

It speaks the same event shape to the handlers ($connect with headers and query
string, $default with the frame body, $disconnect on close), refuses the
handshake when $connect answers non-2xx, and serves the management API
(POST/DELETE/GET /@connections/{id}, 410 for a gone id) that
``app.websocket_api`` calls.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
from aiohttp import WSMsgType, web

from infra.local.stats import count

log = logging.getLogger("localstack.ws")

Invoke = Callable[[str, dict[str, Any]], Any]
MAX_FRAME_BYTES = (
    128 * 1024
)  # API Gateway's WebSocket frame limit is 32 KB per frame, 128 KB per message


def _connection_id() -> str:
    # Shaped like API Gateway's ids ("LMk2zcLQoAMCJvQ="), safe inside a URL path.
    return base64.urlsafe_b64encode(secrets.token_bytes(10)).decode()


class _Connection:
    def __init__(self, ws: web.WebSocketResponse, source_ip: str, user_agent: str) -> None:
        self.ws = ws
        self.connected_at = time.time()
        self.last_active_at = self.connected_at
        self.source_ip = source_ip
        self.user_agent = user_agent
        # Frames are handed to the handler one at a time per connection.
        self.lock = asyncio.Lock()


class WsGateway:
    def __init__(self, invoke: Invoke, host: str, port: int, stage: str) -> None:
        self._invoke = invoke
        self.host = host
        self.port = port
        self.stage = stage
        self.connections: dict[str, _Connection] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def domain(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"ws://{self.domain}"

    # --- events ---------------------------------------------------------------------

    def _request_context(
        self, connection_id: str, route: str, kind: str, ip: str, ua: str, connected_at: float
    ) -> dict[str, Any]:
        now = int(time.time() * 1000)
        return {
            "routeKey": route,
            "eventType": kind,
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": int(connected_at * 1000),
            "requestTimeEpoch": now,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "identity": {"sourceIp": ip, "userAgent": ua},
            "requestId": str(uuid.uuid4()),
            "extendedRequestId": str(uuid.uuid4()),
            "domainName": self.domain,
            "connectionId": connection_id,
            "apiId": "local",
        }

    async def _call(self, route: str, event: dict[str, Any]) -> Any:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, self._invoke, route, event)
        except Exception:
            log.exception("handler %s raised", route)
            return {"statusCode": 500}

    # --- the socket -----------------------------------------------------------------

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return web.json_response({"message": "Expected a WebSocket upgrade"}, status=426)
        connection_id = _connection_id()
        ip = request.remote or "127.0.0.1"
        ua = request.headers.get("User-Agent", "")
        query = dict(request.query)
        headers = dict(request.headers)
        connected_at = time.time()
        connect_event = {
            "headers": headers,
            "multiValueHeaders": {k: request.headers.getall(k) for k in request.headers},
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": (
                {k: request.query.getall(k) for k in request.query} or None
            ),
            "requestContext": self._request_context(
                connection_id, "$connect", "CONNECT", ip, ua, connected_at
            ),
            "isBase64Encoded": False,
        }
        result = await self._call("$connect", connect_event)
        status = int((result or {}).get("statusCode", 200)) if isinstance(result, dict) else 200
        if not 200 <= status < 300:
            return web.json_response({"message": "Forbidden"}, status=status)
        ws = web.WebSocketResponse(max_msg_size=MAX_FRAME_BYTES * 4)
        await ws.prepare(request)
        connection = _Connection(ws, ip, ua)
        connection.connected_at = connected_at
        self.connections[connection_id] = connection
        close_reason = "Client closed"
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    body = message.data
                elif message.type == WSMsgType.BINARY:
                    body = message.data.decode("utf-8", "replace")
                else:
                    continue
                connection.last_active_at = time.time()
                count("ws.frames_in")
                event = {
                    "requestContext": {
                        **self._request_context(
                            connection_id, "$default", "MESSAGE", ip, ua, connected_at
                        ),
                        "messageId": secrets.token_urlsafe(8),
                    },
                    "body": body,
                    "isBase64Encoded": False,
                }
                async with connection.lock:
                    await self._call("$default", event)
        finally:
            self.connections.pop(connection_id, None)
            disconnect_event = {
                "headers": headers,
                "requestContext": {
                    **self._request_context(
                        connection_id, "$disconnect", "DISCONNECT", ip, ua, connected_at
                    ),
                    "disconnectStatusCode": ws.close_code or 1006,
                    "disconnectReason": close_reason,
                },
                "isBase64Encoded": False,
            }
            await self._call("$disconnect", disconnect_event)
        return ws

    # --- management API -------------------------------------------------------------

    @staticmethod
    def _gone(connection_id: str) -> web.Response:
        return web.json_response(
            {"message": f"Connection {connection_id} is gone", "__type": "GoneException"},
            status=410,
            headers={"x-amzn-ErrorType": "GoneException"},
        )

    async def _post(self, request: web.Request) -> web.Response:
        connection_id = request.match_info["connection_id"]
        connection = self.connections.get(connection_id)
        if connection is None or connection.ws.closed:
            return self._gone(connection_id)
        data = await request.read()
        if len(data) > MAX_FRAME_BYTES:
            return web.json_response(
                {"message": "Message too long", "__type": "PayloadTooLargeException"}, status=413
            )
        try:
            await connection.ws.send_str(data.decode("utf-8", "replace"))
            count("ws.frames_out")
        except (ConnectionError, RuntimeError):
            return self._gone(connection_id)
        return web.Response(status=200)

    async def _delete(self, request: web.Request) -> web.Response:
        connection_id = request.match_info["connection_id"]
        connection = self.connections.get(connection_id)
        if connection is None:
            return self._gone(connection_id)
        await connection.ws.close(code=1000, message=b"Closed by the server")
        return web.Response(status=204)

    async def _get(self, request: web.Request) -> web.Response:
        connection_id = request.match_info["connection_id"]
        connection = self.connections.get(connection_id)
        if connection is None:
            return self._gone(connection_id)
        iso = "%Y-%m-%dT%H:%M:%S.000Z"
        return web.json_response(
            {
                "ConnectedAt": time.strftime(iso, time.gmtime(connection.connected_at)),
                "LastActiveAt": time.strftime(iso, time.gmtime(connection.last_active_at)),
                "Identity": {"SourceIp": connection.source_ip, "UserAgent": connection.user_agent},
            }
        )

    async def _list(self, request: web.Request) -> web.Response:
        # Not in API Gateway: lets local tests find connections to drop.
        return web.json_response(sorted(self.connections))

    # --- lifecycle ------------------------------------------------------------------

    @staticmethod
    @web.middleware
    async def _loopback_management(request: web.Request, handler: Any) -> web.StreamResponse:
        # The management API pushes frames to and drops any agent: like API Gateway's
        # (IAM-signed), it is not for the network. Agents may connect from anywhere.
        if "/@connections" in request.path:
            from infra.local.http_server import is_loopback

            if not is_loopback(request.remote or ""):
                return web.json_response(
                    {"message": "Forbidden", "__type": "ForbiddenException"}, status=403
                )
        return await handler(request)

    def _application(self) -> web.Application:
        application = web.Application(
            client_max_size=MAX_FRAME_BYTES * 4, middlewares=[self._loopback_management]
        )
        for prefix in ("", "/{stage}"):
            path = prefix + "/@connections/{connection_id}"
            application.router.add_post(path, self._post)
            application.router.add_delete(path, self._delete)
            application.router.add_get(path, self._get)
        application.router.add_get("/@connections", self._list)
        application.router.add_get("/", self._handle_socket)
        application.router.add_get("/{stage}", self._handle_socket)
        return application

    async def _serve(self) -> None:
        self._runner = web.AppRunner(self._application(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()

    def start(self) -> None:
        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve())
            except BaseException as error:  # reported to start()'s caller
                self._error = error
                self._ready.set()
                return
            self._ready.set()
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
            loop.close()

        self._thread = threading.Thread(target=run, name="ws-gateway", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error

    async def _shutdown(self) -> None:
        for connection in list(self.connections.values()):
            await connection.ws.close(code=1001, message=b"Server going away")
        if self._runner is not None:
            await self._runner.cleanup()

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)


class ManagementSession:
    """What ``app.websocket_api.session`` is set to locally: clients aimed at the gateway."""

    def __init__(self, endpoint: str, region: str) -> None:
        self._endpoint = endpoint
        self.region_name = region
        self._session = boto3.session.Session(region_name=region)

    def client(self, name: str, endpoint_url: str | None = None) -> Any:
        # Chalice passes https://{domain}/{stage}; locally every stage lives on one port.
        return self._session.client(name, endpoint_url=self._endpoint)
