"""The one place that wires wacast's parts together; every entry point calls it.

Campaigns and sessions expose hooks (``campaigns.quota``, ``sessions.limits``,
``billing.hooks``) that default to "no limits". Installing billing's rules used to be
a side effect of importing app.py, so any other entry point (the admin CLI, a script,
a worker run on its own) silently sent without quota or number limits. Now app.py,
the admin CLI, the SQS workers (``chalicelib.workers``), scripts and the
local stack call ``bootstrap()``; it is cheap (no AWS client, no stripe, no pynamodb)
and idempotent, so calling it again is harmless.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from chalicelib import push, scheduler

if TYPE_CHECKING:
    from chalice import Chalice

_lock = threading.Lock()
_installed: list[str] = []


def bootstrap(app: Chalice | None = None) -> list[str]:
    """Install billing's, campaigns' and conversations' hooks, register the schedules,
    bind push to ``app`` (when given). Returns what was installed (for logs and tests)."""
    if app is not None:
        push.bind(app)
    with _lock:
        if not _installed:
            from chalicelib.billing import wiring
            from chalicelib.campaigns import hooks as campaign_hooks
            from chalicelib.conversations import hooks as conversation_hooks

            for name in scheduler.SCHEDULES:
                scheduler.register(name)
            _installed.extend(wiring.install())
            # campaigns follow sessions' state changes and confirmed opt-outs
            _installed.extend(campaign_hooks.install())
            # a deleted contact's conversations go with them
            _installed.extend(conversation_hooks.install())
    return list(_installed)


def installed() -> bool:
    return bool(_installed)
