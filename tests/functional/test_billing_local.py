"""The local Stripe behind the front door: checkout page, Pay, signed events over HTTP."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def call(method: str, url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            raw = response.read()
            status, location = response.status, response.headers.get("Location")
    except urllib.error.HTTPError as error:
        raw, status, location = error.read(), error.code, error.headers.get("Location")
    if location:
        return status, location
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode()


@pytest.fixture
def front_door(chalice_app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from chalicelib.billing import stripe_api
    from chalicelib.config import reset_settings_cache
    from infra.local.billing_provider import (
        FakeStripe,
        LocalBilling,
        backdate_past_due,
        configure_environment,
        http_deliver,
        local_prices,
    )
    from infra.local.http_server import create_server

    for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    fake = FakeStripe("", "", {}, None)
    billing = LocalBilling(fake, backdate_past_due)
    server = create_server(chalice_app, "127.0.0.1", 0, None, lambda: [], billing)
    base = f"http://127.0.0.1:{server.server.server_address[1]}"
    env: dict[str, str] = {}
    assert configure_environment(env, base) is True
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("WACAST_APP_URL", base)
    fake.webhook_secret = env["STRIPE_WEBHOOK_SECRET"]
    fake.public_url = base
    fake.prices = local_prices(env)
    fake.deliver = http_deliver(f"{base}/api/webhooks/stripe")
    reset_settings_cache()
    stripe_api.reset_client()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.server.shutdown()
        server.server.server_close()
        monkeypatch.undo()
        reset_settings_cache()
        stripe_api.reset_client()


def test_real_keys_leave_the_local_provider_off() -> None:
    from infra.local.billing_provider import configure_environment

    env = {"STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"}
    assert configure_environment(env, "http://127.0.0.1:8000") is False
    assert "WACAST_STRIPE_API_BASE" not in env


def test_click_through_checkout_and_lifecycle(front_door: str) -> None:
    base = front_door
    email = "local-billing@example.com"
    password = "correct horse battery"
    assert (
        call(
            "POST",
            f"{base}/api/auth/register",
            {"email": email, "password": password, "name": "Lu"},
        )[0]
        == 201
    )
    token = call("POST", f"{base}/api/auth/login", {"email": email, "password": password})[1][
        "token"
    ]
    status, body = call("POST", f"{base}/api/billing/checkout", {"plan": "starter"}, token)
    assert status == 200 and body["url"].startswith(f"{base}/dev/checkout/")
    status, page = call("GET", body["url"])
    assert status == 200 and "Pay" in page and "starter" in page
    status, location = call("POST", body["url"] + "/pay")
    assert status == 303 and location.startswith(f"{base}/billing?checkout=success")
    state = call("GET", f"{base}/api/billing", token=token)[1]
    assert state["plan"]["id"] == "starter" and state["messages"]["quota"] == 5_000

    status, portal = call("POST", f"{base}/api/billing/portal", token=token)
    assert status == 200
    status, page = call("GET", portal["url"])
    subscription = page.split("/dev/billing/")[1].split("/")[0]
    for action, expect in (
        ("fail", ("past_due", True)),
        ("skip_grace", ("past_due", False)),
        ("pay", ("active", True)),
    ):
        assert call("POST", f"{base}/dev/billing/{subscription}/{action}")[0] == 303
        state = call("GET", f"{base}/api/billing", token=token)[1]
        assert (state["status"], state["sending_allowed"]) == expect, action
    call("POST", f"{base}/dev/billing/{subscription}/end")
    assert call("GET", f"{base}/api/billing", token=token)[1]["plan"]["id"] == "free"
