"""Linked WhatsApp numbers ("sessions")."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api import Api, RequestContext
from chalicelib.models.sessions import WaSessionModel
from chalicelib.pagination import Page, PageQuery
from chalicelib.sessions import service

api = Api(__name__, "sessions")


class CreateSessionBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    label: str = Field(min_length=1, max_length=80, description="e.g. 'Shop front desk'")


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
