"""Typed SQS jobs: producers send validated models, workers parse them, and a body
that is not a job is logged and dropped instead of being retried (issue 17)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from tests.functional.conftest import Api, sqs_event


def _queued(spec: Any) -> list[dict[str, Any]]:
    from chalicelib import aws, queues

    messages = (
        aws.client("sqs")
        .receive_message(QueueUrl=queues.queue_url(spec), MaxNumberOfMessages=10)
        .get("Messages", [])
    )
    return messages


def test_a_malformed_job_is_refused_where_it_is_made(aws: None) -> None:
    from chalicelib import jobs, queues

    with pytest.raises(ValidationError):
        queues.send(queues.JOBS, {"kind": "agent_offline_check"})  # no agent_id
    with pytest.raises(ValidationError):
        queues.send(queues.JOBS, {"kind": "no_such_job", "agent_id": "agt_1"})
    with pytest.raises(ValidationError):  # a job of another queue
        queues.send(queues.CONTACTS, jobs.AgentOfflineCheck(agent_id="agt_1"))
    with pytest.raises(ValidationError):
        queues.send(queues.LAUNCH, {"kind": "launch", "user_id": "usr_1", "campaign_id": ""})
    assert _queued(queues.JOBS) == [] and _queued(queues.CONTACTS) == []


def test_what_is_sent_parses_back_as_the_same_job(aws: None) -> None:
    from chalicelib import jobs, queues

    sent = [
        (queues.JOBS, jobs.CancelPending(user_id="usr_1", campaign_id="cmp_1")),
        (queues.LAUNCH, jobs.ResumeAt(user_id="usr_1", campaign_id="cmp_1", at=1_800_000_000_000)),
        (queues.CONTACTS, jobs.BulkDelete(user_id="usr_1", tag="old", start={"k": {"S": "v"}})),
        (queues.EMAIL, jobs.EmailJob(to="a@example.com", subject="Hi", text="Hello")),
    ]
    for spec, job in sent:
        queues.send(spec, job)
        (message,) = _queued(spec)
        assert jobs.parse(spec.key, message["Body"]) == job
    # A dict a producer still builds is validated and sent as its model.
    queues.send(queues.LAUNCH, {"kind": "launch", "user_id": "usr_1", "campaign_id": "cmp_1"})
    (message,) = _queued(queues.LAUNCH)
    assert json.loads(message["Body"]) == {
        "kind": "launch",
        "user_id": "usr_1",
        "campaign_id": "cmp_1",
        "chunk": 0,
    }


MALFORMED = [
    "{broken",
    json.dumps(["not", "an", "object"]),
    json.dumps({"kind": "no_such_job", "user_id": "usr_1"}),
    json.dumps({"kind": "import", "user_id": "usr_1"}),  # no import_id, no offset
]


@pytest.mark.parametrize(
    ("worker", "good"),
    [
        ("jobs_worker", {"kind": "agent_offline_check", "agent_id": "agt_gone"}),
        (
            "launch_worker",
            {"kind": "resume", "user_id": "usr_1", "campaign_id": "cmp_gone", "at": 1},
        ),
        ("contacts_worker", {"kind": "bulk_delete", "user_id": "usr_1", "tag": "none"}),
    ],
)
def test_malformed_bodies_are_logged_and_dropped(
    chalice_app: Any, monkeypatch: pytest.MonkeyPatch, worker: str, good: dict[str, Any]
) -> None:
    from chalice.test import Client

    from chalicelib.logs import logger

    errors: list[tuple[str, dict[str, Any]]] = []
    real_error = logger.error
    monkeypatch.setattr(
        logger, "error", lambda msg, *a, **kw: errors.append((msg, kw.get("extra", {})))
    )
    bodies = [*MALFORMED, json.dumps(good)]
    event = sqs_event([{"MessageId": f"m{i}", "Body": b} for i, b in enumerate(bodies)])
    with Client(chalice_app) as client:
        result = client.lambda_.invoke(worker, event).payload
    monkeypatch.setattr(logger, "error", real_error)
    # Nothing comes back to be retried: a retry cannot make a malformed body valid.
    assert result == {"batchItemFailures": []}
    dropped = [extra["message_id"] for msg, extra in errors if msg == "malformed job dropped"]
    assert dropped == [f"m{i}" for i in range(len(MALFORMED))]


def test_a_failing_well_formed_job_is_retried_alone(
    api: Api, chalice_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalice.test import Client

    from chalicelib.contacts import service

    def broken(user_id: str, tag: str, start: Any) -> Any:
        raise RuntimeError("DynamoDB is unavailable")

    monkeypatch.setattr(service, "delete_tag_page", broken)
    bodies = ["{broken", json.dumps({"kind": "bulk_delete", "user_id": "usr_1", "tag": "old"})]
    event = sqs_event([{"MessageId": f"m{i}", "Body": b} for i, b in enumerate(bodies)])
    with Client(chalice_app) as client:
        result = client.lambda_.invoke("contacts_worker", event).payload
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
