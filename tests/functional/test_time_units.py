"""One time unit: epoch milliseconds in the API and in stored items (issue 17)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.functional.conftest import Api, register_and_login

MS_2020 = 1_577_836_800_000  # any time this code sees is after 2020, in ms
S_2023 = 1_700_000_000  # 14 Nov 2023, in seconds: what billing stored before


def _time_fields(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every property (and parameter) named ``*_at`` in the document, with its schema."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, list):
        for i, item in enumerate(node):
            found += _time_fields(item, f"{path}[{i}]")
    elif isinstance(node, dict):
        if "in" in node and str(node.get("name", "")).endswith("_at"):
            found.append((f"{path} (parameter {node['name']})", node))
        for name, prop in (node.get("properties") or {}).items():
            if name.endswith("_at"):
                found.append((f"{path}.{name}", prop))
        for key, value in node.items():
            found += _time_fields(value, f"{path}/{key}")
    return found


def test_openapi_says_every_at_field_is_epoch_ms(api: Api) -> None:
    document = api.get("/api/openapi.json", token=None).json
    fields = _time_fields(document)
    names = {where.rsplit(".", 1)[-1] for where, _ in fields}
    assert {"created_at", "expires_at", "last_used_at", "grace_ends_at"} <= names
    missing = [where for where, schema in fields if "Epoch milliseconds" not in str(schema)]
    assert missing == []
    billing = document["components"]["schemas"]
    assert "Epoch milliseconds" in billing["Period"]["properties"]["start"]["description"]
    assert (
        "Epoch milliseconds" in billing["BillingState"]["properties"]["next_renewal"]["description"]
    )


def test_token_times_are_all_ms(api: Api) -> None:
    before = int(time.time() * 1000)
    account = register_and_login(api)
    api.token = account["token"]
    (token,) = api.get("/api/auth/tokens").json["items"]
    assert token["created_at"] >= before > MS_2020
    assert account["expires_at"] == token["expires_at"]
    # 30 days apart, both in ms (the expiry is stored as a TTL, to the second).
    assert abs(token["expires_at"] - token["created_at"] - 30 * 86_400_000) < 2_000


def test_billing_state_is_in_ms(api: Api, user: dict[str, Any]) -> None:
    state = api.get("/api/billing").json
    now = int(time.time() * 1000)
    assert state["period"]["start"] <= now < state["period"]["end"]
    assert state["next_renewal"] == state["period"]["end"]


def test_migration_rewrites_seconds_once_and_leaves_ms_alone(
    api: Api, user: dict[str, Any], capsys: Any
) -> None:
    from chalicelib import admin
    from chalicelib.billing import quota
    from chalicelib.models.base import expiry
    from chalicelib.models.billing import BillingAccountModel, StripeEventModel
    from chalicelib.models.conversations import ConversationModel

    user_id = api.get("/api/me").json["user_id"]
    now_ms = int(time.time() * 1000)
    now_s = now_ms // 1000
    fresh = quota.get_account(user_id)  # written by this code: ms
    fresh_values = (fresh.period_start, fresh.period_end, fresh.created_at)
    # As the code before issue 17 wrote them: seconds.
    old = BillingAccountModel(
        "usr_old",
        plan="free",
        status="past_due",
        period_start=now_s - 86_400,
        period_end=now_s + 29 * 86_400,
        quota=100,
        used=0,
        reserved=0,
        available=100,
        numbers_allowed=1,
        past_due_since=now_s - 3_600,
        dunning="past_due",
        created_at=S_2023,
        updated_at=now_s,
    )
    old.save()
    StripeEventModel(
        "evt_old",
        type="invoice.paid",
        state="done",
        received_at=S_2023,
        processed_at=S_2023,
        expires_at=expiry(now_s + 86_400),
    ).save()
    ConversationModel("usr_old", "conv_old", last_in_expires=now_s + 86_400).save()

    assert admin.main(["migrate-epoch-ms"]) == 0
    assert "1 converted" in capsys.readouterr().out
    old.refresh()
    assert (old.period_start, old.period_end) == (
        (now_s - 86_400) * 1000,
        (now_s + 29 * 86_400) * 1000,
    )
    assert (old.past_due_since, old.created_at) == ((now_s - 3_600) * 1000, S_2023 * 1000)
    event = StripeEventModel.get("evt_old")
    assert (event.received_at, event.processed_at) == (S_2023 * 1000, S_2023 * 1000)
    assert ConversationModel.get("usr_old", "conv_old").last_in_expires == (now_s + 86_400) * 1000
    fresh.refresh()
    assert (fresh.period_start, fresh.period_end, fresh.created_at) == fresh_values
    # Read back correctly: in its grace (an hour of three days in), not paused.
    assert quota.sending_allowed("usr_old") == (True, None)
    assert quota.grace_ends_at(old) == (now_s - 3_600) * 1000 + 3 * 86_400_000

    assert admin.main(["migrate-epoch-ms"]) == 0  # again: nothing left to do
    out = capsys.readouterr().out
    assert " 0 converted" in out and " 1 converted" not in out
    old.refresh()
    assert old.created_at == S_2023 * 1000


def test_old_setting_names_still_work_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib import config
    from chalicelib.logs import logger

    warned: list[dict[str, Any]] = []
    monkeypatch.setattr(logger, "warning", lambda msg, extra: warned.append(extra))
    monkeypatch.delenv("WACAST_BILLING_GRACE_S", raising=False)
    monkeypatch.setenv("WACAST_BILLING_GRACE_SECONDS", "3600")
    config.reset_settings_cache()
    try:
        assert config.settings().billing_grace_s == 3600
        assert warned == [{"old": "WACAST_BILLING_GRACE_SECONDS", "new": "WACAST_BILLING_GRACE_S"}]
        monkeypatch.setenv("WACAST_BILLING_GRACE_S", "60")  # the new name wins
        config.reset_settings_cache()
        assert config.settings().billing_grace_s == 60
    finally:
        config.reset_settings_cache()
