"""The HTTP API layer: declarative routes with pydantic models.

``Api.route`` registers a Chalice route and records its request/response models,
so the handler body only sees validated input and the OpenAPI document is built
from the same records (it cannot drift). Every failure leaves as
``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalice import AuthResponse, Blueprint, Response
from pydantic import BaseModel, ValidationError

from chalicelib import lazy
from chalicelib.config import settings
from chalicelib.errors import (
    BadRequest,
    DomainError,
    Forbidden,
    PayloadTooLarge,
    RateLimited,
    ValidationFailed,
    error_body,
)
from chalicelib.logs import logger
from chalicelib.logs import request_id as current_request_id

if TYPE_CHECKING:
    from chalicelib import ratelimit
else:  # pynamodb: paid by the first request, not by every cold start
    ratelimit = lazy.module("chalicelib.ratelimit")

JSON_HEADERS: dict[str, str | list[str]] = {"Content-Type": "application/json"}

auth_blueprint = Blueprint(__name__)


@auth_blueprint.authorizer(ttl_seconds=0)
def token_authorizer(auth_request: Any) -> AuthResponse:
    """Bearer-token authorizer. No caching (ttl 0) so a revoked token stops at once."""
    from chalicelib.auth import service

    principal = service.authenticate(auth_request.token or "")
    if principal is None:
        return AuthResponse(routes=[], principal_id="anonymous")
    return AuthResponse(
        routes=["*"],
        principal_id=principal.user_id,
        context={
            "role": principal.role,
            "token_hash": principal.token_hash,
            "refresh": principal.refresh,
        },
    )


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    user_id: str | None
    role: str | None
    token_hash: str | None
    source_ip: str
    headers: dict[str, str]
    raw_body: bytes


@dataclass
class RouteSpec:
    path: str
    method: str
    summary: str
    tags: tuple[str, ...]
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: Any
    status: int
    auth: bool
    admin: bool
    rate: str | None
    errors: tuple[int, ...] = field(default_factory=tuple)
    content_type: str = "application/json"

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)


ROUTES: list[RouteSpec] = []


def error_response(error: DomainError, request_id: str | None = None) -> Response:
    headers: dict[str, str | list[str]] = dict(JSON_HEADERS)
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    if request_id:
        headers["X-Request-Id"] = request_id
    return Response(body=json.dumps(error.body()), status_code=error.status, headers=headers)


def _as_bytes(raw: str | bytes | None) -> bytes:
    if raw is None:
        return b""
    return raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw


def validation_details(error: ValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(item["loc"]), "msg": item["msg"], "type": item["type"]}
        for item in error.errors(include_url=False, include_input=False, include_context=False)
    ]


# C0 and C1 control characters except tab and newline: a NUL or an escape in a name,
# template or tag breaks rendering, exports and headers further down.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _control_characters(value: Any, loc: list[str | int]) -> list[dict[str, Any]]:
    if isinstance(value, str):
        if value.isprintable() or not CONTROL_CHARACTERS.search(value):
            return []
        return [{"loc": loc, "msg": "contains an invisible control character", "type": "control"}]
    found: list[dict[str, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _control_characters(key, [*loc, str(key)])
            found += _control_characters(item, [*loc, str(key)])
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            found += _control_characters(item, [*loc, index])
    return found


# Cheap pre-filter on a raw JSON body: escapes or bytes that may encode a control character.
_MAYBE_CONTROL = re.compile(rb"\\u00[0-9a-fA-F]{2}|\\[bfr]|\x7f|\xc2[\x80-\x9f]")


def _input_control_characters(raw: bytes | dict[str, Any]) -> list[dict[str, Any]]:
    """Checked on the input, before validators that clean text could hide it."""
    if isinstance(raw, dict):
        return _control_characters(raw, [])
    if not _MAYBE_CONTROL.search(raw):
        return []
    try:
        return _control_characters(json.loads(raw), [])
    except ValueError:
        return []  # not JSON: validation says so


def _validate(model: type[BaseModel], raw: bytes | dict[str, Any], where: str) -> BaseModel:
    try:
        if isinstance(raw, bytes):
            result = model.model_validate_json(raw)
        else:
            result = model.model_validate(raw)
    except ValidationError as error:
        details = validation_details(error)
        if any(item["type"] == "json_invalid" for item in details):
            raise BadRequest(
                "The request body is not valid JSON.", details, code="invalid_json"
            ) from None
        raise ValidationFailed(f"The {where} is not valid.", details) from None
    control = _input_control_characters(raw)
    if control:
        raise ValidationFailed(
            "Some text contains invisible control characters (such as a NUL byte), "
            "often pasted by accident. Remove them and try again.",
            control,
        )
    return result


class Api:
    """Routes of one area of the API, registered as a Chalice blueprint."""

    def __init__(self, import_name: str, tag: str) -> None:
        self.blueprint = Blueprint(import_name)
        self.tag = tag

    def route(
        self,
        path: str,
        method: str = "GET",
        *,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: Any = None,
        status: int = 200,
        auth: bool = True,
        admin: bool = False,
        rate: str | None = "auto",
        summary: str = "",
        errors: tuple[int, ...] = (),
        content_type: str = "application/json",
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        if rate == "auto":
            # Signed-in calls count per user; anonymous ones per source address.
            rate = ("read" if method == "GET" else "write") if auth else "public"
        spec = RouteSpec(
            path=path,
            method=method,
            summary=summary,
            tags=(self.tag,),
            body=body,
            query=query,
            response=response,
            status=status,
            auth=auth,
            admin=admin,
            rate=rate,
            errors=errors,
            content_type=content_type,
        )
        ROUTES.append(spec)

        def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
            def view(**path_params: str) -> Response:
                return self._dispatch(spec, handler, path_params)

            view.__name__ = handler.__name__
            view.__doc__ = handler.__doc__
            self.blueprint.route(
                path,
                methods=[method],
                authorizer=token_authorizer if auth else None,
                content_types=["*/*"],
            )(view)
            return handler

        return decorate

    def _context(self) -> RequestContext:
        request = self.blueprint.current_request
        context = request.context or {}
        authorizer = context.get("authorizer") or {}
        identity = context.get("identity") or {}
        return RequestContext(
            request_id=current_request_id.get(),
            user_id=authorizer.get("principalId"),
            role=authorizer.get("role"),
            token_hash=authorizer.get("token_hash"),
            source_ip=str(identity.get("sourceIp") or "unknown"),
            headers={k.lower(): v for k, v in (request.headers or {}).items()},
            raw_body=_as_bytes(request.raw_body),
        )

    def _dispatch(
        self, spec: RouteSpec, handler: Callable[..., Any], path_params: dict[str, str]
    ) -> Response:
        ctx = self._context()
        authorizer = (self.blueprint.current_request.context or {}).get("authorizer") or {}
        if ctx.token_hash and authorizer.get("refresh"):
            from chalicelib.auth import service

            # The authorizer only reads; recording use and sliding renewal happen here.
            service.touch(ctx.token_hash, str(authorizer["refresh"]))
        try:
            if spec.admin and ctx.role != "admin":
                raise Forbidden("This needs an administrator.")
            if spec.rate == "public":
                self._limit_source(ctx.source_ip)
            elif spec.rate and ctx.user_id:
                self._limit(spec.rate, ctx.user_id)
            kwargs: dict[str, Any] = dict(path_params)
            if spec.body is not None:
                if len(ctx.raw_body) > settings().max_body_bytes:
                    raise PayloadTooLarge(
                        "The request body is too large.",
                        {"max_bytes": settings().max_body_bytes},
                    )
                kwargs["body"] = _validate(spec.body, ctx.raw_body or b"{}", "request body")
            if spec.query is not None:
                params = dict(self.blueprint.current_request.query_params or {})
                kwargs["query"] = _validate(spec.query, params, "query string")
            result = handler(ctx, **kwargs)
        except DomainError as error:
            if error.status >= 500:
                logger.error("domain error", extra={"code": error.code})
            return error_response(error, ctx.request_id)
        return self._render(spec, result, ctx.request_id)

    @staticmethod
    def _limit(kind: str, user_id: str) -> None:
        s = settings()
        per_minute = s.write_rate_per_minute if kind == "write" else s.read_rate_per_minute
        burst = max(5, math.ceil(per_minute * s.rate_burst_s / 60))
        ratelimit.consume(f"{kind}:{user_id}", ratelimit.Rate(per_minute, 60, burst))

    @staticmethod
    def _limit_source(source_ip: str) -> None:
        per_minute = settings().public_rate_per_minute
        burst = max(5, per_minute // 3)
        ratelimit.consume(f"public:{source_ip}", ratelimit.Rate(per_minute, 60, burst))

    @staticmethod
    def _render(spec: RouteSpec, result: Any, request_id: str) -> Response:
        if isinstance(result, Response):
            result.headers = {**(result.headers or {}), "X-Request-Id": request_id}
            return result
        headers: dict[str, str | list[str]] = {**JSON_HEADERS, "X-Request-Id": request_id}
        if result is None:
            status = 204 if spec.status == 200 else spec.status
            return Response(body="", status_code=status, headers={"X-Request-Id": request_id})
        payload = result.model_dump_json() if isinstance(result, BaseModel) else json.dumps(result)
        return Response(body=payload, status_code=spec.status, headers=headers)


def attachment(filename: str) -> str:
    """A Content-Disposition for a download named ``filename`` (RFC 6266): an ASCII
    ``filename=`` fallback for old clients and ``filename*=UTF-8''…`` with the real
    name. Control characters (CR/LF included) never reach the header."""
    import unicodedata
    from urllib.parse import quote

    name = CONTROL_CHARACTERS.sub("", filename).replace("\n", " ").replace("\t", " ").strip()
    name = name or "download"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._() -]", "_", ascii_name).strip() or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def chalice_error_to_shape(status: int, body: Any) -> str:
    """Rewrite Chalice's own error bodies ({"Code","Message"}) into ours."""
    codes = {
        400: "bad_request",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "payload_too_large",
        415: "unsupported_media_type",
        500: "internal_error",
    }
    message = "The request failed."
    if isinstance(body, dict):
        message = str(body.get("Message") or body.get("message") or message)
    if status >= 500:
        message = "Something went wrong on our side; it has been logged."
    return json.dumps(error_body(codes.get(status, "error"), message))
