"""The SQS event pump and the schedule ticker: Lambda's event sources, locally."""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chalice import Chalice, Cron, Rate
from chalice.app import ScheduledEventConfig, SQSEventConfig

from chalicelib import aws
from chalicelib.config import env

log = logging.getLogger("localstack.events")

Invoke = Callable[[str, dict[str, Any]], Any]

RATE_SECONDS = {Rate.MINUTES: 60, Rate.HOURS: 3600, Rate.DAYS: 86400}


class SqsPump(threading.Thread):
    """Polls one queue and hands batches to its handler like Lambda's SQS poller.

    Deletes what succeeded, leaves what failed (a raised handler or an entry in
    ``batchItemFailures``) to come back after the visibility timeout; the queue's
    redrive policy moves a message to its DLQ after maxReceiveCount receives.
    """

    def __init__(self, source: SQSEventConfig, invoke: Invoke, region: str, stop: threading.Event):
        super().__init__(name=f"sqs-{source.queue}", daemon=True)
        self.source = source
        self._invoke = invoke
        self._region = region
        self._stop_event = stop
        self.batches = 0

    def run(self) -> None:
        sqs = aws.client("sqs")
        url = sqs.get_queue_url(QueueName=self.source.queue)["QueueUrl"]
        arn = f"arn:aws:sqs:{self._region}:123456789012:{self.source.queue}"
        while not self._stop_event.is_set():
            try:
                received = sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=min(10, self.source.batch_size or 1),
                    WaitTimeSeconds=1,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
            except Exception:
                if self._stop_event.is_set():
                    return
                log.exception("receive from %s failed", self.source.queue)
                time.sleep(1)
                continue
            if received:
                self._deliver(sqs, url, arn, received)

    def _deliver(self, sqs: Any, url: str, arn: str, messages: list[dict[str, Any]]) -> None:
        event = {"Records": [self._record(m, arn) for m in messages]}
        try:
            result = self._invoke(self.source.name, event)
        except Exception:
            log.exception("handler %s raised; the batch returns to the queue", self.source.name)
            return
        self.batches += 1
        failed = (
            {
                item.get("itemIdentifier")
                for item in (result or {}).get("batchItemFailures", [])
                if isinstance(item, dict)
            }
            if isinstance(result, dict)
            else set()
        )
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)
                ],
            )

    def _record(self, message: dict[str, Any], arn: str) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": arn,
            "awsRegion": self._region,
        }


def interval_seconds(expression: Any) -> int:
    override = env("WACAST_LOCAL_SCHEDULE_S")  # or its old name, ..._SECONDS
    if override:
        return max(1, int(override))  # tests speed the minute schedules up
    if isinstance(expression, Rate):
        return int(expression.value) * RATE_SECONDS[expression.unit]
    if isinstance(expression, Cron):
        return 60  # cron schedules are checked each minute
    match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", str(expression))
    if match:
        unit = {"minute": 60, "hour": 3600, "day": 86400}[match.group(2).rstrip("s")]
        return int(match.group(1)) * unit
    return 60


class Ticker(threading.Thread):
    """Runs every ``@app.schedule`` handler once at start, then at its rate."""

    def __init__(
        self,
        sources: list[ScheduledEventConfig],
        invoke: Invoke,
        region: str,
        stop: threading.Event,
        first_delay: float = 1.0,
    ) -> None:
        super().__init__(name="ticker", daemon=True)
        self._sources = sources
        self._invoke = invoke
        self._region = region
        self._stop_event = stop
        self._first_delay = first_delay
        self.runs: dict[str, int] = {source.name: 0 for source in sources}

    def run(self) -> None:
        due = {source.name: time.monotonic() + self._first_delay for source in self._sources}
        while not self._stop_event.is_set():
            now = time.monotonic()
            for source in self._sources:
                if now >= due[source.name]:
                    due[source.name] = now + interval_seconds(source.schedule_expression)
                    self._fire(source)
            self._stop_event.wait(0.5)

    def _fire(self, source: ScheduledEventConfig) -> None:
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self._region,
            "resources": [f"arn:aws:events:{self._region}:123456789012:rule/{source.name}"],
            "detail": {},
        }
        try:
            self._invoke(source.name, event)
            self.runs[source.name] += 1
        except Exception:
            log.exception("schedule %s raised", source.name)


def event_sources(app: Chalice) -> tuple[list[SQSEventConfig], list[ScheduledEventConfig]]:
    sqs = [s for s in app.event_sources if isinstance(s, SQSEventConfig)]
    schedules = [s for s in app.event_sources if isinstance(s, ScheduledEventConfig)]
    return sqs, schedules
