"""Health and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from chalicelib import scheduler
from chalicelib.api import Api, RequestContext
from chalicelib.basemodel import BaseModel
from chalicelib.errors import ServiceUnavailable
from chalicelib.logs import logger

api = Api(__name__, "system")


class Health(BaseModel):
    status: str
    dynamodb: str
    schedules: dict[str, int]


@api.route(
    "/api/health",
    "GET",
    response=Health,
    auth=False,
    errors=(503,),
    summary="Checks that DynamoDB answers; shows when each schedule last ran",
)
def health(ctx: RequestContext) -> Health:
    try:
        runs = scheduler.last_runs()
    except Exception as error:  # any storage failure means unhealthy, not a 500
        logger.warning("health check failed", extra={"error": repr(error)})
        raise ServiceUnavailable("DynamoDB does not answer.") from None
    return Health(status="ok", dynamodb="ok", schedules=runs)


@api.route("/api/openapi.json", "GET", response=dict[str, Any], auth=False, summary="This document")
def openapi(ctx: RequestContext) -> dict[str, Any]:
    from chalicelib.openapi import build_document

    return build_document()
