"""Stripe's secrets come from Secrets Manager or SSM when a name is configured."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.billing.fixtures import WEBHOOK_SECRET, Billing, billing_fixture  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    from chalicelib import secret_store

    secret_store.reset_cache()
    yield
    secret_store.reset_cache()


def _env_secrets_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.billing import stripe_api
    from chalicelib.config import reset_settings_cache

    for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.setenv(name, "")  # only the store holds them now
    reset_settings_cache()
    stripe_api.reset_client()


def test_secrets_manager_holds_the_stripe_secrets(
    billing: Billing, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import aws

    aws.client("secretsmanager").create_secret(
        Name="wacast/test/stripe",
        SecretString=json.dumps({"secret_key": "sk_test_wacast", "webhook_secret": WEBHOOK_SECRET}),
    )
    monkeypatch.setenv("WACAST_STRIPE_SECRET_NAME", "wacast/test/stripe")
    _env_secrets_gone(monkeypatch)
    billing.checkout("pro")  # the API call to Stripe and the signed webhooks both work
    assert billing.statuses and set(billing.statuses) == {200}
    assert billing.api.get("/api/billing").json["plan"]["id"] == "pro"
    # Cached per container: the store is read once, not per request.
    calls = []
    real = aws.client("secretsmanager").get_secret_value
    monkeypatch.setattr(
        aws.client("secretsmanager"),
        "get_secret_value",
        lambda **kw: calls.append(kw) or real(**kw),
    )
    payload, signature = billing.signed({"id": "evt_x", "type": "ping", "data": {"object": {}}})
    billing.post_event(payload, signature)
    assert calls == []


def test_ssm_parameters_hold_the_stripe_secrets(
    billing: Billing, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import aws

    ssm = aws.client("ssm")
    ssm.put_parameter(
        Name="/wacast/test/stripe/secret_key", Value="sk_test_wacast", Type="SecureString"
    )
    ssm.put_parameter(
        Name="/wacast/test/stripe/webhook_secret", Value=WEBHOOK_SECRET, Type="SecureString"
    )
    monkeypatch.setenv("WACAST_STRIPE_PARAMETER_PREFIX", "/wacast/test/stripe/")
    _env_secrets_gone(monkeypatch)
    billing.checkout("starter")
    assert set(billing.statuses) == {200}
    assert billing.api.get("/api/billing").json["plan"]["id"] == "starter"


def test_an_unreadable_store_is_a_503_not_a_500(
    api: Any, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WACAST_STRIPE_SECRET_NAME", "wacast/test/missing")
    _env_secrets_gone(monkeypatch)
    reply = api.post("/api/billing/checkout", {"plan": "pro"})
    assert reply.status == 503 and reply.error_code == "billing_not_configured"
    assert "sk_" not in json.dumps(reply.json)
    assert api.post("/api/webhooks/stripe", raw=b"{}", token=None).status == 503
