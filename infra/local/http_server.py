"""The local HTTP front door: the Chalice API under /api, the SPA at /, dev pages."""

from __future__ import annotations

import contextlib
import hmac
import html
import ipaddress
import json
import logging
import mimetypes
import time
from collections.abc import Callable
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from chalice import Chalice
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    LocalChalice,
    LocalDevServer,
    LocalGatewayException,
)

from chalicelib import security_headers
from chalicelib.errors import error_body
from chalicelib.gateway_responses import SERVER_ERROR, for_local_error

log = logging.getLogger("localstack.http")

API_GATEWAY_MAX_BODY = 10 * 1024 * 1024
Mailbox = Callable[[], list[dict[str, Any]]]


KNOWN_METHODS = ("GET", "PUT", "POST", "HEAD", "DELETE", "PATCH", "OPTIONS")
DEV_COOKIE = "wacast_dev"


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.removeprefix("::ffff:")).is_loopback
    except ValueError:
        return False


class FrontDoor(ChaliceRequestHandler):
    static_root: Path | None = None
    billing: Any = None  # infra.local.billing_provider.LocalBilling when Stripe is local
    mailbox: Mailbox = staticmethod(lambda: [])  # type: ignore[assignment]
    dev_key: str = ""  # opens /dev/mail and /dev/billing: ?key=… once, then a cookie

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the app logs requests
        return

    def _send_http_response(
        self, code: int, headers: dict[str, Any], body: str | bytes | None
    ) -> None:
        # Security headers on every answer; what a handler set itself wins.
        path = urlsplit(self.path).path
        if path == "/api" or path.startswith("/api/"):
            defaults = security_headers.api()
        elif path.startswith("/dev/"):
            defaults = {**security_headers.dev_pages(), **self._remember_dev_key()}
        else:
            defaults = security_headers.web()
        super()._send_http_response(code, {**defaults, **headers}, body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (unknown method, bad request line) in our error shape."""
        if code == 501:  # an unknown method: API Gateway answers those 405 too
            code, error = 405, "method_not_allowed"
            message = f"The method {self.command or ''} is not allowed here.".replace("  ", " ")
        else:
            error = {400: "bad_request", 414: "uri_too_long", 431: "headers_too_large"}.get(
                code, "error"
            )
            message = "The request could not be read."
        self.close_connection = True
        body = json.dumps(error_body(error, message))
        headers = {"Content-Type": "application/json", "Connection": "close"}
        if code == 405:
            headers["Allow"] = ", ".join(KNOWN_METHODS)
        if not getattr(self, "path", None):
            self.path = "/api/"  # a request line too broken to have a path
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._send_http_response(code, headers, body)

    def _dev_allowed(self) -> bool:
        """Dev pages answer loopback clients only, even when WACAST_HOST exposes the port."""
        if is_loopback(str(self.client_address[0])):
            return True
        self._send_http_response(
            404,
            {"Content-Type": "application/json"},
            json.dumps(error_body("not_found", "Not found.")),
        )
        return False

    def _dev_key_ok(self) -> bool:
        """/dev/mail and /dev/billing: the key printed at start (as ?key=, then a
        cookie), or an administrator's bearer token."""
        if not self.dev_key:
            return True
        query = dict(parse_qsl(urlsplit(self.path).query))
        cookies = SimpleCookie(self.headers.get("Cookie") or "")
        given = query.get("key") or (cookies[DEV_COOKIE].value if DEV_COOKIE in cookies else "")
        if given and hmac.compare_digest(given, self.dev_key):
            return True
        authorization = self.headers.get("Authorization") or ""
        if authorization:
            from chalicelib.auth import service

            principal = service.authenticate(authorization)
            if principal is not None and principal.role == "admin":
                return True
        body = json.dumps(
            error_body(
                "forbidden",
                "This local page needs the link printed when `make run` started "
                "(…?key=…), or an administrator's token.",
            )
        )
        self._send_http_response(403, {"Content-Type": "application/json"}, body)
        return False

    def _remember_dev_key(self) -> dict[str, str]:
        query = dict(parse_qsl(urlsplit(self.path).query))
        if self.dev_key and query.get("key") == self.dev_key:
            return {
                "Set-Cookie": f"{DEV_COOKIE}={self.dev_key}; Path=/dev; HttpOnly; SameSite=Strict"
            }
        return {}

    def _generic_handle(self) -> None:
        path = urlsplit(self.path).path
        try:
            if path.startswith("/dev/") and not self._dev_allowed():
                return
            if path == "/api" or path.startswith("/api/"):
                self._api()
            elif path == "/dev/stats.json":
                from infra.local.stats import reset_peaks, snapshot

                if dict(parse_qsl(urlsplit(self.path).query)).get("reset") == "peaks":
                    reset_peaks()
                self._send_http_response(
                    200, {"Content-Type": "application/json"}, json.dumps(snapshot())
                )
            elif path == "/dev/mail.json":
                self._mail(path)
            elif path.startswith("/dev/mail"):
                if self._dev_key_ok():
                    self._mail(path)
            elif self.billing is not None and self.billing.handles(path):
                protected = path.startswith("/dev/billing")
                if not protected or self.billing.portal_ok(self) or self._dev_key_ok():
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
        from infra.local.stats import peak

        started = time.perf_counter()
        try:
            ChaliceRequestHandler._generic_handle(self)
        except LocalGatewayException:
            raise
        except Exception:
            log.exception("the local gateway failed")
            self._send_http_response(500, {"Content-Type": "application/json"}, SERVER_ERROR.body())
        finally:
            ms = (time.perf_counter() - started) * 1000
            peak("http", ms, f"{self.command} {urlsplit(self.path).path}")

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
    dev_key: str = "",
) -> LocalDevServer:
    # What chalice.local.create_local_server does: a thread-local current_request.
    if not isinstance(app, LocalChalice):
        CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
        app.__class__ = CustomLocalChalice
    handler = type(
        "BoundFrontDoor",
        (FrontDoor,),
        {
            "static_root": static_root,
            "mailbox": staticmethod(mailbox),
            "billing": billing,
            "dev_key": dev_key,
        },
    )
    config = Config.create(
        chalice_stage="dev", app_name="wacast", lambda_timeout=60, lambda_memory_size=512
    )
    return LocalDevServer(app, config, host, port, handler_cls=handler)
