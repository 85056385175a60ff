"""The hooks sessions and contacts announce through, and campaigns' one registration."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.campaigns import hooks as campaign_hooks
from chalicelib.contacts import hooks as contact_hooks
from chalicelib.models.sessions import WaSessionModel
from chalicelib.sessions import hooks as session_hooks


def test_install_registers_campaigns_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_hooks, "_state", [])
    monkeypatch.setattr(contact_hooks, "_opt_out", [])
    assert campaign_hooks.install() == ["sessions.state_change", "contacts.opt_out_confirmed"]
    campaign_hooks.install()  # a second entry point calling it changes nothing
    assert len(session_hooks._state) == 1 and len(contact_hooks._opt_out) == 1


def test_state_changes_reach_every_listener_and_failures_surface(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(session_hooks, "_state", [])
    heard: list[tuple[WaSessionModel, str, int | None]] = []
    session_hooks.on_state_change(lambda s, state, until: heard.append((s, state, until)))
    session = WaSessionModel("usr_1", "ses_1")
    session_hooks.fire_state_change(session, "restricted", 123)
    assert heard == [(session, "restricted", 123)]

    def broken(*_: Any) -> None:
        raise RuntimeError("listener down")

    session_hooks.on_state_change(broken)
    # A failing listener is logged and its error raised, not swallowed (as billing.hooks).
    with pytest.raises(RuntimeError):
        session_hooks.fire_state_change(session, "banned", None)


def test_a_confirmed_opt_out_reaches_the_listener(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contact_hooks, "_opt_out", [])
    heard: list[tuple[str, str]] = []
    contact_hooks.on_opt_out_confirmed(lambda user_id, phone: heard.append((user_id, phone)))
    contact_hooks.fire_opt_out_confirmed("usr_1", "447700900123")
    assert heard == [("usr_1", "447700900123")]


def test_conversations_register_for_deleted_contacts_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.conversations import hooks as conversation_hooks
    from chalicelib.conversations import inbox

    monkeypatch.setattr(contact_hooks, "_deleted", [])
    # Without the inbox's listener, deleting refuses before it deletes anything.
    with pytest.raises(RuntimeError, match="bootstrap"):
        contact_hooks.check_deletion_wired()
    erased: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(inbox, "erase_contacts", lambda u, phones: erased.append((u, phones)))
    assert conversation_hooks.install() == ["contacts.contacts_deleted"]
    conversation_hooks.install()
    contact_hooks.check_deletion_wired()
    contact_hooks.fire_contacts_deleted("usr_1", ["+5511900000001", "+5511900000002"])
    assert erased == [("usr_1", ["+5511900000001", "+5511900000002"])]
