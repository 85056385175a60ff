"""SQS workers, with partial batch failures so one bad record never blocks the rest."""

from __future__ import annotations

from typing import Any

from chalicelib.logs import logger


def email_batch(event: dict[str, Any]) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from chalicelib.mail import EmailJob, deliver

    def handle(record: SQSRecord) -> None:
        job = EmailJob.model_validate_json(record.body)
        deliver(job)

    processor = BatchProcessor(event_type=EventType.SQS)
    result = process_partial_response(
        event=event, record_handler=handle, processor=processor, context=None
    )
    if result.get("batchItemFailures"):
        logger.warning("email batch had failures", extra={"failed": result["batchItemFailures"]})
    return dict(result)


def jobs_batch(event: dict[str, Any]) -> dict[str, Any]:
    """Small background jobs, dispatched by ``kind``."""
    import json

    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    def handle(record: SQSRecord) -> None:
        job = json.loads(record.body)
        kind = job.get("kind") if isinstance(job, dict) else None
        if kind == "agent_offline_check":
            from chalicelib.agents.link import offline_check

            offline_check(str(job["agent_id"]))
        else:
            # Unknown jobs are dropped, not retried: retrying cannot make them known.
            logger.error("unknown job", extra={"kind": kind})

    processor = BatchProcessor(event_type=EventType.SQS)
    result = process_partial_response(
        event=event, record_handler=handle, processor=processor, context=None
    )
    return dict(result)
