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


def _raw(model: Any, **key: str) -> dict[str, int]:
    """An item's number attributes as stored (the models read old seconds as ms)."""
    from chalicelib import aws

    item = aws.client("dynamodb").get_item(
        TableName=model.Meta.table_name,
        Key={k: {"S": v} for k, v in key.items()},
        ConsistentRead=True,
    )["Item"]
    return {name: int(value["N"]) for name, value in item.items() if "N" in value}


def test_seconds_stored_before_read_as_ms_and_the_migration_rewrites_them_once(
    api: Api, user: dict[str, Any], capsys: Any
) -> None:
    from chalicelib import admin
    from chalicelib.billing import dunning, quota
    from chalicelib.models.base import expiry
    from chalicelib.models.billing import BillingAccountModel, StripeEventModel
    from chalicelib.models.conversations import ConversationModel

    user_id = api.get("/api/me").json["user_id"]
    now_s = int(time.time())
    fresh = quota.get_account(user_id)  # written by this code: ms
    fresh_raw = _raw(BillingAccountModel, user_id=user_id)
    # As the code before issue 17 wrote them: seconds.
    BillingAccountModel(
        "usr_old",
        plan="free",
        status="past_due",
        period_start=now_s - 86_400,
        period_end=now_s + 29 * 86_400,
        quota=100,
        used=7,
        reserved=0,
        available=93,
        numbers_allowed=1,
        past_due_since=now_s - 3_600,
        dunning="past_due",
        created_at=S_2023,
        updated_at=now_s,
    ).save()
    StripeEventModel(
        "evt_old",
        type="invoice.paid",
        state="done",
        received_at=S_2023,
        processed_at=S_2023,
        expires_at=expiry(now_s + 86_400),
    ).save()
    ConversationModel("usr_old", "conv_old", last_in_expires=now_s + 86_400).save()
    assert _raw(BillingAccountModel, user_id="usr_old")["period_end"] == now_s + 29 * 86_400

    # Before the migration the code already reads them as ms: the period is current
    # (not rolled, usage kept) and the account is an hour into its grace, not paused.
    old = quota.get_account("usr_old")
    assert (old.period_start, old.period_end) == (
        (now_s - 86_400) * 1000,
        (now_s + 29 * 86_400) * 1000,
    )
    assert old.used == 7 and old.past_due_since == (now_s - 3_600) * 1000
    assert quota.sending_allowed("usr_old") == (True, None)
    assert dunning.enforce_grace() == []  # the index matched the raw seconds; not paused

    assert admin.main(["migrate-epoch-ms"]) == 0
    assert "1 converted" in capsys.readouterr().out
    raw = _raw(BillingAccountModel, user_id="usr_old")
    assert (raw["period_start"], raw["period_end"]) == (
        (now_s - 86_400) * 1000,
        (now_s + 29 * 86_400) * 1000,
    )
    assert (raw["past_due_since"], raw["created_at"]) == ((now_s - 3_600) * 1000, S_2023 * 1000)
    assert raw["used"] == 7  # not a time: untouched
    event = _raw(StripeEventModel, event_id="evt_old")
    assert (event["received_at"], event["processed_at"]) == (S_2023 * 1000, S_2023 * 1000)
    conversation = _raw(ConversationModel, user_id="usr_old", conversation_id="conv_old")
    assert conversation["last_in_expires"] == (now_s + 86_400) * 1000
    assert _raw(BillingAccountModel, user_id=user_id) == fresh_raw  # ms already: left alone
    assert quota.grace_ends_at(quota.get_account("usr_old")) == (
        (now_s - 3_600) * 1000 + 3 * 86_400_000
    )
    assert fresh.period_end == fresh_raw["period_end"]

    assert admin.main(["migrate-epoch-ms"]) == 0  # again: nothing left to do
    out = capsys.readouterr().out
    assert " 0 converted" in out and " 1 converted" not in out
    assert _raw(BillingAccountModel, user_id="usr_old")["created_at"] == S_2023 * 1000


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
