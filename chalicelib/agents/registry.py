"""Creating agents, their secret tokens, and knowing which connection is whose."""

from __future__ import annotations

import contextlib

from pynamodb.exceptions import DeleteError, UpdateError

from chalicelib.auth.secrets_ import hash_secret, new_id, new_secret
from chalicelib.errors import NotFound
from chalicelib.models.agents import AgentModel, ConnectionModel
from chalicelib.models.base import expiry, now_ms, now_s
from chalicelib.pagination import decode_cursor, encode_cursor

AGENT_TOKEN_PREFIX = "wca"
CONNECTION_TTL_S = 3 * 3600  # API Gateway closes WebSocket connections after 2 hours


def create_agent(name: str, capacity: int) -> tuple[AgentModel, str]:
    """A new agent and its secret token (returned once, stored hashed)."""
    secret = new_secret(AGENT_TOKEN_PREFIX)
    agent = AgentModel(
        new_id("agt"),
        name=name,
        token_hash=hash_secret(secret),
        capacity=capacity,
        created_at=now_ms(),
    )
    agent.save(condition=AgentModel.agent_id.does_not_exist())
    return agent, secret


def list_agents(limit: int, cursor: str | None) -> tuple[list[AgentModel], str | None]:
    """One page of every agent (admin)."""
    result = AgentModel.scan(limit=limit, last_evaluated_key=decode_cursor(cursor, {"agent_id"}))
    items = list(result)
    return items, encode_cursor(result.last_evaluated_key)


def get_agent(agent_id: str) -> AgentModel:
    try:
        return AgentModel.get(agent_id, consistent_read=True)
    except AgentModel.DoesNotExist:
        raise NotFound("No such agent.") from None


def rotate_token(agent_id: str) -> tuple[AgentModel, str]:
    """A new token; the old one stops working and its live connection is cut now."""
    agent = get_agent(agent_id)
    secret = new_secret(AGENT_TOKEN_PREFIX)
    agent.update(actions=[AgentModel.token_hash.set(hash_secret(secret))])
    cut_connection(agent)
    return agent, secret


def cut_connection(agent: AgentModel) -> str | None:
    """Detach and close the agent's live connection at once: nothing more is pushed to
    it, and frames still arriving on it speak for no agent. Returns the connection."""
    from chalicelib import push

    connection_id = agent.connection_id
    if not connection_id:
        return None
    with contextlib.suppress(UpdateError):  # it changed meanwhile: still cut this one
        agent.update(
            actions=[AgentModel.connection_id.remove()],
            condition=AgentModel.connection_id == connection_id,
        )
    with contextlib.suppress(DeleteError):
        ConnectionModel(connection_id).delete()
    push.close(connection_id)
    return connection_id


def delete_agent(agent_id: str) -> None:
    """Remove an agent: its connection is cut, its numbers go offline (their campaigns
    pause), and its token stops working with the item."""
    from chalicelib.sessions import service as sessions

    agent = get_agent(agent_id)
    cut_connection(agent)
    sessions.mark_agent_offline(agent)
    with contextlib.suppress(DeleteError):
        agent.delete()


def record_openwa_version(agent: AgentModel, version: str | None) -> None:
    """Remember the OpenWA version the agent reports (hello/heartbeat), shown in admin."""
    if version and version != agent.openwa_version:
        agent.update(actions=[AgentModel.openwa_version.set(version)])


def authenticate(token: str) -> AgentModel | None:
    token = token.strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    if not token.startswith(f"{AGENT_TOKEN_PREFIX}_") or len(token) > 200:
        return None
    for agent in AgentModel.by_token.query(hash_secret(token), limit=1):
        return agent
    return None


def attach_connection(agent: AgentModel, connection_id: str) -> str | None:
    """Make ``connection_id`` the agent's live connection; returns the one it replaces."""
    previous = agent.connection_id
    now = now_ms()
    ConnectionModel(
        connection_id,
        agent_id=agent.agent_id,
        connected_at=now,
        expires_at=expiry(now_s() + CONNECTION_TTL_S),
    ).save()
    agent.update(
        actions=[
            AgentModel.connection_id.set(connection_id),
            AgentModel.connected_at.set(now),
            AgentModel.last_heartbeat_at.set(now),
        ]
    )
    return previous if previous != connection_id else None


def agent_for_connection(connection_id: str) -> AgentModel | None:
    try:
        connection = ConnectionModel.get(connection_id)
    except ConnectionModel.DoesNotExist:
        return None
    try:
        agent = AgentModel.get(connection.agent_id, consistent_read=True)
    except AgentModel.DoesNotExist:
        return None
    # A replaced connection no longer speaks for the agent.
    return agent if agent.connection_id == connection_id else None


def detach_connection(connection_id: str) -> AgentModel | None:
    """Forget a closed connection; returns the agent if it was its live one."""
    agent = agent_for_connection(connection_id)
    with contextlib.suppress(DeleteError):  # already gone
        ConnectionModel(connection_id).delete()
    if agent is None:
        return None
    try:
        agent.update(
            actions=[AgentModel.connection_id.remove()],
            condition=AgentModel.connection_id == connection_id,
        )
    except UpdateError:
        return None  # a newer connection took over meanwhile
    return agent
