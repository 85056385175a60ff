"""Helpers to drive the agents' WebSocket handlers without a socket."""

from __future__ import annotations

import json
from typing import Any


class FakeManagement:
    """Collects what the app sends through app.websocket_api."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.closed: list[str] = []

        class Gone(Exception):
            pass

        self.exceptions = type("E", (), {"GoneException": Gone})

    def client(self, name: str, endpoint_url: str | None = None) -> FakeManagement:
        return self

    def post_to_connection(self, ConnectionId: str, Data: str) -> None:
        self.sent.append((ConnectionId, json.loads(Data)))

    def delete_connection(self, ConnectionId: str) -> None:
        self.closed.append(ConnectionId)


def ws_event(
    route: str,
    connection_id: str,
    *,
    body: str | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> dict:
    kind = {"$connect": "CONNECT", "$default": "MESSAGE", "$disconnect": "DISCONNECT"}[route]
    return {
        "headers": headers or {},
        "queryStringParameters": query,
        "requestContext": {
            "routeKey": route,
            "eventType": kind,
            "connectionId": connection_id,
            "domainName": "localhost",
            "stage": "test",
            "apiId": "abc123",
        },
        "body": body,
        "isBase64Encoded": False,
    }


class AgentDriver:
    """Plays one connected agent against the app's ws handlers."""

    def __init__(self, client: Any, fake: FakeManagement, token: str, connection_id: str) -> None:
        self.client = client
        self.fake = fake
        self.token = token
        self.connection_id = connection_id
        self.seq = 0

    def connect(self) -> int:
        event = ws_event(
            "$connect", self.connection_id, headers={"Authorization": f"Bearer {self.token}"}
        )
        return int(self.client.lambda_.invoke("ws_connect", event).payload["statusCode"])

    def send(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        """Send a frame; returns the frames pushed back to this connection meanwhile."""
        before = len(self.fake.sent)
        self.seq += 1
        body = json.dumps({"v": 1, "seq": self.seq, **frame})
        self.client.lambda_.invoke(
            "ws_message", ws_event("$default", self.connection_id, body=body)
        )
        return [f for c, f in self.fake.sent[before:] if c == self.connection_id]

    def pushed(self) -> list[dict[str, Any]]:
        return [f for c, f in self.fake.sent if c == self.connection_id]
