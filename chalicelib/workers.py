"""SQS workers: each queue's handler on the shared batch runner (``chalicelib/batch.py``)."""

from __future__ import annotations

from typing import Any

from chalicelib import jobs
from chalicelib.batch import run_batch
from chalicelib.logs import logger
from chalicelib.queues import EMAIL, JOBS, LAUNCH


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
    from chalicelib.campaigns import launch

    logger.append_keys(campaign_id=job.campaign_id)
    try:
        launch.handle(job.model_dump())  # validated; the launch module reads its fields
    finally:
        logger.remove_keys(["campaign_id"])


def launch_batch(event: dict[str, Any]) -> dict[str, Any]:
    """Campaign launches and materialisation chunks (batch size 1: each is a unit)."""
    return run_batch(event, LAUNCH, _launch)
