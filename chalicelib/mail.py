"""Outgoing email: queued on SQS, sent through SES by the email worker."""

from __future__ import annotations

from typing import Any

from chalicelib import aws, queues
from chalicelib.config import settings
from chalicelib.email_job import EmailJob
from chalicelib.logs import logger


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
