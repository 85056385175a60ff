"""The local HTTP front door: the Chalice API under /api, the SPA at /, dev pages."""

from __future__ import annotations

import html
import json
import logging
import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chalice import Chalice
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    LocalChalice,
    LocalDevServer,
    LocalGatewayException,
)

from chalicelib.errors import error_body
from chalicelib.gateway_responses import SERVER_ERROR, for_local_error

log = logging.getLogger("localstack.http")

API_GATEWAY_MAX_BODY = 10 * 1024 * 1024
Mailbox = Callable[[], list[dict[str, Any]]]


class FrontDoor(ChaliceRequestHandler):
    static_root: Path | None = None
    billing: Any = None  # infra.local.billing_provider.LocalBilling when Stripe is local
    mailbox: Mailbox = staticmethod(lambda: [])  # type: ignore[assignment]

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the app logs requests
        return

    def _generic_handle(self) -> None:
        path = urlsplit(self.path).path
        try:
            if path == "/api" or path.startswith("/api/"):
                self._api()
            elif path == "/dev/stats.json":
                from infra.local.stats import snapshot

                self._send_http_response(
                    200, {"Content-Type": "application/json"}, json.dumps(snapshot())
                )
            elif path.startswith("/dev/mail"):
                self._mail(path)
            elif self.billing is not None and self.billing.handles(path):
                self.billing.serve(self)
            else:
                self._static(path)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def _api(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length > API_GATEWAY_MAX_BODY:
            body = json.dumps(error_body("payload_too_large", "The request body is too large."))
            self._send_http_response(413, {"Content-Type": "application/json"}, body)
            self.close_connection = True
            return
        try:
            ChaliceRequestHandler._generic_handle(self)
        except LocalGatewayException:
            raise
        except Exception:
            log.exception("the local gateway failed")
            self._send_http_response(500, {"Content-Type": "application/json"}, SERVER_ERROR.body())

    def _send_error_response(self, error: LocalGatewayException) -> None:
        # What API Gateway's GatewayResponses (infra/aws) do in the cloud.
        mapped = for_local_error(error.CODE, dict(error.headers), error.body or b"")
        self._send_http_response(mapped.status, {"Content-Type": "application/json"}, mapped.body())

    def _mail(self, path: str) -> None:
        messages = self.mailbox()
        if path.endswith(".json"):
            self._send_http_response(
                200, {"Content-Type": "application/json"}, json.dumps(messages)
            )
            return
        rows = (
            "".join(
                "<article><h2>{subject}</h2><p><b>To:</b> {to} &middot; <b>From:</b> {source}</p>"
                "<pre>{body}</pre></article>".format(
                    **{k: html.escape(str(v)) for k, v in m.items()}
                )
                for m in reversed(messages)
            )
            or "<p>No email has been sent yet.</p>"
        )
        page = (
            "<!doctype html><html lang=en><meta charset=utf-8>"
            "<title>wacast local mailbox</title>"
            "<style>body{font:15px system-ui;max-width:60rem;margin:2rem auto;padding:0 1rem}"
            "article{border:1px solid #ccc;border-radius:8px;padding:0 1rem;margin:1rem 0}"
            "pre{white-space:pre-wrap}</style>"
            f"<h1>Local mailbox</h1><p>{len(messages)} email(s) sent through SES (moto).</p>"
            f"{rows}</html>"
        )
        self._send_http_response(200, {"Content-Type": "text/html; charset=utf-8"}, page)

    def _static(self, path: str) -> None:
        root = self.static_root
        if root is None or not (root / "index.html").exists():
            page = (
                "<!doctype html><html lang=en><meta charset=utf-8><title>wacast</title>"
                "<body style='font:16px system-ui;margin:3rem'><h1>wacast is running</h1>"
                "<p>The web app has not been built. The API is at "
                "<a href='/api/openapi.json'>/api/openapi.json</a>, health at "
                "<a href='/api/health'>/api/health</a>, the mailbox at "
                "<a href='/dev/mail'>/dev/mail</a>.</p></body></html>"
            )
            self._send_http_response(200, {"Content-Type": "text/html; charset=utf-8"}, page)
            return
        candidate = (root / path.lstrip("/")).resolve()
        if not str(candidate).startswith(str(root.resolve())) or not candidate.is_file():
            candidate = root / "index.html"  # client-side routes fall back to the SPA
        content_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
        headers = {"Content-Type": content_type}
        if "/assets/" in str(candidate):
            headers["Cache-Control"] = "public, max-age=31536000, immutable"
        self._send_http_response(200, headers, candidate.read_bytes())


def create_server(
    app: Chalice,
    host: str,
    port: int,
    static_root: Path | None,
    mailbox: Mailbox,
    billing: Any = None,
) -> LocalDevServer:
    # What chalice.local.create_local_server does: a thread-local current_request.
    if not isinstance(app, LocalChalice):
        CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
        app.__class__ = CustomLocalChalice
    handler = type(
        "BoundFrontDoor",
        (FrontDoor,),
        {"static_root": static_root, "mailbox": staticmethod(mailbox), "billing": billing},
    )
    config = Config.create(
        chalice_stage="dev", app_name="wacast", lambda_timeout=60, lambda_memory_size=512
    )
    return LocalDevServer(app, config, host, port, handler_cls=handler)
