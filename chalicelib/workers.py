"""SQS workers: each queue's handler on the shared batch runner (``chalicelib/batch.py``).

Every worker calls ``bootstrap()`` first: one run without app.py (a script, a test, a
new function) still enforces quota and number limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib import batch, jobs
from chalicelib.bootstrap import bootstrap
from chalicelib.logs import logger
from chalicelib.queues import CONTACTS, EMAIL, JOBS, LAUNCH, QueueSpec


def run_batch(
    event: dict[str, Any], spec: QueueSpec, handle: Callable[[Any, int], object]
) -> dict[str, Any]:
    bootstrap()
    return batch.run_batch(event, spec, handle)


def email_batch(event: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.mail import deliver

    return run_batch(event, EMAIL, lambda job, _: deliver(job))


def _job(job: jobs.AgentOfflineCheck | jobs.CancelPending, _: int) -> None:
    if isinstance(job, jobs.AgentOfflineCheck):
        from chalicelib.agents.link import offline_check

        offline_check(job.agent_id)
    else:
        from chalicelib.campaigns.service import cancel_pending

        cancel_pending(job.user_id, job.campaign_id)


def jobs_batch(event: dict[str, Any]) -> dict[str, Any]:
    """Small background jobs, dispatched by ``kind``."""
    return run_batch(event, JOBS, _job)


def _launch(job: jobs.LaunchChunk | jobs.ResumeAt | jobs.PreparePage, _: int) -> None:
    from chalicelib.campaigns import launch, prepare

    logger.append_keys(campaign_id=job.campaign_id)
    try:
        if isinstance(job, jobs.PreparePage):
            prepare.handle(job)
        else:
            launch.handle(job)
    finally:
        logger.remove_keys(["campaign_id"])


def launch_batch(event: dict[str, Any]) -> dict[str, Any]:
    """Campaign launches and materialisation chunks (batch size 1: each is a unit)."""
    return run_batch(event, LAUNCH, _launch)


def contacts_batch(event: dict[str, Any]) -> dict[str, Any]:
    """Contact import chunks and bulk deletes."""
    from chalicelib.contacts.imports import handle_message

    return run_batch(event, CONTACTS, handle_message)
