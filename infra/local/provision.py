"""Create every table, queue and bucket the code uses, from the code's own lists.

Used by the local stack (against moto's server) and by the tests (moto in-process).
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib import aws
from chalicelib.config import settings
from chalicelib.models import TABLE_MODELS, ttl_attribute
from chalicelib.queues import QUEUES


def create_tables() -> None:
    dynamodb = aws.client("dynamodb")
    for model in TABLE_MODELS:
        if not model.exists():
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        ttl = ttl_attribute(model)
        if ttl:
            dynamodb.update_time_to_live(
                TableName=model.Meta.table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl},
            )


def create_queues() -> dict[str, str]:
    sqs = aws.client("sqs")
    urls: dict[str, str] = {}
    for spec in QUEUES:
        dlq_url = sqs.create_queue(QueueName=spec.dlq_name)["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        attributes: dict[str, Any] = {
            "VisibilityTimeout": str(spec.visibility_timeout),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.max_receive_count}
            ),
        }
        urls[spec.key] = sqs.create_queue(QueueName=spec.name, Attributes=attributes)["QueueUrl"]
    return urls


def create_buckets() -> None:
    s3 = aws.client("s3")
    for bucket in (settings().uploads_bucket, settings().media_bucket):
        s3.create_bucket(Bucket=bucket)


def verify_sender() -> None:
    from email.utils import parseaddr

    address = parseaddr(settings().mail_from)[1]
    aws.client("ses").verify_email_identity(EmailAddress=address)


def provision_all() -> None:
    create_tables()
    create_queues()
    create_buckets()
    verify_sender()
