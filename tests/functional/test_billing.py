"""Billing: plans, state, checkout through the Stripe fake, webhooks, lifecycle."""

from __future__ import annotations

from typing import Any

from tests.billing.fixtures import Billing, billing_fixture  # noqa: F401  (fixture)
from tests.functional.conftest import register_and_login


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
    assert body["period"]["end"] - body["period"]["start"] == 30 * 86_400_000  # ms


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


# --- helpers --------------------------------------------------------------------------


def _emails(kind_prefix: str = "") -> list[dict[str, Any]]:
    """Billing emails queued on the email queue (drained)."""
    import json

    from chalicelib import aws, queues

    sqs = aws.client("sqs")
    url = queues.queue_url(queues.EMAIL)
    found: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return [m for m in found if m["kind"].startswith(kind_prefix)]
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _customer(billing: Billing, user_id: str) -> str:
    from chalicelib.billing import quota

    return str(quota.get_account(user_id).stripe_customer_id)


# --- webhook security and idempotency --------------------------------------------------


def test_forged_signature_is_refused(billing: Billing, user: dict[str, Any]) -> None:
    from stripe import WebhookSignature

    event = billing.fake.event("invoice.paid", {"id": "in_x", "object": "invoice"})
    payload, _ = billing.signed(event)
    forged = WebhookSignature.generate_signature_header(payload.decode(), "whsec_not_ours")
    reply = billing.post_event(payload, forged)
    assert reply.status == 400 and reply.error_code == "invalid_signature"
    # A body changed after signing is refused too.
    _, good = billing.signed(event)
    reply = billing.post_event(payload.replace(b"in_x", b"in_y"), good)
    assert reply.status == 400 and reply.error_code == "invalid_signature"
    # No signature at all.
    assert billing.api.post("/api/webhooks/stripe", raw=payload, token=None).status == 400


def test_stale_timestamp_is_refused(billing: Billing, user: dict[str, Any]) -> None:
    import time

    event = billing.fake.event("invoice.paid", {"id": "in_x", "object": "invoice"})
    payload, signature = billing.signed(event, timestamp=int(time.time()) - 301)
    reply = billing.post_event(payload, signature)
    assert reply.status == 400 and reply.error_code == "invalid_signature"
    fresh_enough, signature = billing.signed(event, timestamp=int(time.time()) - 200)
    assert billing.post_event(fresh_enough, signature).status == 200


def test_signed_garbage_is_a_400_not_a_500(billing: Billing) -> None:
    for body in (b"not json", b"[]", b'{"id": "evt_1"}', b"\xff\xfe"):
        reply = billing.post_event(body, billing.fake.sign(body) if body[0] < 128 else "t=1,v1=x")
        assert reply.status == 400, (body, reply.json)


def test_replayed_event_has_no_second_effect(billing: Billing, user: dict[str, Any]) -> None:
    from chalicelib.billing import quota

    user_id = user["user"]["user_id"]
    billing.checkout("pro")
    paid = next(e for e in billing.fake.events if e["type"] == "invoice.paid")
    quota.reserve(user_id, 10, "launch-1")
    quota.consume(user_id, 10)
    assert billing.fake.send_again(paid) == 200
    reply = billing.post_event(*billing.signed(paid))
    assert reply.status == 200 and reply.json == {"received": True, "duplicate": True}
    # Even the same invoice under a new event id cannot roll the period twice.
    copy = billing.fake.event("invoice.paid", paid["data"]["object"])
    assert billing.post_event(*billing.signed(copy)).json["duplicate"] is False
    assert quota.get_account(user_id).used == 10


def test_out_of_order_events_follow_stripe_not_the_payload(
    billing: Billing, user: dict[str, Any]
) -> None:
    """A stale 'past_due' snapshot arriving late does not override Stripe's state."""
    from chalicelib.billing import quota

    user_id = user["user"]["user_id"]
    billing.checkout("starter")
    sub_id = billing.subscription_of(_customer(billing, user_id))
    stale = dict(billing.fake.subscriptions[sub_id], status="past_due")
    event = billing.fake.event("customer.subscription.updated", stale)
    assert billing.post_event(*billing.signed(event)).status == 200
    account = quota.get_account(user_id)
    assert account.status == "active" and account.plan == "starter"
    # And a late 'deleted' for another (older) subscription cannot downgrade this one.
    old = dict(billing.fake.subscriptions[sub_id], id="sub_old", status="canceled")
    billing.fake.subscriptions["sub_old"] = old
    event = billing.fake.event("customer.subscription.deleted", old)
    assert billing.post_event(*billing.signed(event)).status == 200
    assert quota.get_account(user_id).plan == "starter"


def test_checkout_needs_a_paid_plan_and_one_subscription(billing: Billing, user: Any) -> None:
    api = billing.api
    assert api.post("/api/billing/checkout", {"plan": "free"}).status == 422
    assert api.post("/api/billing/checkout", {"plan": "pro", "x": 1}).status == 422
    assert api.post("/api/billing/checkout", {"plan": "pro"}, token=None).status == 401
    first = api.post("/api/billing/checkout", {"plan": "starter"}).json["url"]
    second = api.post("/api/billing/checkout", {"plan": "pro"}).json["url"]
    assert first != second
    assert len(billing.fake.customers) == 1  # one customer, reused
    billing.fake.complete_checkout(first.rsplit("/", 1)[1])
    reply = api.post("/api/billing/checkout", {"plan": "pro"})
    assert reply.status == 409 and reply.error_code == "already_subscribed"
    portal = api.post("/api/billing/portal")
    assert portal.status == 200 and "/dev/billing?customer=cus_" in portal.json["url"]


def test_billing_not_configured_is_a_503(api: Any, user: Any, monkeypatch: Any) -> None:
    from chalicelib.billing import stripe_api
    from chalicelib.config import reset_settings_cache

    for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    reset_settings_cache()
    stripe_api.reset_client()
    reply = api.post("/api/billing/checkout", {"plan": "pro"})
    assert reply.status == 503 and reply.error_code == "billing_not_configured"
    reply = api.post("/api/webhooks/stripe", raw=b"{}", token=None)
    assert reply.status == 503


# --- tenancy -----------------------------------------------------------------------------


def test_nothing_of_another_users_billing_is_visible(billing: Billing) -> None:
    from chalicelib.billing import quota

    api = billing.api
    ana = register_and_login(api)
    bob = register_and_login(api, name="Bob")
    api.token = ana["token"]
    billing.checkout("pro")
    api.token = bob["token"]
    mine = api.get("/api/billing").json
    assert mine["plan"]["id"] == "free" and mine["has_billing_customer"] is False
    assert api.post("/api/billing/portal").error_code == "no_billing_customer"
    # An event naming Bob as the reference but Ana's subscription changes only Ana.
    ana_id, bob_id = ana["user"]["user_id"], bob["user"]["user_id"]
    sub_id = billing.subscription_of(_customer(billing, ana_id))
    session = {
        "id": "cs_forged",
        "object": "checkout.session",
        "mode": "subscription",
        "client_reference_id": bob_id,
        "customer": _customer(billing, ana_id),
        "subscription": sub_id,
    }
    event = billing.fake.event("checkout.session.completed", session)
    assert billing.post_event(*billing.signed(event)).status == 200
    assert quota.get_account(bob_id).plan == "free"
    assert quota.get_account(bob_id).stripe_customer_id is None
    # Bob's usage never moves Ana's counters.
    quota.reserve(bob_id, 5, "t")
    assert quota.get_account(ana_id).reserved == 0


def _restore_hooks() -> None:
    """Put back the listeners app.py installs, for the tests that follow."""
    from chalicelib.billing import hooks, wiring

    hooks.clear()
    wiring.install()


# --- the whole lifecycle -------------------------------------------------------------


def test_lifecycle_free_pro_failed_grace_paused_paid_cancelled_free(
    billing: Billing, user: dict[str, Any]
) -> None:
    from chalicelib.billing import dunning, hooks, quota
    from chalicelib.config import settings

    api, fake = billing.api, billing.fake
    user_id = user["user"]["user_id"]
    paused: list[tuple[str, str]] = []
    resumed: list[str] = []
    hooks.clear()
    hooks.on_pause(lambda uid, reason: paused.append((uid, reason)))
    hooks.on_resume(resumed.append)
    try:
        # free
        assert api.get("/api/billing").json["plan"]["id"] == "free"
        # → checkout → pro
        billing.checkout("pro")
        state = api.get("/api/billing").json
        assert state["plan"]["id"] == "pro" and state["status"] == "active"
        assert [e["kind"] for e in _emails("billing")] == ["billing_plan_started"]
        quota.reserve(user_id, 100, "launch-1")
        quota.consume(user_id, 60)
        quota.release(user_id, 30)  # 10 stay reserved, in flight over the renewal
        # → payment failed: past_due, still sending during the grace
        sub_id = billing.subscription_of(_customer(billing, user_id))
        fake.fail_payment(sub_id)
        state = api.get("/api/billing").json
        assert state["status"] == "past_due" and state["sending_allowed"] is True
        failed_at = int(quota.get_account(user_id).past_due_since)
        grace_end = failed_at + settings().billing_grace_s * 1000
        assert state["grace_ends_at"] == grace_end
        assert [e["kind"] for e in _emails("billing")] == ["billing_payment_failed"]
        assert quota.sending_allowed(user_id, now=grace_end - 1) == (True, None)
        assert dunning.enforce_grace(now=grace_end - 1) == []
        # → grace over: paused, once
        assert quota.sending_allowed(user_id, now=grace_end) == (False, "payment_failed")
        assert dunning.enforce_grace(now=grace_end) == [user_id]
        assert dunning.enforce_grace(now=grace_end + 60_000) == []
        assert paused == [(user_id, "payment_failed")]
        assert [e["kind"] for e in _emails("billing")] == ["billing_paused"]
        # → paid: resumed, new period (used resets; the 10 in flight carry over)
        fake.pay_invoice(sub_id)
        state = api.get("/api/billing").json
        assert state["status"] == "active" and state["sending_allowed"] is True
        assert quota.sending_allowed(user_id, now=grace_end + 86_400_000) == (True, None)
        assert user_id in resumed
        assert state["messages"] == {
            "quota": 50_000,
            "used": 0,
            "reserved": 10,
            "remaining": 49_990,
        }
        assert (
            state["period"]["start"]
            == fake.subscriptions[sub_id]["items"]["data"][0]["current_period_start"] * 1000
        )
        # → cancelled at period end: still pro until then
        fake.cancel_at_period_end(sub_id)
        state = api.get("/api/billing").json
        assert state["plan"]["id"] == "pro" and state["cancel_at_period_end"] is True
        assert state["next_renewal"] is None
        # → period over: free
        fake.end_subscription(sub_id)
        state = api.get("/api/billing").json
        assert state["plan"]["id"] == "free" and state["status"] == "active"
        assert state["messages"]["quota"] == 100 and state["numbers"]["allowed"] == 1
        assert state["messages"]["reserved"] == 10
        kinds = [e["kind"] for e in _emails("billing")]
        assert kinds == ["billing_cancel_scheduled", "billing_downgraded"]
        assert all(status == 200 for status in billing.statuses), billing.statuses
        # and free users can subscribe again
        billing.checkout("starter")
        assert api.get("/api/billing").json["plan"]["id"] == "starter"
    finally:
        _restore_hooks()


def test_dunning_schedule_pauses_accounts_past_grace(chalice_app: Any) -> None:
    from chalice.test import Client

    from chalicelib.billing import accounts, hooks, quota
    from chalicelib.config import settings

    paused: list[str] = []
    hooks.clear()
    hooks.on_pause(lambda uid, reason: paused.append(uid))
    try:
        quota.get_account("usr_late")
        quota.get_account("usr_recent")
        long_ago = quota.now_ms() - settings().billing_grace_s * 1000 - 10_000
        accounts.mark_past_due("usr_late", now=long_ago)
        accounts.mark_past_due("usr_recent")
        with Client(chalice_app) as client:
            event = client.events.generate_cw_event("aws.events", "Scheduled Event", {}, [])
            client.lambda_.invoke("billing_dunning", event)
            client.lambda_.invoke("billing_dunning", event)
        assert paused == ["usr_late"]
        assert quota.sending_allowed("usr_late")[0] is False
        assert quota.sending_allowed("usr_recent") == (True, None)
    finally:
        _restore_hooks()
