"""Bookkeeping for scheduled handlers, so health can show they run.

The table model is imported in the functions: ``import app`` registers the schedules
and should not pay for pynamodb (every cold start would).
"""

from __future__ import annotations

PREFIX = "schedule#"

# The schedules app.py declares; chalicelib.bootstrap registers them, /api/health lists them.
SCHEDULES = ("housekeeping", "billing_dunning", "campaign_watch", "inbox_digest")


def record_run(name: str) -> None:
    from chalicelib.models.base import now_ms
    from chalicelib.models.system import SystemModel

    SystemModel(f"{PREFIX}{name}", updated_at=now_ms()).save()


def last_runs() -> dict[str, int]:
    from chalicelib.models.system import SystemModel

    keys = [f"{PREFIX}{name}" for name in KNOWN]
    if not keys:
        SystemModel.describe_table()
        return {}
    found = {item.key[len(PREFIX) :]: int(item.updated_at) for item in SystemModel.batch_get(keys)}
    return {name: found.get(name, 0) for name in KNOWN}


KNOWN: list[str] = []


def register(name: str) -> None:
    if name not in KNOWN:
        KNOWN.append(name)
