"""Linked WhatsApp numbers ("sessions")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ConfigDict, Field, field_validator

from chalicelib import lazy
from chalicelib.api import Api, RequestContext
from chalicelib.basemodel import BaseModel
from chalicelib.pagination import Page, PageQuery

if TYPE_CHECKING:
    from chalicelib.models.sessions import WaSessionModel
    from chalicelib.sessions import licensing, reasons, service
else:  # imported on first use (chalicelib.lazy): cheap cold starts
    WaSessionModel = lazy.attr("chalicelib.models.sessions", "WaSessionModel")
    licensing = lazy.module("chalicelib.sessions.licensing")
    reasons = lazy.module("chalicelib.sessions.reasons")
    service = lazy.module("chalicelib.sessions.service")

api = Api(__name__, "sessions")


class CreateSessionBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    label: str = Field(min_length=1, max_length=80, description="e.g. 'Shop front desk'")


class LicenseBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    license_key: str = Field(
        min_length=1,
        max_length=200,
        description="The number's OpenWA licence key (write-only: never shown again)",
    )

    @field_validator("license_key")
    @classmethod
    def _printable(cls, value: str) -> str:
        if any(not ch.isprintable() or ch.isspace() for ch in value):
            raise ValueError("A licence key has no spaces or line breaks; paste it again.")
        return value


class License(BaseModel):
    set: bool
    masked: str | None = Field(description="The key's last four characters, e.g. ••••AB12")
    updated_at: int | None


class StateChange(BaseModel):
    state: str
    at: int
    reason: str | None = None


class Session(BaseModel):
    session_id: str
    label: str
    status: str
    phone: str | None
    agent_id: str
    last_error: str | None
    created_at: int
    updated_at: int
    connected_at: int | None
    purge_after: int | None
    history: list[StateChange]
    license: License
    status_reason: str | None = Field(
        description="Why it is failed (a start-failure code) or restricted"
    )
    status_reason_text: str | None = Field(description="The same, in one plain sentence")
    restricted_until: int | None = Field(description="When a restriction lifts, if known")

    @classmethod
    def of(cls, session: WaSessionModel) -> Session:
        return cls(
            session_id=session.session_id,
            label=session.label,
            status=session.status,
            phone=session.phone,
            agent_id=session.agent_id,
            last_error=session.last_error,
            created_at=int(session.created_at),
            updated_at=int(session.updated_at),
            connected_at=int(session.connected_at) if session.connected_at else None,
            purge_after=int(session.purge_after) if session.purge_after else None,
            history=[
                StateChange(state=h.state, at=int(h.at), reason=h.reason)
                for h in (session.history or [])[-service.HISTORY_KEPT :]
            ],
            license=License(
                set=bool(session.license_sealed),
                masked=licensing.masked(session),
                updated_at=int(session.license_updated_at) if session.license_updated_at else None,
            ),
            status_reason=session.status_reason,
            status_reason_text=reasons.status_text(
                session.status,
                session.status_reason,
                int(session.restricted_until) if session.restricted_until else None,
            ),
            restricted_until=int(session.restricted_until) if session.restricted_until else None,
        )


class Qr(BaseModel):
    data_url: str = Field(description="data:image/png;base64,… of the QR to scan")
    expires_at: int


@api.route(
    "/api/sessions",
    "POST",
    body=CreateSessionBody,
    response=Session,
    status=201,
    errors=(409,),
    summary="Add a number: starts a session and soon shows a QR",
)
def create_session(ctx: RequestContext, body: CreateSessionBody) -> Session:
    assert ctx.user_id
    return Session.of(service.create(ctx.user_id, body.label))


@api.route("/api/sessions", "GET", query=PageQuery, response=Page[Session], summary="Your numbers")
def list_sessions(ctx: RequestContext, query: PageQuery) -> Page[Session]:
    assert ctx.user_id
    items, cursor = service.list_for(ctx.user_id, query.limit, query.cursor)
    return Page[Session](items=[Session.of(s) for s in items], next_cursor=cursor)


@api.route(
    "/api/sessions/{session_id}",
    "GET",
    response=Session,
    errors=(404,),
    summary="One number with its state history",
)
def get_session(ctx: RequestContext, session_id: str) -> Session:
    assert ctx.user_id
    return Session.of(service.get(ctx.user_id, session_id))


@api.route(
    "/api/sessions/{session_id}/qr",
    "GET",
    response=Qr,
    errors=(404, 409),
    summary="The QR to scan, while the number waits for one",
)
def session_qr(ctx: RequestContext, session_id: str) -> Qr:
    assert ctx.user_id
    data_url, expires_at = service.qr_of(ctx.user_id, session_id)
    return Qr(data_url=data_url, expires_at=expires_at)


@api.route(
    "/api/sessions/{session_id}/restart",
    "POST",
    response=Session,
    errors=(404, 409),
    summary="Restart the number's WhatsApp Web",
)
def restart_session(ctx: RequestContext, session_id: str) -> Session:
    assert ctx.user_id
    return Session.of(service.restart(ctx.user_id, session_id))


@api.route(
    "/api/sessions/{session_id}",
    "DELETE",
    status=204,
    errors=(404,),
    summary="Stop the number now; its data is removed after 7 days",
)
def delete_session(ctx: RequestContext, session_id: str) -> None:
    assert ctx.user_id
    service.stop(ctx.user_id, session_id)


@api.route(
    "/api/sessions/{session_id}/license",
    "PUT",
    body=LicenseBody,
    response=Session,
    errors=(404, 409),
    summary="Set or replace the number's OpenWA licence key; the number restarts to use it",
)
def set_license(ctx: RequestContext, session_id: str, body: LicenseBody) -> Session:
    assert ctx.user_id
    return Session.of(licensing.set_key(ctx.user_id, session_id, body.license_key))


@api.route(
    "/api/sessions/{session_id}/license",
    "DELETE",
    response=Session,
    errors=(404, 409),
    summary="Remove the number's licence key; the number restarts without it",
)
def remove_license(ctx: RequestContext, session_id: str) -> Session:
    assert ctx.user_id
    return Session.of(licensing.remove_key(ctx.user_id, session_id))
