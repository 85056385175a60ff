"""Answering from the inbox end to end (issue 16): local stack, a real agent process, the
OpenWA simulator. A campaign goes out, the simulator injects replies, the inbox lists them,
an answer sent through the API reaches the simulator in that chat (after "typing…" when the
number shows it) and its status reaches read in the thread."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.flows import (
    Agent,
    all_messages,
    campaign_done,
    connected_number,
    import_csv,
    launch_campaign,
    new_user,
    registered_agent,
)
from tests.integration.stack import LocalStack, serve, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    yield from serve({"WACAST_LOCAL_AGENT": "0", "WACAST_LOCAL_SCHEDULE_SECONDS": "3"})


def _inject(agent: Agent, session_id: str, phone: str, body: str) -> None:
    control = json.loads(
        (Path(agent.data_dir) / "sessions" / session_id / "sim-control.json").read_text()
    )["control_url"]
    request = urllib.request.Request(
        control + "/sim/inbound",
        data=json.dumps({"from": phone, "body": body, "name": "Cliente"}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def _records(agent: Agent) -> list[dict[str, Any]]:
    if not agent.record.exists():
        return []
    return [json.loads(line) for line in agent.record.read_text().splitlines() if line]


def _conversation(stack: LocalStack, token: str, phone: str) -> dict[str, Any] | None:
    items = stack.request("GET", "/api/conversations", token=token)[1]["items"]
    return next((c for c in items if c["phone"] == phone), None)


def _answers(stack: LocalStack, token: str, cid: str) -> list[dict[str, Any]]:
    thread = stack.request("GET", f"/api/conversations/{cid}/messages", token=token)[1]
    return [m for m in thread["items"] if m.get("reply_id")]


def test_reply_listed_answered_and_read(stack: LocalStack) -> None:
    agent = registered_agent(stack, "answer-e2e")
    agent.start()
    try:
        token = new_user(stack, "respostas@example.com")
        session_id = connected_number(stack, token)
        import_csv(stack, token, 3, "clientes")
        cid = launch_campaign(stack, token, session_id, "clientes", "Promo", "Oi {{first_name}}!")
        wait_for(lambda: campaign_done(stack, token, cid), 60, "the campaign to finish")
        phones = sorted(m["phone"] for m in all_messages(stack, token, cid))

        # The simulator injects a reply: the inbox lists it with its text and campaign.
        _inject(agent, session_id, phones[0], "Quanto custa?")
        listed = wait_for(lambda: _conversation(stack, token, phones[0]), 30, "the reply listed")
        assert listed["last_text"] == "Quanto custa?" and listed["campaign_id"] == cid

        # Show "typing…" before each send on this number.
        status, number = stack.request(
            "PUT",
            f"/api/conversations/numbers/{session_id}/typing",
            {"show_typing": True},
            token=token,
        )
        assert status == 200 and number["show_typing"] is True, number

        # Answer through the API (a retry with the same client id is the same answer).
        body = {"text": "R$ 10, com entrega!", "client_id": "e2e-answer-0001"}
        path = f"/api/conversations/{listed['conversation_id']}/messages"
        status, first = stack.request("POST", path, body, token=token)
        assert status == 202, first
        status, again = stack.request("POST", path, body, token=token)
        assert status == 202 and again["reply_id"] == first["reply_id"]

        chat = f"{phones[0].lstrip('+')}@c.us"
        wait_for(
            lambda: any(r.get("content") == body["text"] for r in _records(agent)),
            30,
            "the simulator to record the answer",
        )
        to_chat = [r for r in _records(agent) if r["to"] == chat]
        kinds = [(r["kind"], r.get("on"), r.get("content")) for r in to_chat]
        # the campaign message, then typing on, then the answer: once, to that chat
        assert kinds[-2:] == [("typing", True, None), ("text", None, body["text"])], kinds
        assert sum(1 for r in to_chat if r.get("content") == body["text"]) == 1

        answers = wait_for(
            lambda: (lambda a: a if a and a[0]["status"] == "read" else None)(
                _answers(stack, token, listed["conversation_id"])
            ),
            30,
            "the answer to be read",
        )
        assert [a["text"] for a in answers] == [body["text"]]

        # It counted against the quota like any message: 3 campaign messages + 1 answer.
        billing = stack.request("GET", "/api/billing", token=token)[1]["messages"]
        assert billing["used"] == 4 and billing["reserved"] == 0
        counters = stack.request("GET", f"/api/campaigns/{cid}", token=token)[1]["counters"]
        assert counters["total"] == 3 and counters["replies"] == 1

        # A contact who opted out by reply cannot be answered.
        _inject(agent, session_id, phones[1], "PARAR")
        stopped = wait_for(
            lambda: (lambda c: c if c and c["opted_out"] else None)(
                _conversation(stack, token, phones[1])
            ),
            30,
            "the opt-out",
        )
        status, refused = stack.request(
            "POST",
            f"/api/conversations/{stopped['conversation_id']}/messages",
            {"text": "Que pena!", "client_id": "e2e-answer-0002"},
            token=token,
        )
        assert status == 409 and refused["error"]["code"] == "contact_opted_out"

        # Another account's conversation does not exist for this one.
        other = new_user(stack, "outra@example.com")
        status, missing = stack.request("POST", path, body, token=other)
        assert status == 404 and missing["error"]["code"] == "not_found"
    finally:
        agent.stop()
