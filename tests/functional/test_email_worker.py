"""The email queue's worker reports partial batch failures."""

from __future__ import annotations

import json
from typing import Any


def record(message_id: str, body: Any) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
        "awsRegion": "us-east-1",
    }


def test_malformed_record_is_dropped_and_the_rest_sent(chalice_app: Any, caplog: Any) -> None:
    from chalice.test import Client
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    good = {"to": "a@example.com", "subject": "Hi", "text": "Hello", "kind": "test"}
    event = {"Records": [record("1", good), record("2", "{broken"), record("3", good)]}
    with Client(chalice_app) as client:
        result = client.lambda_.invoke("email_worker", event).payload
    # A body that is not an email job cannot become one on a retry: dropped, not failed.
    assert result == {"batchItemFailures": []}
    sent = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    assert [m.subject for m in sent] == ["Hi", "Hi"]


def test_failed_delivery_fails_alone(chalice_app: Any, monkeypatch: Any) -> None:
    from chalice.test import Client
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from chalicelib import mail

    real = mail.deliver

    def refuses_later(job: Any, ses: Any = None) -> str:
        if job.subject == "Later":
            raise RuntimeError("SES is unavailable")  # a well-formed job that failed
        return real(job, ses)

    monkeypatch.setattr(mail, "deliver", refuses_later)
    good = {"to": "a@example.com", "subject": "Hi", "text": "Hello", "kind": "test"}
    later = {**good, "subject": "Later"}
    event = {"Records": [record("1", good), record("2", later), record("3", good)]}
    with Client(chalice_app) as client:
        result = client.lambda_.invoke("email_worker", event).payload
    assert result == {"batchItemFailures": [{"itemIdentifier": "2"}]}  # retried
    sent = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    assert [m.subject for m in sent] == ["Hi", "Hi"]


def test_the_worker_calls_nothing_but_ses(chalice_app: Any, monkeypatch: Any) -> None:
    """Its IAM role allows its queue and SES only (infra/aws/stack.py, issue 12): every AWS
    call the worker makes, DynamoDB through pynamodb included, goes through here."""
    from botocore.client import BaseClient
    from chalice.test import Client

    calls: list[tuple[str, str]] = []
    real = BaseClient._make_api_call

    def watched(self: Any, operation: str, params: Any) -> Any:
        calls.append((self.meta.service_model.service_name, operation))
        return real(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", watched)
    good = {"to": "a@example.com", "subject": "Hi", "text": "Hello", "kind": "test"}
    event = {"Records": [record("1", good), record("2", "{broken")]}
    with Client(chalice_app) as client:
        result = client.lambda_.invoke("email_worker", event).payload
    assert result == {"batchItemFailures": []}
    assert calls == [("ses", "SendEmail")]
