"""The one list of SQS queues. The local stack and infra/aws both build from it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from chalicelib import aws
from chalicelib.config import resource_name


@dataclass(frozen=True)
class QueueSpec:
    key: str
    purpose: str
    visibility_timeout: int = 60
    max_receive_count: int = 5
    batch_size: int = 10

    @property
    def name(self) -> str:
        return resource_name(self.key)

    @property
    def dlq_name(self) -> str:
        return resource_name(f"{self.key}-dlq")


EMAIL = QueueSpec("email", "outgoing email, sent through SES", visibility_timeout=30)
JOBS = QueueSpec("jobs", "small background jobs (agent pushes, fan-outs)", visibility_timeout=60)

LAUNCH = QueueSpec(
    "launch",
    "campaign launches and their materialisation in chunks",
    visibility_timeout=120,
    batch_size=1,
)

# One message per import chunk (≤ 2,000 rows) or bulk-delete page, never per row.
CONTACTS = QueueSpec("contacts", "contact import chunks and bulk deletes", 300, 5, 1)

QUEUES: list[QueueSpec] = [EMAIL, JOBS, LAUNCH, CONTACTS]

_urls: dict[str, str] = {}
_lock = threading.Lock()


def queue_url(spec: QueueSpec) -> str:
    with _lock:
        url = _urls.get(spec.name)
    if url is None:
        url = aws.client("sqs").get_queue_url(QueueName=spec.name)["QueueUrl"]
        with _lock:
            _urls[spec.name] = url
    return url


def send(spec: QueueSpec, body: BaseModel | dict[str, Any], delay_seconds: int = 0) -> str:
    """Queue one job: its model (``chalicelib/jobs.py``), or a dict that must validate as
    one of the queue's jobs (a malformed job raises here, at its producer)."""
    from chalicelib import jobs

    job = jobs.validate(spec.key, body)
    response = aws.client("sqs").send_message(
        QueueUrl=queue_url(spec),
        MessageBody=job.model_dump_json(exclude_none=True),  # unset options stay unsent
        DelaySeconds=max(0, min(900, delay_seconds)),
    )
    return str(response["MessageId"])


def reset_urls() -> None:
    with _lock:
        _urls.clear()
