"""One error shape, no 500s, OpenAPI from the same routes, health, rate limits."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.functional.conftest import Api, register_and_login


def assert_error_shape(reply: Any, status: int, code: str | None = None) -> None:
    assert reply.status == status, (reply.status, reply.body[:300])
    error = reply.json["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["message"], str) and error["message"]
    if code:
        assert error["code"] == code


@pytest.mark.parametrize(
    "raw",
    [b"{", b"not json", b"\xff\xfe\x00", b'{"email": "\\ud800"}', b"[" * 5000, b"null"],
)
def test_malformed_bodies_are_400_or_422_never_500(api: Api, raw: bytes) -> None:
    reply = api.post("/api/auth/register", raw=raw, token=None)
    assert reply.status in (400, 422)
    assert_error_shape(reply, reply.status)


def test_wrong_types_are_422_with_field_details(api: Api) -> None:
    reply = api.post("/api/auth/register", {"email": 5, "password": [], "name": None}, token=None)
    assert_error_shape(reply, 422, "validation_error")
    assert {d["loc"][0] for d in reply.json["error"]["details"]} == {"email", "password", "name"}


def test_huge_body_is_413(api: Api) -> None:
    big = b'{"email": "' + b"a" * 2_000_000 + b'"}'
    assert_error_shape(
        api.post("/api/auth/register", raw=big, token=None), 413, "payload_too_large"
    )


def test_unknown_route_and_wrong_method(api: Api, user: dict[str, Any]) -> None:
    assert_error_shape(api.get("/api/nowhere"), 404, "not_found")
    assert_error_shape(api.request("PUT", "/api/health"), 405, "method_not_allowed")


def test_odd_unicode_round_trips(api: Api, user: dict[str, Any]) -> None:
    name = "مرحبا 👋🏽 Zoë \u200f"
    reply = api.patch("/api/me", {"name": name})
    assert reply.status == 200
    assert api.get("/api/me").json["name"] == name.strip()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payload=st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=50),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=10), children, max_size=4)
        ),
        max_leaves=12,
    )
)
def test_any_json_to_register_is_a_clean_4xx(api: Api, payload: Any) -> None:
    import json

    reply = api.post("/api/auth/register", raw=json.dumps(payload).encode(), token=None)
    assert 400 <= reply.status < 500
    assert set(reply.json["error"]) == {"code", "message", "details"}


def test_openapi_document_lists_every_route_with_models(api: Api) -> None:
    from chalicelib.api import ROUTES

    doc = api.get("/api/openapi.json", token=None).json
    assert doc["openapi"].startswith("3.1")
    for route in ROUTES:
        assert route.method.lower() in doc["paths"][route.path]
    register = doc["paths"]["/api/auth/register"]["post"]
    schema_ref = register["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    name = schema_ref.rsplit("/", 1)[1]
    assert set(doc["components"]["schemas"][name]["required"]) == {"email", "password", "name"}
    assert "422" in register["responses"]
    assert doc["paths"]["/api/me"]["get"]["security"] == [{"bearer": []}]


def test_health_checks_dynamodb(api: Api, chalice_app: Any, monkeypatch: Any) -> None:
    ok = api.get("/api/health", token=None)
    assert ok.status == 200 and ok.json["dynamodb"] == "ok"

    from chalicelib import scheduler

    def broken() -> dict[str, int]:
        raise RuntimeError("dynamodb unreachable")

    monkeypatch.setattr(scheduler, "last_runs", broken)
    assert_error_shape(api.get("/api/health", token=None), 503, "unavailable")


def test_schedule_handler_records_its_run(api: Api, chalice_app: Any) -> None:
    from chalice.test import Client

    with Client(chalice_app) as client:
        client.lambda_.invoke(
            "housekeeping",
            client.events.generate_cw_event(
                source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
            ),
        )
    runs = api.get("/api/health", token=None).json["schedules"]
    assert runs["housekeeping"] > 0


def test_write_rate_limit_gives_429_with_retry_after(api: Api, monkeypatch: Any) -> None:
    from chalicelib.config import reset_settings_cache

    monkeypatch.setenv("WACAST_RATE_WRITES_PER_MINUTE", "6")
    monkeypatch.setenv("WACAST_RATE_BURST_S", "10")
    reset_settings_cache()
    account = register_and_login(api)
    api.token = account["token"]
    statuses = [api.patch("/api/me", {"name": f"n{i}"}).status for i in range(8)]
    assert statuses[:5] == [200] * 5 and statuses[-1] == 429
    limited = api.patch("/api/me", {"name": "again"})
    assert_error_shape(limited, 429, "rate_limited")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    # Reads have their own, larger bucket.
    assert api.get("/api/me").status == 200
    reset_settings_cache()


def test_rate_limit_buckets_are_per_user(api: Api, monkeypatch: Any) -> None:
    from chalicelib.config import reset_settings_cache

    monkeypatch.setenv("WACAST_RATE_WRITES_PER_MINUTE", "6")
    monkeypatch.setenv("WACAST_RATE_BURST_SECONDS", "10")
    reset_settings_cache()
    alice = register_and_login(api)
    bob = register_and_login(api)
    for i in range(8):
        api.patch("/api/me", {"name": f"a{i}"}, token=alice["token"])
    assert api.patch("/api/me", {"name": "b"}, token=bob["token"]).status == 200
    reset_settings_cache()


def test_admin_routes_need_the_admin_role(api: Api, user: dict[str, Any]) -> None:
    assert_error_shape(api.get("/api/admin/agents"), 403, "forbidden")
    assert_error_shape(api.post("/api/admin/agents", {"name": "m1"}), 403, "forbidden")
