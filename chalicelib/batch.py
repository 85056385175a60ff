"""The shared SQS batch runner, with partial batch failures so one bad record never
blocks the rest.

Each record's body is parsed into its job model (``chalicelib/jobs.py``) first; one
that does not parse is logged and dropped (retrying cannot fix it), so only a
failing handler makes a record come back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from chalicelib import jobs
from chalicelib.logs import logger
from chalicelib.queues import QueueSpec


def run_batch(
    event: dict[str, Any], spec: QueueSpec, handle: Callable[[Any, int], object]
) -> dict[str, Any]:
    """Run ``handle(job, receive_count)`` per record; failed records are reported,
    not the whole batch."""
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    def record_handler(record: SQSRecord) -> None:
        try:
            job = jobs.parse(spec.key, record.body)
        except ValidationError as error:
            logger.error(
                "malformed job dropped",
                extra={
                    "queue": spec.key,
                    "message_id": record.message_id,
                    "errors": error.errors(include_url=False, include_input=False)[:5],
                },
            )
            return
        attributes = record.raw_event.get("attributes") or {}
        try:
            handle(job, int(attributes.get("ApproximateReceiveCount") or 1))
        except Exception:
            logger.exception(f"{spec.key} job failed", extra={"message_id": record.message_id})
            raise

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    result = dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=None
        )
    )
    if result.get("batchItemFailures"):
        logger.warning(
            f"{spec.key} batch had failures", extra={"failed": result["batchItemFailures"]}
        )
    return result
