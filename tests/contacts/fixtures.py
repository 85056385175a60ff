"""Generated CSV fixtures (no binary files in the repo) and queue helpers."""

from __future__ import annotations

import csv
import io
import json
from typing import Any


def csv_bytes(
    rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",", bom: bool = False
) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    text = buffer.getvalue()
    if encoding.startswith("utf-16"):
        prefix = "\ufeff" if bom else ""
        return (prefix + text).encode(encoding)
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom and encoding == "utf-8" else data


def br_phone(i: int) -> str:
    """A valid Brazilian mobile, +55 11 9xxxx-xxxx."""
    return f"+55119{(10000000 + i) % 100000000:08d}"


def drain_contacts_queue(max_rounds: int = 10_000) -> int:
    """Run the contacts worker with Lambda-shaped records until the queue is empty."""
    from chalicelib import queues
    from chalicelib.workers import contacts_batch
    from tests.functional.conftest import drain

    def handle(event: dict[str, Any]) -> dict[str, Any]:
        result = contacts_batch(event)
        assert not result["batchItemFailures"], result
        return result

    return drain(queues.CONTACTS, handle, rounds=max_rounds)


def lambda_record(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:contacts",
        "awsRegion": "us-east-1",
    }


def queued_bodies() -> list[dict[str, Any]]:
    from chalicelib import aws, queues

    sqs = aws.client("sqs")
    url = queues.queue_url(queues.CONTACTS)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get(
        "Messages", []
    )
    return [json.loads(m["Body"]) for m in messages]
