"""Structured JSON logging (Powertools Logger) shared by every handler."""

from __future__ import annotations

import os
from contextvars import ContextVar

from aws_lambda_powertools import Logger

logger = Logger(
    service="wacast",
    level=os.environ.get("WACAST_LOG_LEVEL", os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO")),
)

# The id of the request being served, for responses and log lines.
request_id: ContextVar[str] = ContextVar("request_id", default="")
