"""The email job's body: its own module so jobs, mail and queues need not import each other."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class EmailJob(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(
        min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$"
    )  # validated at sign-up
    subject: str = Field(max_length=200)
    text: str = Field(max_length=20_000)
    kind: str = Field("generic", max_length=64)
