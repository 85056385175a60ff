"""Billing: plans, state, checkout through the Stripe fake, webhooks, lifecycle."""

from __future__ import annotations

from typing import Any

from tests.billing.fixtures import Billing, billing_fixture  # noqa: F401  (fixture)


def test_plans_are_public(api: Any) -> None:
    reply = api.get("/api/billing/plans", token=None)
    assert reply.status == 200
    plans = {p["id"]: p for p in reply.json["items"]}
    assert plans["free"]["messages_per_month"] == 100 and plans["free"]["numbers"] == 1
    assert plans["starter"]["messages_per_month"] == 5_000 and plans["starter"]["numbers"] == 3
    assert plans["pro"]["messages_per_month"] == 50_000 and plans["pro"]["numbers"] == 10


def test_new_user_is_on_free(api: Any, user: dict[str, Any]) -> None:
    reply = api.get("/api/billing")
    assert reply.status == 200, reply.json
    body = reply.json
    assert body["plan"]["id"] == "free"
    assert body["status"] == "active" and body["sending_allowed"] is True
    assert body["messages"] == {"quota": 100, "used": 0, "reserved": 0, "remaining": 100}
    assert body["numbers"] == {"used": 0, "allowed": 1}
    assert body["period"]["end"] - body["period"]["start"] == 30 * 86400


def test_checkout_then_webhook_grants_pro(billing: Billing, user: dict[str, Any]) -> None:
    api = billing.api
    reply = api.post("/api/billing/checkout", {"plan": "pro"})
    assert reply.status == 200, reply.json
    assert "/dev/checkout/cs_test_" in reply.json["url"]
    # The redirect alone grants nothing.
    assert api.get("/api/billing").json["plan"]["id"] == "free"
    session = billing.fake.sessions[reply.json["url"].rsplit("/", 1)[1]]
    assert session["client_reference_id"] == user["user"]["user_id"]
    billing.fake.complete_checkout(session["id"])
    assert billing.statuses == [200, 200, 200]
    state = api.get("/api/billing").json
    assert state["plan"]["id"] == "pro"
    assert state["messages"]["quota"] == 50_000 and state["numbers"]["allowed"] == 10
    assert state["next_renewal"] is not None
