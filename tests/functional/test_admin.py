"""Admins: created by command; agents managed through the admin API."""

from __future__ import annotations

from typing import Any

from tests.functional.conftest import Api


def admin_token(api: Api) -> str:
    from chalicelib.admin import create_admin

    create_admin("root@example.com", "Root", "operator passphrase 1")
    login = api.post(
        "/api/auth/login",
        {"email": "root@example.com", "password": "operator passphrase 1"},
        token=None,
    )
    assert login.status == 200 and login.json["user"]["role"] == "admin"
    return str(login.json["token"])


def test_create_admin_command_promotes_existing_user(
    api: Api, monkeypatch: Any, capsys: Any
) -> None:
    from chalicelib import admin

    api.post(
        "/api/auth/register",
        {"email": "boss@example.com", "password": "a fine passphrase", "name": "Boss"},
        token=None,
    )
    monkeypatch.setenv("WACAST_ADMIN_PASSWORD", "ignored for existing users")
    assert admin.main(["create-admin", "--email", "Boss@example.com"]) == 0
    login = api.post(
        "/api/auth/login",
        {"email": "boss@example.com", "password": "a fine passphrase"},
        token=None,
    )
    assert login.json["user"]["role"] == "admin"
    monkeypatch.setenv("WACAST_ADMIN_PASSWORD", "short")
    assert admin.main(["create-admin", "--email", "new@example.com"]) == 1
    assert "at least" in capsys.readouterr().err


def test_agents_are_created_listed_and_rotated(api: Api) -> None:
    from chalicelib.agents import registry

    api.token = admin_token(api)
    created = api.post("/api/admin/agents", {"name": "mac-mini-1", "capacity": 12})
    assert created.status == 201
    agent = created.json
    assert agent["token"].startswith("wca_") and agent["online"] is False
    assert registry.authenticate(agent["token"]).agent_id == agent["agent_id"]
    listed = api.get("/api/admin/agents").json["items"]
    assert [a["agent_id"] for a in listed] == [agent["agent_id"]]
    assert "token" not in listed[0]
    rotated = api.post(f"/api/admin/agents/{agent['agent_id']}/rotate-token").json
    assert rotated["token"] != agent["token"]
    assert registry.authenticate(agent["token"]) is None
    assert registry.authenticate(rotated["token"]).agent_id == agent["agent_id"]
    assert api.post("/api/admin/agents/agt_nothere/rotate-token").status == 404
    assert api.post("/api/admin/agents", {"name": "x", "capacity": 0}).status == 422
