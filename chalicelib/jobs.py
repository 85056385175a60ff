"""The body of every SQS job, one pydantic model per kind, by queue.

Producers send models (``queues.send`` also validates a plain dict against its queue's
jobs, so a malformed job fails where it is made); consumers parse with ``parse`` in
``batch.run_batch``, where a body that does not parse is logged and dropped: a retry
cannot make it valid, it would only cycle to the dead-letter queue.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from chalicelib.email_job import EmailJob

Id = Annotated[str, Field(min_length=1, max_length=200)]


class Job(BaseModel):
    # Ignore unknown keys: a newer producer may add one while older consumers drain.
    # defer_build: the app imports this module; schemas are built on first use.
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


# --- jobs (small background jobs) -----------------------------------------------------


class AgentOfflineCheck(Job):
    kind: Literal["agent_offline_check"] = "agent_offline_check"
    agent_id: Id


class CancelPending(Job):
    kind: Literal["cancel_pending"] = "cancel_pending"
    user_id: Id
    campaign_id: Id


SmallJob = Annotated[AgentOfflineCheck | CancelPending, Field(discriminator="kind")]


# --- launch (campaign launches and their materialisation) ------------------------------


class LaunchChunk(Job):
    kind: Literal["launch"] = "launch"
    user_id: Id
    campaign_id: Id
    chunk: int = Field(0, ge=0)
    size: int | None = Field(None, ge=1, le=10_000, description="Contacts in this chunk")


class ResumeAt(Job):
    kind: Literal["resume"] = "resume"
    user_id: Id
    campaign_id: Id
    at: int = Field(description="Epoch ms")


class PreparePage(Job):
    kind: Literal["prepare"] = "prepare"
    user_id: Id
    campaign_id: Id
    token: str = Field(max_length=200)
    page: int = Field(ge=0)
    size: int | None = Field(None, ge=1, le=10_000, description="Contacts on this page")


LaunchJob = Annotated[LaunchChunk | ResumeAt | PreparePage, Field(discriminator="kind")]


# --- contacts (import chunks and bulk deletes) ----------------------------------------


class ImportChunk(Job):
    kind: Literal["import"] = "import"
    user_id: Id
    import_id: Id
    offset: int = Field(ge=-1, description="-1: prepare the upload; else a byte offset")


class BulkDelete(Job):
    kind: Literal["bulk_delete"] = "bulk_delete"
    user_id: Id
    tag: str = Field(min_length=1, max_length=200)
    start: dict[str, Any] | None = Field(None, description="DynamoDB LastEvaluatedKey")


ContactsJob = Annotated[ImportChunk | BulkDelete, Field(discriminator="kind")]


# The jobs each queue carries, by queue key (``queues.QueueSpec.key``).
JOB_TYPES: dict[str, Any] = {
    "email": EmailJob,
    "jobs": SmallJob,
    "launch": LaunchJob,
    "contacts": ContactsJob,
}


@cache
def _adapter(queue_key: str) -> TypeAdapter[Any]:
    return TypeAdapter(JOB_TYPES[queue_key])  # built on first use: cold starts stay short


def validate(queue_key: str, body: BaseModel | dict[str, Any]) -> BaseModel:
    """The job as its model; raises ``pydantic.ValidationError`` if it is not one of the
    queue's kinds (a bug in the producer, so it must not be swallowed)."""
    adapter = _adapter(queue_key)
    data = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    job: BaseModel = adapter.validate_python(data)
    return job


def parse(queue_key: str, raw: str) -> BaseModel:
    """A received body as its model; raises ``pydantic.ValidationError`` if malformed."""
    job: BaseModel = _adapter(queue_key).validate_json(raw)
    return job
