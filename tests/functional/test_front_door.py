"""The local stack's front door and WebSocket gateway: headers, odd methods, dev pages."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.functional.conftest import Api, register_and_login

DEV_KEY = "k3y-for-tests"


@pytest.fixture
def stripe() -> Any:
    from infra.local.billing_provider import FakeStripe

    return FakeStripe("whsec_test", "http://127.0.0.1", {}, None)


@pytest.fixture
def door(chalice_app: Any, tmp_path: Path, stripe: Any) -> Iterator[int]:
    from infra.local.billing_provider import LocalBilling
    from infra.local.http_server import create_server

    (tmp_path / "index.html").write_text("<!doctype html><title>wacast</title><div id=root>")
    mails = [{"subject": "Hi", "to": "a@example.com", "source": "x", "body": "secret link"}]
    billing = LocalBilling(stripe)
    server = create_server(
        chalice_app, "127.0.0.1", 0, tmp_path, lambda: mails, billing, dev_key=DEV_KEY
    )
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server.server_address[1])
    finally:
        server.server.shutdown()
        server.server.server_close()


def fetch(
    port: int, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_unknown_methods_are_405_in_the_error_shape(door: int) -> None:
    for method in ("TRACE", "PROPFIND", "CONNECT"):
        status, headers, body = fetch(door, method, "/api/me")
        assert status == 405, (method, status, body)
        assert json.loads(body)["error"]["code"] == "method_not_allowed"
        assert headers["content-type"] == "application/json"
        assert "GET" in headers["allow"]


def test_every_answer_carries_security_headers(door: int) -> None:
    for path in ("/", "/campaigns/new", "/api/openapi.json", "/api/nope", "/dev/mail.json"):
        _, headers, _ = fetch(door, "GET", path)
        assert headers["x-content-type-options"] == "nosniff", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin", path
    _, spa, _ = fetch(door, "GET", "/")
    csp = spa["content-security-policy"]
    script = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert script.strip() == "script-src 'self'"  # no inline script, no eval
    assert "unsafe-inline" not in csp


def test_dev_mailbox_needs_the_printed_key_or_an_admin(door: int, api: Api) -> None:
    from chalicelib.auth import service

    assert fetch(door, "GET", "/dev/mail")[0] == 403
    status, headers, body = fetch(door, "GET", f"/dev/mail?key={DEV_KEY}")
    assert status == 200 and b"secret link" in body
    cookie = headers["set-cookie"].split(";")[0]
    assert "HttpOnly" in headers["set-cookie"] and "SameSite=Strict" in headers["set-cookie"]
    assert fetch(door, "GET", "/dev/mail", {"Cookie": cookie})[0] == 200
    assert fetch(door, "GET", "/dev/mail?key=wrong")[0] == 403
    user = register_and_login(api)
    bearer = {"Authorization": f"Bearer {user['token']}"}
    assert fetch(door, "GET", "/dev/mail", bearer)[0] == 403  # a user is not enough
    service.register("boss@example.com", "correct horse battery", "Boss", role="admin")
    admin = register_login(api, "boss@example.com")
    assert fetch(door, "GET", "/dev/mail", {"Authorization": f"Bearer {admin}"})[0] == 200


def test_dev_billing_needs_the_key_or_a_portal_session_of_that_customer(
    door: int, stripe: Any
) -> None:
    stripe.customers["cus_a"] = {"id": "cus_a", "email": "a@example.com"}
    stripe.customers["cus_b"] = {"id": "cus_b", "email": "b@example.com"}
    assert fetch(door, "GET", "/dev/billing")[0] == 403
    assert fetch(door, "GET", "/dev/billing?customer=cus_a")[0] == 403
    assert fetch(door, "POST", "/dev/billing/sub_x/end")[0] == 403
    assert fetch(door, "GET", f"/dev/billing?key={DEV_KEY}")[0] == 200
    _, portal = stripe._create_portal({"customer": "cus_a", "return_url": "/billing"})
    path = portal["url"].removeprefix("http://127.0.0.1")
    assert fetch(door, "GET", path)[0] == 200  # the user's own portal link works
    other = path.replace("customer=cus_a", "customer=cus_b")
    assert fetch(door, "GET", other)[0] == 403  # not for another customer


def register_login(api: Api, email: str) -> str:
    reply = api.post(
        "/api/auth/login", {"email": email, "password": "correct horse battery"}, token=None
    )
    return str(reply.json["token"])


def test_dev_pages_answer_loopback_clients_only(door: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import infra.local.http_server as front

    assert fetch(door, "GET", "/dev/mail.json")[0] == 200
    monkeypatch.setattr(front, "is_loopback", lambda address: False)  # a client on the LAN
    for path in ("/dev/mail.json", f"/dev/mail?key={DEV_KEY}", "/dev/stats.json"):
        assert fetch(door, "GET", path)[0] == 404, path
    assert fetch(door, "GET", "/api/openapi.json")[0] == 200  # the app itself is not


def test_is_loopback() -> None:
    from infra.local.http_server import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("::ffff:127.0.0.1")
    assert not is_loopback("192.168.1.20") and not is_loopback("") and not is_loopback("x")


def test_ws_management_api_is_loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import infra.local.http_server as front
    from infra.local.ws_gateway import WsGateway

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gateway = WsGateway(lambda route, event: {"statusCode": 200}, "127.0.0.1", port, "test")
    gateway.start()
    try:
        status, _, _ = fetch(port, "POST", "/@connections/abc")
        assert status == 410  # loopback: the management API answers (the id is gone)
        monkeypatch.setattr(front, "is_loopback", lambda address: False)
        for method, path in (("POST", "/@connections/abc"), ("GET", "/@connections")):
            status, _, body = fetch(port, method, path)
            assert status == 403, (method, path, body)
    finally:
        gateway.stop()
