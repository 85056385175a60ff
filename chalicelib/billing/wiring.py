"""Plug billing into the modules that expose hooks for it, when they are present.

Campaigns expose ``chalicelib.campaigns.quota.install(...)`` and sessions expose
``chalicelib.sessions.limits.set_check(...)``; both default to "no limits" until
billing installs its rules here. Called once from app.py at import; cheap (no
stripe, no AWS client). A module that does not exist yet is skipped.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from chalicelib.billing import hooks, quota


def _present(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _module(name: str) -> Any:
    return importlib.import_module(name) if _present(name) else None


def _reserve(user_id: str, n: int, token: str) -> None:
    quota.reserve(user_id, n, token)


def _count_sessions(user_id: str) -> int:
    sessions = _module("chalicelib.sessions.service")
    return int(sessions.count_active(user_id)) if sessions is not None else 0


def install() -> list[str]:
    """Returns the hooks installed (for logs and tests)."""
    installed: list[str] = []
    campaigns_quota = _module("chalicelib.campaigns.quota")
    if campaigns_quota is not None and hasattr(campaigns_quota, "install"):
        campaigns_quota.install(
            reserve_fn=_reserve,
            consume_fn=quota.consume,
            release_fn=quota.release,
            allowed_fn=quota.sending_allowed,
        )
        installed.append("campaigns.quota")
    limits = _module("chalicelib.sessions.limits")
    if limits is not None and hasattr(limits, "set_check"):
        limits.set_check(quota.check_session_allowed)
        installed.append("sessions.limits")
    if _present("chalicelib.sessions.service"):
        hooks.count_sessions(_count_sessions)
        installed.append("count_sessions")
    return installed
