"""Functional tests: the Chalice app through chalice.test.Client on moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws


@pytest.fixture
def aws() -> Iterator[None]:
    from chalicelib import aws as aws_clients
    from chalicelib import queues
    from chalicelib.config import reset_settings_cache

    with mock_aws():
        aws_clients.reset_clients()
        queues.reset_urls()
        reset_settings_cache()
        from infra.local.provision import provision_all

        provision_all()
        yield
        aws_clients.reset_clients()
        queues.reset_urls()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def error_code(self) -> str | None:
        data = self.json
        return data["error"]["code"] if isinstance(data, dict) and "error" in data else None


class Api:
    """chalice.test.Client plus API Gateway's gateway responses, as deployed."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.token: str | None = None

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = "default",
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        from chalicelib.gateway_responses import for_local_error

        sent = {"Content-Type": "application/json", **(headers or {})}
        use = self.token if token == "default" else token
        if use:
            sent["Authorization"] = f"Bearer {use}"
        payload = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        response = self.client.http.request(method, path, headers=sent, body=payload)
        headers_out = {k: v for k, v in response.headers.items()}
        if "x-amzn-ErrorType" in headers_out:
            mapped = for_local_error(response.status_code, headers_out, response.body)
            return Reply(mapped.status, headers_out, mapped.body().encode())
        return Reply(response.status_code, headers_out, response.body)

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("PATCH", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.request("DELETE", path, **kw)


@pytest.fixture
def chalice_app(aws: None) -> Any:
    from app import app

    return app


@pytest.fixture
def api(chalice_app: Any) -> Iterator[Api]:
    from chalice.test import Client

    with Client(chalice_app) as client:
        yield Api(client)


_counter = iter(range(1_000_000))


def register_and_login(api: Api, email: str | None = None, name: str = "Ana") -> dict[str, Any]:
    email = email or f"user{next(_counter)}@example.com"
    password = "correct horse battery"
    reply = api.post(
        "/api/auth/register", {"email": email, "password": password, "name": name}, token=None
    )
    assert reply.status == 201, reply.json
    login = api.post("/api/auth/login", {"email": email, "password": password}, token=None)
    assert login.status == 200, login.json
    return {"email": email, "password": password, **login.json}


@pytest.fixture
def user(api: Api) -> dict[str, Any]:
    account = register_and_login(api)
    api.token = account["token"]
    return account


def sqs_event(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Lambda's SQS event for messages as ``receive_message`` returns them (or bodies)."""
    records = []
    for number, message in enumerate(messages):
        body = message["Body"] if "Body" in message else json.dumps(message)
        records.append(
            {
                "messageId": message.get("MessageId", f"m{number}"),
                "receiptHandle": message.get("ReceiptHandle", f"r{number}"),
                "body": body,
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                "awsRegion": "us-east-1",
            }
        )
    return {"Records": records}


def drain(spec: Any, handle: Any, rounds: int = 10_000, batch: int = 10) -> int:
    """Feed a queue's messages to ``handle(event) -> {"batchItemFailures"}`` the way
    Lambda's poller does, until the queue is empty; returns the messages handled.
    A failed message is made visible again at once, as if its timeout had passed."""
    from chalicelib import aws, queues

    sqs = aws.client("sqs")
    url = queues.queue_url(spec)
    handled = 0
    for _ in range(rounds):
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=batch, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return handled
        result = handle(sqs_event(messages)) or {}
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        for m in messages:
            if m["MessageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                handled += 1
    raise AssertionError(f"the {spec.key} queue never drained")


@pytest.fixture
def fake(chalice_app: Any) -> Iterator[Any]:
    """Captures what the app pushes to agents through app.websocket_api."""
    from tests.functional.agentlink import FakeManagement

    fake = FakeManagement()
    chalice_app.websocket_api.session = fake
    chalice_app.websocket_api._client = None
    yield fake
    chalice_app.websocket_api._client = None
