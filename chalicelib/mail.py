"""Outgoing email: queued on SQS, sent through SES by the email worker."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib import aws, queues
from chalicelib.config import settings
from chalicelib.logs import logger


class EmailJob(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(
        min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$"
    )  # validated at sign-up
    subject: str = Field(max_length=200)
    text: str = Field(max_length=20_000)
    kind: str = Field("generic", max_length=64)


def enqueue(to: str, subject: str, text: str, kind: str = "generic") -> None:
    job = EmailJob(to=to, subject=subject, text=text, kind=kind)
    queues.send(queues.EMAIL, job)


def deliver(job: EmailJob, ses: Any = None) -> str:
    """Send one email through SES; returns the SES message id."""
    ses = ses or aws.client("ses")
    response = ses.send_email(
        Source=settings().mail_from,
        Destination={"ToAddresses": [str(job.to)]},
        Message={
            "Subject": {"Data": job.subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": job.text, "Charset": "UTF-8"}},
        },
    )
    logger.info("email sent", extra={"kind": job.kind, "message_id": response["MessageId"]})
    return str(response["MessageId"])
