"""Accounts: registration, login, tokens, logout, password reset, profile."""

from __future__ import annotations

import re
import threading
from typing import Any

from tests.functional.conftest import Api, drain, register_and_login


def test_register_normalises_email_and_hides_password(api: Api) -> None:
    reply = api.post(
        "/api/auth/register",
        {"email": "  Ana.Silva@Example.COM ", "password": "correct horse battery", "name": "Ana"},
        token=None,
    )
    assert reply.status == 201
    assert reply.json["email"] == "ana.silva@example.com"
    assert "password" not in reply.text if hasattr(reply, "text") else b"password" not in reply.body


def test_register_rejects_weak_and_common_passwords(api: Api) -> None:
    short = api.post(
        "/api/auth/register",
        {"email": "a@example.com", "password": "short1", "name": "A"},
        token=None,
    )
    assert short.status == 422 and short.error_code == "validation_error"
    common = api.post(
        "/api/auth/register",
        {"email": "a@example.com", "password": "1234567890", "name": "A"},
        token=None,
    )
    assert common.status == 422
    assert "common" in common.json["error"]["message"]


def test_register_rejects_bad_email_and_unknown_fields(api: Api) -> None:
    bad = api.post(
        "/api/auth/register",
        {"email": "not-an-email", "password": "correct horse battery", "name": "A"},
        token=None,
    )
    assert bad.status == 422
    extra = api.post(
        "/api/auth/register",
        {
            "email": "x@example.com",
            "password": "correct horse battery",
            "name": "A",
            "role": "admin",
        },
        token=None,
    )
    assert extra.status == 422
    assert extra.json["error"]["details"][0]["loc"] == ["role"]


def test_duplicate_email_answers_like_a_new_one_and_keeps_the_account(api: Api) -> None:
    first = register_and_login(api, email="dup@example.com")
    again = api.post(
        "/api/auth/register",
        {"email": "DUP@example.com", "password": "another good phrase", "name": "B"},
        token=None,
    )
    assert again.status == 201 and again.json["email"] == "dup@example.com"  # reveals nothing
    login = {"email": "dup@example.com", "password": "another good phrase"}
    assert api.post("/api/auth/login", login, token=None).status == 401
    assert api.get("/api/me", token=first["token"]).json["name"] == "Ana"


def test_concurrent_registrations_of_one_email_exactly_one_wins(chalice_app: Any) -> None:
    from chalicelib.auth import service
    from chalicelib.errors import Conflict

    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def attempt() -> None:
        barrier.wait()
        try:
            service.register("race@example.com", "correct horse battery", "Racer")
            outcomes.append("won")
        except Conflict:
            outcomes.append("lost")

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["lost"] * 7 + ["won"]


def test_login_gives_opaque_token_and_me_works(api: Api) -> None:
    account = register_and_login(api)
    token = account["token"]
    assert token.startswith("wct_") and len(token) >= 4 + 43  # 256 bits, base64url
    me = api.get("/api/me", token=token)
    assert me.status == 200 and me.json["email"] == account["email"]
    assert me.headers.get("X-Request-Id") is not None


def test_token_is_stored_only_as_hash(api: Api) -> None:
    from chalicelib.models.tokens import ApiTokenModel

    account = register_and_login(api)
    stored = [item.attribute_values for item in ApiTokenModel.scan()]
    assert stored and all(account["token"] not in repr(item) for item in stored)


def test_login_answers_the_same_for_unknown_email_and_wrong_password(api: Api) -> None:
    account = register_and_login(api)
    wrong = api.post(
        "/api/auth/login", {"email": account["email"], "password": "wrong password!"}, token=None
    )
    unknown = api.post(
        "/api/auth/login",
        {"email": "nobody@example.com", "password": "wrong password!"},
        token=None,
    )
    assert wrong.status == unknown.status == 401
    assert wrong.json == unknown.json


def test_repeated_failed_logins_are_throttled(api: Api, monkeypatch: Any) -> None:
    from chalicelib.config import reset_settings_cache

    monkeypatch.setenv("WACAST_LOGIN_ATTEMPTS_PER_EMAIL", "3")
    reset_settings_cache()
    account = register_and_login(api)
    statuses = [
        api.post(
            "/api/auth/login", {"email": account["email"], "password": "bad password 1"}, token=None
        ).status
        for _ in range(5)
    ]
    assert statuses[-1] == 429
    limited = api.post(
        "/api/auth/login", {"email": account["email"], "password": "x" * 12}, token=None
    )
    assert limited.status == 429 and int(limited.headers["Retry-After"]) >= 1
    reset_settings_cache()


def test_protected_routes_need_a_valid_token(api: Api) -> None:
    missing = api.get("/api/me", token=None)
    assert missing.status == 401 and missing.error_code == "unauthorized"
    forged = api.get("/api/me", token="wct_" + "A" * 43)
    assert forged.status == 401 and forged.error_code == "unauthorized"


def test_logout_revokes_only_the_token_used(api: Api) -> None:
    account = register_and_login(api)
    second = api.post(
        "/api/auth/login", {"email": account["email"], "password": account["password"]}, token=None
    ).json["token"]
    assert api.post("/api/auth/logout", token=account["token"]).status == 204
    assert api.get("/api/me", token=account["token"]).status == 401
    assert api.get("/api/me", token=second).status == 200


def test_list_and_revoke_tokens_with_pagination(api: Api) -> None:
    account = register_and_login(api)
    for _ in range(3):
        api.post(
            "/api/auth/login",
            {"email": account["email"], "password": account["password"], "label": "phone"},
            token=None,
        )
    api.token = account["token"]
    page = api.get("/api/auth/tokens?limit=2")
    assert page.status == 200 and len(page.json["items"]) == 2 and page.json["next_cursor"]
    rest = api.get(f"/api/auth/tokens?limit=10&cursor={page.json['next_cursor']}")
    ids = [t["token_id"] for t in page.json["items"] + rest.json["items"]]
    assert len(ids) == len(set(ids)) == 4
    victim = next(i for i in ids if i != account["token_id"])
    assert api.delete(f"/api/auth/tokens/{victim}").status == 204
    assert api.delete(f"/api/auth/tokens/{victim}").status == 404
    assert len(api.get("/api/auth/tokens").json["items"]) == 3


def test_tokens_of_another_tenant_read_as_404(api: Api) -> None:
    alice = register_and_login(api)
    bob = register_and_login(api)
    assert api.delete(f"/api/auth/tokens/{alice['token_id']}", token=bob["token"]).status == 404
    assert api.get("/api/me", token=alice["token"]).status == 200


def test_forged_cursor_is_400_not_another_page(api: Api, user: dict[str, Any]) -> None:
    import base64
    import json

    other = base64.urlsafe_b64encode(
        json.dumps(
            {"token_hash": {"S": "x"}, "user_id": {"S": "usr_other"}, "created_at": {"N": "1"}}
        ).encode()
    ).decode()
    for cursor in (other, "!!!", "e30"):
        reply = api.get(f"/api/auth/tokens?cursor={cursor}")
        assert reply.status == 400 and reply.error_code == "invalid_cursor"


def _mail_links(chalice_app: Any) -> list[str]:
    """Run the email queue's worker over what is queued and return reset links sent."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from chalicelib import queues
    from chalicelib.workers import email_batch

    drain(queues.EMAIL, email_batch)
    sent = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    return [re.search(r"token=(\S+)", m.body).group(1) for m in sent if "token=" in m.body]


def test_password_reset_flow_is_single_use_and_revokes_sessions(api: Api, chalice_app: Any) -> None:
    account = register_and_login(api)
    unknown = api.post("/api/auth/password-reset", {"email": "ghost@example.com"}, token=None)
    known = api.post("/api/auth/password-reset", {"email": account["email"]}, token=None)
    assert unknown.status == known.status == 202 and unknown.json == known.json
    links = _mail_links(chalice_app)
    assert len(links) == 1
    new_password = "a brand new passphrase"
    ok = api.post(
        "/api/auth/password-reset/confirm",
        {"token": links[0], "password": new_password},
        token=None,
    )
    assert ok.status == 200
    again = api.post(
        "/api/auth/password-reset/confirm",
        {"token": links[0], "password": "yet another phrase"},
        token=None,
    )
    assert again.status == 400 and again.error_code == "invalid_reset_token"
    assert api.get("/api/me", token=account["token"]).status == 401
    login = api.post(
        "/api/auth/login", {"email": account["email"], "password": new_password}, token=None
    )
    assert login.status == 200


def test_expired_reset_token_is_refused(api: Api, chalice_app: Any) -> None:
    from chalicelib.auth.secrets_ import hash_secret
    from chalicelib.models.base import expiry
    from chalicelib.models.tokens import PasswordResetModel

    account = register_and_login(api)
    api.post("/api/auth/password-reset", {"email": account["email"]}, token=None)
    link = _mail_links(chalice_app)[0]
    record = PasswordResetModel.get(hash_secret(link))
    record.update(actions=[PasswordResetModel.expires_at.set(expiry(1))])
    reply = api.post(
        "/api/auth/password-reset/confirm",
        {"token": link, "password": "a brand new passphrase"},
        token=None,
    )
    assert reply.status == 400


def test_profile_update_validates_region_and_timezone(api: Api, user: dict[str, Any]) -> None:
    ok = api.patch("/api/me", {"default_region": "br", "timezone": "America/Sao_Paulo"})
    assert ok.status == 200 and ok.json["default_region"] == "BR"
    bad = api.patch("/api/me", {"default_region": "XX", "timezone": "Mars/Base"})
    assert bad.status == 422
    assert {d["loc"][0] for d in bad.json["error"]["details"]} == {"default_region", "timezone"}
