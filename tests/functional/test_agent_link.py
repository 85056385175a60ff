"""The agents' WebSocket handlers through chalice.test's lambda client."""

from __future__ import annotations

from typing import Any

import pytest
from chalice.test import Client

from tests.functional.agentlink import FakeManagement, ws_event


@pytest.fixture
def link(chalice_app: Any) -> tuple[Client, FakeManagement]:
    fake = FakeManagement()
    chalice_app.websocket_api.session = fake
    chalice_app.websocket_api._client = None
    return Client(chalice_app), fake


def test_connect_needs_a_valid_agent_token(link: tuple[Client, FakeManagement]) -> None:
    from chalicelib.agents import registry

    client, _ = link
    agent, token = registry.create_agent("mini-1", 10)
    refused = client.lambda_.invoke(
        "ws_connect", ws_event("$connect", "c1", headers={"Authorization": "Bearer wca_forged"})
    ).payload
    assert refused["statusCode"] == 403
    accepted = client.lambda_.invoke(
        "ws_connect", ws_event("$connect", "c2", headers={"Authorization": f"Bearer {token}"})
    ).payload
    assert accepted["statusCode"] == 200
    by_query = client.lambda_.invoke(
        "ws_connect", ws_event("$connect", "c3", query={"token": token})
    ).payload
    assert by_query["statusCode"] == 200
    assert registry.get_agent(agent.agent_id).connection_id == "c3"


def test_new_connection_replaces_the_old_one(link: tuple[Client, FakeManagement]) -> None:
    from chalicelib.agents import registry

    client, fake = link
    _, token = registry.create_agent("mini-2", 10)
    for cid in ("old", "new"):
        client.lambda_.invoke(
            "ws_connect", ws_event("$connect", cid, headers={"authorization": f"Bearer {token}"})
        )
    assert fake.closed == ["old"]
    client.lambda_.invoke("ws_message", ws_event("$default", "old", body='{"type":"heartbeat"}'))
    assert fake.sent[-1][0] == "old" and fake.sent[-1][1]["code"] == "not_connected"


@pytest.mark.parametrize(
    "body,code",
    [
        ("{not json", "invalid_json"),
        ("[1,2]", "invalid_frame"),
        ('{"type":"explode"}', "unknown_type"),
        ("x" * 1_100_000, "frame_too_large"),
        ('{"type":"heartbeat"}', "invalid_frame"),
    ],
)
def test_malformed_frames_get_an_error_and_change_nothing(
    link: tuple[Client, FakeManagement], body: str, code: str
) -> None:
    from chalicelib.agents import registry

    client, fake = link
    agent, token = registry.create_agent("mini-3", 10)
    client.lambda_.invoke(
        "ws_connect", ws_event("$connect", "c9", headers={"Authorization": f"Bearer {token}"})
    )
    before = registry.get_agent(agent.agent_id).attribute_values
    client.lambda_.invoke("ws_message", ws_event("$default", "c9", body=body))
    connection, frame = fake.sent[-1]
    assert connection == "c9" and frame["type"] == "error" and frame["code"] == code
    assert registry.get_agent(agent.agent_id).attribute_values == before


def test_disconnect_forgets_the_connection(link: tuple[Client, FakeManagement]) -> None:
    from chalicelib.agents import registry

    client, _ = link
    agent, token = registry.create_agent("mini-4", 10)
    client.lambda_.invoke(
        "ws_connect", ws_event("$connect", "c5", headers={"Authorization": f"Bearer {token}"})
    )
    client.lambda_.invoke("ws_disconnect", ws_event("$disconnect", "c5"))
    assert registry.get_agent(agent.agent_id).connection_id is None
    assert registry.agent_for_connection("c5") is None
