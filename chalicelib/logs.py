"""Structured JSON logging (Powertools Logger) shared by every handler."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger

logger = Logger(
    service="wacast",
    level=os.environ.get("WACAST_LOG_LEVEL", os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO")),
)
