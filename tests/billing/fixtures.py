"""Billing test fixtures: the local Stripe fake on 127.0.0.1, wired to the app.

stripe-python (the app's StripeClient) reaches the fake over real HTTP through
WACAST_STRIPE_API_BASE; the fake's events come back signed with the test webhook
secret through the chalice test client, so the real webhook handler runs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from infra.local.billing_provider import FakeStripe, serve

WEBHOOK_SECRET = "whsec_test_secret_for_wacast"
PRICES = {"price_test_starter": 2_900, "price_test_pro": 9_900}


@dataclass
class Billing:
    fake: FakeStripe
    api: Any
    statuses: list[int]

    def post_event(self, payload: bytes, signature: str) -> Any:
        return self.api.post(
            "/api/webhooks/stripe",
            raw=payload,
            token=None,
            headers={"Stripe-Signature": signature},
        )

    def signed(self, event: dict[str, Any], timestamp: int | None = None) -> tuple[bytes, str]:
        payload = json.dumps(event).encode()
        return payload, self.fake.sign(payload, timestamp)

    def subscription_of(self, customer: str) -> str:
        found = [s["id"] for s in self.fake.subscriptions.values() if s["customer"] == customer]
        assert len(found) == 1, found
        return found[0]

    def checkout(self, plan: str, token: str | None = "default") -> str:
        """Checkout as the API's current user and press Pay; returns the session id."""
        reply = self.api.post("/api/billing/checkout", {"plan": plan}, token=token)
        assert reply.status == 200, reply.json
        session_id = reply.json["url"].rsplit("/", 1)[1]
        self.fake.complete_checkout(session_id)
        return session_id


@pytest.fixture(name="billing")
def billing_fixture(api: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Billing]:
    from chalicelib.billing import stripe_api
    from chalicelib.config import reset_settings_cache

    statuses: list[int] = []
    holder: dict[str, Billing] = {}

    def deliver(payload: bytes, signature: str) -> int:
        reply = holder["billing"].post_event(payload, signature)
        statuses.append(reply.status)
        return int(reply.status)

    fake = FakeStripe(WEBHOOK_SECRET, "http://127.0.0.1:9", PRICES, deliver)
    server = serve(fake)
    host, port = server.server_address[:2]
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_wacast")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("WACAST_STRIPE_API_BASE", f"http://{host}:{port}")
    monkeypatch.setenv("WACAST_STRIPE_PRICE_STARTER", "price_test_starter")
    monkeypatch.setenv("WACAST_STRIPE_PRICE_PRO", "price_test_pro")
    reset_settings_cache()
    stripe_api.reset_client()
    holder["billing"] = Billing(fake, api, statuses)
    try:
        yield holder["billing"]
    finally:
        server.shutdown()
        server.server_close()
        monkeypatch.undo()
        reset_settings_cache()
        stripe_api.reset_client()


def wait_for(predicate: Any, timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


@pytest.fixture
def atomic_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give moto's DynamoDB the per-request atomicity real DynamoDB has.

    moto evaluates a condition and applies the write without a lock, so racing
    threads can both pass one condition (seen under load; the repo's rate-limit race
    test shows the same). Serialising each request restores "one conditional write is
    atomic" and nothing more: the code's own read-then-write windows stay open.
    """
    import threading

    from moto.dynamodb.responses import DynamoHandler

    lock = threading.Lock()
    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with lock:
            return original(self)

    monkeypatch.setattr(DynamoHandler, "call_action", call_action)
