"""Billing installs its rules into the campaigns and sessions hooks when they exist."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest


def test_install_wires_present_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.billing import hooks, quota, wiring

    got: dict[str, Any] = {}
    campaigns = types.ModuleType("chalicelib.campaigns")
    campaigns.__path__ = []  # a package
    campaigns_quota = types.ModuleType("chalicelib.campaigns.quota")
    campaigns_quota.install = lambda **kw: got.update(kw)  # type: ignore[attr-defined]
    sessions = types.ModuleType("chalicelib.sessions")
    sessions.__path__ = []
    limits = types.ModuleType("chalicelib.sessions.limits")
    limits.set_check = lambda rule: got.update(check=rule)  # type: ignore[attr-defined]
    for module in (campaigns, campaigns_quota, sessions, limits):
        monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(wiring, "_module", lambda name: sys.modules.get(name))
    monkeypatch.setattr(wiring, "_present", lambda name: name.startswith("chalicelib.sessions"))
    try:
        installed = wiring.install()
        assert installed == ["campaigns.quota", "sessions.limits", "count_sessions"]
        assert got["consume_fn"] is quota.consume and got["release_fn"] is quota.release
        assert got["allowed_fn"] is quota.sending_allowed
        assert got["check"] is quota.check_session_allowed
    finally:
        hooks.clear()


def test_install_skips_absent_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.billing import hooks, wiring

    monkeypatch.setattr(wiring, "_module", lambda name: None)
    monkeypatch.setattr(wiring, "_present", lambda name: False)
    try:
        assert wiring.install() == []
    finally:
        hooks.clear()
