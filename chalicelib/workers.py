"""SQS workers, with partial batch failures so one bad record never blocks the rest."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalicelib.logs import logger


def run_batch(event: dict[str, Any], handle: Callable[[str], object], name: str) -> dict[str, Any]:
    """Run ``handle(body)`` per record; failed records are reported, not the whole batch."""
    from chalicelib.bootstrap import bootstrap

    bootstrap()  # a worker run without app.py still enforces quota and number limits
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    def record_handler(record: SQSRecord) -> None:
        handle(record.body)

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    result = dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=None
        )
    )
    if result.get("batchItemFailures"):
        logger.warning(f"{name} batch had failures", extra={"failed": result["batchItemFailures"]})
    return result


def email_batch(event: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.mail import EmailJob, deliver

    return run_batch(event, lambda body: deliver(EmailJob.model_validate_json(body)), "email")


def _job(body: str) -> None:
    job = json.loads(body)
    kind = job.get("kind") if isinstance(job, dict) else None
    if kind == "agent_offline_check":
        from chalicelib.agents.link import offline_check

        offline_check(str(job["agent_id"]))
    elif kind == "cancel_pending":
        from chalicelib.campaigns.service import cancel_pending

        cancel_pending(str(job["user_id"]), str(job["campaign_id"]))
    else:
        # Unknown jobs are dropped, not retried: retrying cannot make them known.
        logger.error("unknown job", extra={"kind": kind})


def jobs_batch(event: dict[str, Any]) -> dict[str, Any]:
    """Small background jobs, dispatched by ``kind``."""
    return run_batch(event, _job, "jobs")


def _launch(body: str) -> None:
    from chalicelib.campaigns import launch

    job = json.loads(body)
    logger.append_keys(campaign_id=job.get("campaign_id"))
    try:
        launch.handle(job)
    finally:
        logger.remove_keys(["campaign_id"])


def launch_batch(event: dict[str, Any]) -> dict[str, Any]:
    """Campaign launches and materialisation chunks (batch size 1: each is a unit)."""
    return run_batch(event, _launch, "launch")
