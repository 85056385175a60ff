"""Administration: edge agents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ConfigDict, Field

from chalicelib import lazy
from chalicelib.api import Api, RequestContext
from chalicelib.basemodel import BaseModel
from chalicelib.pagination import Page, PageQuery

if TYPE_CHECKING:
    from chalicelib.agents import registry
    from chalicelib.models.agents import AgentModel
    from chalicelib.models.base import now_ms
    from chalicelib.sessions.service import agent_online
else:  # imported on first use (chalicelib.lazy): cheap cold starts
    registry = lazy.module("chalicelib.agents.registry")
    AgentModel = lazy.attr("chalicelib.models.agents", "AgentModel")
    now_ms = lazy.attr("chalicelib.models.base", "now_ms")
    agent_online = lazy.attr("chalicelib.sessions.service", "agent_online")

api = Api(__name__, "admin")


class CreateAgentBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    capacity: int = Field(10, ge=1, le=500, description="Most WhatsApp sessions it may run")


class Agent(BaseModel):
    agent_id: str
    name: str
    capacity: int
    online: bool
    last_heartbeat_at: int | None
    version: str | None
    openwa_version: str | None = Field(description="The OpenWA version the agent runs")
    created_at: int

    @classmethod
    def of(cls, agent: AgentModel) -> Agent:
        heartbeat = agent.last_heartbeat_at
        return cls(
            agent_id=agent.agent_id,
            name=agent.name,
            capacity=int(agent.capacity),
            online=agent_online(agent),
            last_heartbeat_at=int(heartbeat) if heartbeat else None,
            version=agent.version,
            openwa_version=agent.openwa_version,
            created_at=int(agent.created_at),
        )


class AgentWithToken(Agent):
    token: str = Field(description="The agent's secret; shown once")

    @classmethod
    def issued(cls, agent: AgentModel, token: str) -> AgentWithToken:
        return cls(**Agent.of(agent).model_dump(), token=token)


@api.route(
    "/api/admin/agents",
    "POST",
    body=CreateAgentBody,
    response=AgentWithToken,
    status=201,
    admin=True,
    summary="Register an edge agent and get its token once",
)
def create_agent(ctx: RequestContext, body: CreateAgentBody) -> AgentWithToken:
    return AgentWithToken.issued(*registry.create_agent(body.name, body.capacity))


@api.route(
    "/api/admin/agents",
    "GET",
    query=PageQuery,
    response=Page[Agent],
    admin=True,
    summary="Every agent with its online state",
)
def list_agents(ctx: RequestContext, query: PageQuery) -> Page[Agent]:
    agents, cursor = registry.list_agents(query.limit, query.cursor)
    return Page[Agent](items=[Agent.of(agent) for agent in agents], next_cursor=cursor)


@api.route(
    "/api/admin/agents/{agent_id}/rotate-token",
    "POST",
    response=AgentWithToken,
    admin=True,
    errors=(404,),
    summary="Issue a new token; the old one stops working",
)
def rotate_agent_token(ctx: RequestContext, agent_id: str) -> AgentWithToken:
    return AgentWithToken.issued(*registry.rotate_token(agent_id))


@api.route(
    "/api/admin/agents/{agent_id}",
    "DELETE",
    status=204,
    admin=True,
    errors=(404,),
    summary="Remove an agent: its connection is cut and its numbers go offline",
)
def delete_agent(ctx: RequestContext, agent_id: str) -> None:
    registry.delete_agent(agent_id)
