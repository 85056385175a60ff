"""Issue 12's findings, each through the public HTTP surface."""

from __future__ import annotations

import struct
import time
import zlib
from typing import Any
from urllib.parse import unquote

import pytest

from tests.functional.agentlink import FakeManagement
from tests.functional.campaignkit import Setup, add_contacts
from tests.functional.conftest import Api, drain, register_and_login


@pytest.fixture
def kit(api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement) -> Setup:
    return Setup(api, chalice_app, fake)


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    from chalicelib.config import reset_settings_cache

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_settings_cache()


@pytest.fixture(autouse=True)
def _fresh_settings() -> Any:
    from chalicelib.config import reset_settings_cache

    reset_settings_cache()
    yield
    reset_settings_cache()


# --- decompression bombs ------------------------------------------------------------------


def bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    rows = zlib.compress(b"\x00" * (1 + (width + 7) // 8) * 64, 9)  # a few rows; never decoded
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def upload_image(api: Api, campaign_id: str, data: bytes) -> Any:
    from chalicelib import aws
    from chalicelib.config import settings

    slot = api.post(f"/api/campaigns/{campaign_id}/media/upload").json
    aws.client("s3").put_object(Bucket=settings().uploads_bucket, Key=slot["upload_key"], Body=data)
    return api.request(
        "PUT", f"/api/campaigns/{campaign_id}/media", {"upload_key": slot["upload_key"]}
    )


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Sizes of the images Pillow decodes (its real decoder, watched)."""
    from PIL import ImageFile

    seen: list[tuple[int, int]] = []
    real_load = ImageFile.ImageFile.load

    def load(image: Any) -> Any:
        seen.append(image.size)
        return real_load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return seen


def test_decompression_bomb_is_refused_from_its_header_fast(
    kit: Setup, api: Api, decoded: list[tuple[int, int]]
) -> None:
    # Refused from its header, never decoded (how fast: python -m bench media_bomb).
    cid = kit.campaign()["campaign_id"]
    data = bomb_png(13_000, 13_000)
    assert len(data) < 20_000
    reply = upload_image(api, cid, data)
    assert reply.status == 422 and reply.error_code == "image_too_large", reply.json
    assert "8000 pixels" in reply.json["error"]["message"]
    assert decoded == []
    wide = upload_image(api, cid, bomb_png(9_000, 10))  # few pixels, but too wide
    assert wide.status == 422 and wide.error_code == "image_too_large"
    assert api.get(f"/api/campaigns/{cid}").json.get("media") in (None, False, "")
    assert decoded == []


def test_a_normal_image_is_still_accepted(
    kit: Setup, api: Api, decoded: list[tuple[int, int]]
) -> None:
    import io

    from PIL import Image

    cid = kit.campaign()["campaign_id"]
    out = io.BytesIO()
    Image.new("RGB", (2000, 1000), (200, 30, 30)).save(out, format="PNG")
    reply = upload_image(api, cid, out.getvalue())
    assert reply.status == 200, reply.json
    assert (2000, 1000) in decoded  # the watch sees a real decode


# --- control characters ---------------------------------------------------------------


def test_control_characters_are_refused_in_every_text_field(kit: Setup, api: Api) -> None:
    cid = kit.campaign()["campaign_id"]
    for method, path, body, where in (
        ("POST", "/api/campaigns", {**_compose(kit), "template": "Hi\x00 there"}, "template"),
        ("PATCH", f"/api/campaigns/{cid}", {"name": "Promo\x1b[31m"}, "name"),
        ("POST", "/api/contacts", {"phone": "+14155550101", "name": "A\x07na"}, "name"),
        ("POST", "/api/contacts", {"phone": "+14155550102", "tags": ["v\x00ip"]}, "tags"),
        (
            "POST",
            "/api/contacts",
            {"phone": "+14155550103", "fields": {"city": "S\x00P"}},
            "fields",
        ),
        ("PATCH", "/api/me", {"name": "Ana\r\nX-Injected: 1"}, "name"),
        ("POST", "/api/sessions", {"label": "Shop\x00"}, "label"),
    ):
        reply = api.request(method, path, body)
        assert reply.status == 422, (path, reply.status, reply.json)
        assert "control characters" in reply.json["error"]["message"]
        assert reply.json["error"]["details"][0]["loc"][0] == where, reply.json
    ok = api.post("/api/contacts", {"phone": "+14155550104", "name": "Ana\tMaria"})
    assert ok.status == 201  # tab and newline stay allowed
    multi = api.request("PATCH", f"/api/campaigns/{cid}", {"template": "Line one\nLine two"})
    assert multi.status == 200


def _compose(kit: Setup) -> dict[str, Any]:
    return {
        "name": "Promo",
        "template": "Hi",
        "audience": {"all": True},
        "session_ids": [kit.session_id],
    }


def test_a_stored_nul_template_no_longer_breaks_preview_or_pulls(kit: Setup, api: Api) -> None:
    from chalicelib.models.campaigns import CampaignModel

    phones = add_contacts(api, 2)
    cid = kit.campaign(template="Hi {{first_name}}")["campaign_id"]
    user_id = api.get("/api/me").json["user_id"]
    # Stored before the API refused control characters.
    CampaignModel(user_id, cid).update(
        actions=[CampaignModel.template.set("Hi\x00 {{first_name}}\x001\x00")]
    )
    preview = api.post(f"/api/campaigns/{cid}/preview", {"phone": phones[0]})
    assert preview.status == 200 and preview.json["text"] == "Hi Ana01", preview.json
    kit.launch(cid)
    batch = kit.pull()
    assert sorted(m["text"] for m in batch) == ["Hi Ana01", "Hi Ana11"]


# --- downloads ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["Natal \u2013 promoção 🎄", "Line\r\nSet-Cookie: x=1", 'Quote " and ; semicolon', "plain"],
)
def test_export_filename_survives_any_campaign_name(kit: Setup, api: Api, name: str) -> None:
    from chalicelib.models.campaigns import CampaignModel

    cid = kit.campaign()["campaign_id"]
    user_id = api.get("/api/me").json["user_id"]
    CampaignModel(user_id, cid).update(actions=[CampaignModel.name.set(name)])  # as stored
    reply = api.get(f"/api/campaigns/{cid}/export")
    assert reply.status == 200, reply.json
    disposition = reply.headers["Content-Disposition"]
    disposition.encode("ascii")  # a header value must be plain ASCII
    assert "\r" not in disposition and "\n" not in disposition
    assert disposition.startswith('attachment; filename="')
    fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.endswith(f"-{cid}.csv") and '"' not in fallback
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    clean = name.replace("\r", "").replace("\n", " ")
    assert unquote(encoded) == f"{clean}-{cid}.csv".strip()


# --- security headers and tokens -----------------------------------------------------


def test_security_headers_on_api_answers(api: Api, user: dict[str, Any]) -> None:
    for reply in (
        api.get("/api/me"),
        api.post(
            "/api/auth/login", {"email": user["email"], "password": user["password"]}, token=None
        ),
        api.get("/api/campaigns/nope"),
        api.get("/api/openapi.json", token=None),
    ):
        headers = {k.lower(): v for k, v in reply.headers.items()}
        assert headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in headers  # local http: no HSTS


def test_hsts_when_deployed_over_https(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    _settings(monkeypatch, WACAST_APP_URL="https://app.example.com")
    reply = api.get("/api/openapi.json", token=None)
    assert reply.headers["Strict-Transport-Security"].startswith("max-age=")


def test_tokens_last_30_days_and_slide_when_used(api: Api) -> None:
    from datetime import UTC, datetime, timedelta

    from chalicelib.models.tokens import ApiTokenModel

    account = register_and_login(api)
    now_ms = time.time() * 1000
    assert abs(account["expires_at"] - (now_ms + 30 * 86_400_000)) < 120_000  # epoch ms
    record = next(ApiTokenModel.by_user.query(api_user_id(api, account)))
    soon = datetime.now(UTC) + timedelta(days=10)  # past half-life
    ApiTokenModel(record.token_hash).update(actions=[ApiTokenModel.expires_at.set(soon)])
    assert api.get("/api/me", token=account["token"]).status == 200
    renewed = ApiTokenModel.get(record.token_hash).expires_at.timestamp()
    assert abs(renewed - (time.time() + 30 * 86_400)) < 120
    ApiTokenModel(record.token_hash).update(
        actions=[ApiTokenModel.expires_at.set(datetime.now(UTC) - timedelta(seconds=1))]
    )
    assert api.get("/api/me", token=account["token"]).status == 401  # lapsed: no renewal


def api_user_id(api: Api, account: dict[str, Any]) -> str:
    return str(api.get("/api/me", token=account["token"]).json["user_id"])


# --- login throttling and enumeration ------------------------------------------------


@pytest.fixture
def source(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Switch the caller's address (chalice's local gateway reports a fixed one)."""
    from chalice.local import LambdaEventConverter

    def use(ip: str) -> None:
        monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", ip)

    return use


def _login(api: Api, email: str, password: str) -> Any:
    return api.post("/api/auth/login", {"email": email, "password": password}, token=None)


def test_wrong_passwords_never_lock_out_the_right_one(
    api: Api, monkeypatch: pytest.MonkeyPatch, source: Any
) -> None:
    _settings(monkeypatch, WACAST_LOGIN_ATTEMPTS_PER_EMAIL="3")
    account = register_and_login(api)
    email, password = account["email"], account["password"]
    waits = []
    for attacker in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        source(attacker)
        for _ in range(2):
            reply = _login(api, email, "wrong password here")
            assert reply.status in (401, 429)
            if reply.status == 429:
                assert reply.error_code == "rate_limited"
                assert "Too many wrong passwords" in reply.json["error"]["message"]
                waits.append(int(reply.headers["Retry-After"]))
    assert len(waits) >= 2 and waits == sorted(waits) and waits[-1] > waits[0]  # it grows
    source("198.51.100.7")  # the owner, elsewhere
    assert _login(api, email, password).status == 200
    source("203.0.113.3")  # even from an attacker's address the right password works
    assert _login(api, email, password).status == 200


def test_a_source_that_keeps_failing_is_stopped(
    api: Api, monkeypatch: pytest.MonkeyPatch, source: Any
) -> None:
    _settings(monkeypatch, WACAST_LOGIN_ATTEMPTS_PER_EMAIL="3")
    account = register_and_login(api)
    source("203.0.113.9")
    statuses = [_login(api, account["email"], "wrong password here").status for _ in range(4)]
    assert statuses[:3] == [401, 401, 429] or statuses[-1] == 429
    refused = _login(api, account["email"], account["password"])
    assert refused.status == 429  # that machine, even with the right password
    assert refused.json["error"]["message"].startswith(
        "Too many failed sign-ins from this device. Wait "
    )
    assert int(refused.headers["Retry-After"]) >= 1
    source("198.51.100.7")
    assert _login(api, account["email"], account["password"]).status == 200  # the owner


def test_register_does_not_reveal_an_existing_email(api: Api, chalice_app: Any) -> None:
    from moto.ses.models import ses_backends

    from chalicelib import queues
    from chalicelib.workers import email_batch

    register_and_login(api, email="taken@example.com")
    fresh = api.post(
        "/api/auth/register",
        {"email": "fresh@example.com", "password": "another good phrase", "name": "B"},
        token=None,
    )
    taken = api.post(
        "/api/auth/register",
        {"email": "TAKEN@example.com", "password": "another good phrase", "name": "B"},
        token=None,
    )
    assert fresh.status == taken.status == 201
    assert set(fresh.json) == set(taken.json) == {"email", "message"}
    assert fresh.json["message"] == taken.json["message"]
    assert taken.json["email"] == "taken@example.com"
    # The owner of the taken address hears about it (once an hour at most).
    api.post(
        "/api/auth/register",
        {"email": "taken@example.com", "password": "third good phrase", "name": "C"},
        token=None,
    )
    drain(queues.EMAIL, email_batch)
    sent = [
        m
        for backend in ses_backends.values()
        for region in backend.values()
        for m in region.sent_messages
    ]
    notes = [m for m in sent if "taken@example.com" in m.destinations["ToAddresses"]]
    assert len(notes) == 1
    assert "already has one" in notes[0].body and "/auth/forgot" in notes[0].body
    assert not [m for m in sent if "fresh@example.com" in m.destinations["ToAddresses"]]


def test_unauthenticated_routes_are_throttled_per_source(
    api: Api, monkeypatch: pytest.MonkeyPatch, source: Any
) -> None:
    _settings(monkeypatch, WACAST_RATE_PUBLIC_PER_MINUTE="6")
    source("203.0.113.50")
    body = {"email": "x@example.com"}
    statuses = [api.post("/api/auth/password-reset", body, token=None).status for _ in range(8)]
    assert statuses[0] == 202 and statuses[-1] == 429
    limited = api.post(
        "/api/auth/register",
        {"email": "y@example.com", "password": "correct horse battery", "name": "Y"},
        token=None,
    )
    assert limited.status == 429 and int(limited.headers["Retry-After"]) >= 1
    source("198.51.100.8")  # another address is not affected
    other = {"email": "z@example.com"}
    assert api.post("/api/auth/password-reset", other, token=None).status == 202


def test_registrations_per_source_are_limited(
    api: Api, monkeypatch: pytest.MonkeyPatch, source: Any
) -> None:
    _settings(monkeypatch, WACAST_REGISTRATIONS_PER_HOUR="4")
    source("203.0.113.60")
    statuses = [
        api.post(
            "/api/auth/register",
            {"email": f"bulk{i}@example.com", "password": "correct horse battery", "name": "B"},
            token=None,
        ).status
        for i in range(4)
    ]
    assert statuses[:2] == [201, 201] and statuses[-1] == 429


# --- uploads --------------------------------------------------------------------------


def test_media_upload_is_a_presigned_post_with_size_and_type_conditions(
    kit: Setup, api: Api
) -> None:
    import base64
    import io
    import json

    import requests
    from PIL import Image

    cid = kit.campaign()["campaign_id"]
    slot = api.post(f"/api/campaigns/{cid}/media/upload").json
    assert slot["method"] == "POST" and slot["upload_fields"]["key"] == slot["upload_key"]
    policy = json.loads(base64.b64decode(slot["upload_fields"]["policy"]))
    assert ["content-length-range", 1, 5 * 1024 * 1024] in policy["conditions"]
    assert ["starts-with", "$Content-Type", "image/"] in policy["conditions"]
    image = io.BytesIO()
    Image.new("RGB", (40, 40), (0, 120, 0)).save(image, format="PNG")
    # What the browser does: the fields, then the file (moto answers the POST).
    posted = requests.post(
        slot["upload_url"],
        data={**slot["upload_fields"], "Content-Type": "image/png"},
        files={"file": ("a.png", image.getvalue(), "image/png")},
        timeout=10,
    )
    assert posted.status_code in (200, 201, 204), posted.text
    attached = api.request("PUT", f"/api/campaigns/{cid}/media", {"upload_key": slot["upload_key"]})
    assert attached.status == 200 and attached.json["has_media"] is True


def test_a_csv_replaced_after_its_preview_is_refused_before_it_is_read(
    api: Api, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import aws
    from chalicelib.config import settings
    from chalicelib.contacts import imports
    from tests.contacts.fixtures import drain_contacts_queue

    s3 = aws.client("s3")
    for replacement, message in (
        (b"name,phone\n" + b"Ana,+14155550100\n" * 3, "changed after its preview"),
        (b"name,phone\n" + b"Ana,+14155550100\n" * 400, "larger than"),
    ):
        monkeypatch.setattr(imports, "MAX_FILE_BYTES", 2_000)
        reply = api.post("/api/contacts/imports", {"filename": "a.csv"})
        import_id, key = reply.json["import"]["import_id"], reply.json["upload"]["fields"]["key"]
        s3.put_object(
            Bucket=settings().uploads_bucket, Key=key, Body=b"name,phone\nBo,+14155550101\n"
        )
        assert api.get(f"/api/contacts/imports/{import_id}/preview").status == 200
        s3.put_object(Bucket=settings().uploads_bucket, Key=key, Body=replacement)  # swapped
        assert api.post(f"/api/contacts/imports/{import_id}/start", {}).status == 202
        drain_contacts_queue()
        state = api.get(f"/api/contacts/imports/{import_id}").json
        assert state["status"] == "failed" and message in state["error"], state
    assert api.get("/api/contacts").json["items"] == []


# --- found by the seeded schemathesis run (tests/functional/test_schemathesis.py) -------


def test_quick_replies_for_an_empty_conversation_id_are_a_422_not_a_500(
    api: Api, user: dict[str, Any]
) -> None:
    reply = api.get("/api/quick-replies?conversation_id=")
    assert reply.status == 422, reply.json
    assert reply.json["error"]["details"][0]["loc"] == ["conversation_id"]
    assert api.get("/api/quick-replies?conversation_id=nope").status == 404
    assert api.get("/api/quick-replies").status == 200
