"""What API Gateway answers on its own (authorizer denials, unknown routes).

infra/aws turns this table into GatewayResponses; the local stack and the test
client apply the same table to chalice.local's errors, so both speak our shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import error_body


@dataclass(frozen=True)
class GatewayResponse:
    response_type: str  # API Gateway's GatewayResponseType
    status: int
    code: str
    message: str

    def body(self) -> str:
        return json.dumps(error_body(self.code, self.message))


MISSING_CREDENTIALS = GatewayResponse(
    "UNAUTHORIZED", 401, "unauthorized", "Sign in first: no bearer token was sent."
)
BAD_TOKEN = GatewayResponse(
    "ACCESS_DENIED", 401, "unauthorized", "The bearer token is invalid, expired or revoked."
)
UNKNOWN_ROUTE = GatewayResponse(
    "MISSING_AUTHENTICATION_TOKEN", 404, "not_found", "There is no such endpoint."
)
SERVER_ERROR = GatewayResponse(
    "DEFAULT_5XX", 500, "internal_error", "Something went wrong on our side; it has been logged."
)

GATEWAY_RESPONSES = [MISSING_CREDENTIALS, BAD_TOKEN, UNKNOWN_ROUTE, SERVER_ERROR]


def for_local_error(status: int, headers: dict[str, Any], body: bytes) -> GatewayResponse:
    """Which gateway response chalice.local's error stands for."""
    kind = str(headers.get("x-amzn-ErrorType", ""))
    text = body.decode("utf-8", "replace")
    if "Missing Authentication Token" in text or "Authorization header requires" in text:
        return UNKNOWN_ROUTE
    if kind == "AccessDeniedException" or status == 403:
        return BAD_TOKEN
    if status == 401:
        return MISSING_CREDENTIALS
    return SERVER_ERROR
