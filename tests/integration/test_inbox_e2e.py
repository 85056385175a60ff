"""The reply inbox end to end: the local stack, a real agent process and the OpenWA
simulator. A campaign goes out, the simulator injects replies from two recipients and
a stranger (named by WhatsApp), and the inbox lists them with their text and
campaign (the stranger's with none, under its WhatsApp name); the thread shows the
campaign message before the reply."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.flows import (
    all_messages,
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
    yield from serve(
        {
            "WACAST_LOCAL_AGENT": "0",
        }
    )


def _reply(data_dir: str, phone: str, body: str, name: str | None = None) -> None:
    found = wait_for(
        lambda: next(Path(data_dir).glob("**/sim-control.json"), None), 30, "the simulator"
    )
    control = str(json.loads(found.read_text())["control_url"])
    request = urllib.request.Request(
        control + "/sim/inbound",
        data=json.dumps({"from": phone, "body": body, "name": name}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_replies_through_the_simulator_reach_the_inbox(stack: LocalStack) -> None:
    agent = registered_agent(stack, "inbox-e2e")
    agent.start()
    try:
        token = new_user(stack, "inbox@example.com")
        session_id = connected_number(stack, token)
        lines = ["Name;Phone"] + [f"Cliente {i};+1415555{i:04d}" for i in range(3)]
        import_csv(stack, token, 3, "clientes", lines)
        cid = launch_campaign(stack, token, session_id, "clientes", "Natal", "Olá!")
        wait_for(
            lambda: (
                all(m["status"] in ("sent", "delivered", "read") for m in msgs)
                if len(msgs := all_messages(stack, token, cid)) == 3
                else None
            ),
            90,
            "the campaign's messages sent",
        )
        _reply(agent.data_dir, "+14155550000", "Quero dois!")
        _reply(agent.data_dir, "+14155550001", "Que horas abre?")
        _reply(agent.data_dir, "+14155559999", "Quem é?", name="Bea Estranha")

        def listed() -> list[dict[str, Any]] | None:
            status, page = stack.request("GET", "/api/conversations", token=token)
            assert status == 200, page
            return page["items"] if len(page["items"]) == 3 else None

        items = wait_for(listed, 60, "three conversations")
        by_phone = {c["phone"]: c for c in items}
        assert by_phone["+14155550000"]["last_text"] == "Quero dois!"
        assert by_phone["+14155550000"]["campaign_id"] == cid
        assert by_phone["+14155550001"]["campaign_id"] == cid
        assert by_phone["+14155559999"]["campaign_id"] is None
        # A stranger becomes a contact under the name WhatsApp shows (its push name).
        assert by_phone["+14155559999"]["name"] == "Bea Estranha"
        status, stranger = stack.request("GET", "/api/contacts/+14155559999", token=token)
        assert status == 200 and stranger["name"] == "Bea Estranha"
        assert all(c["unread"] == 1 and c["session_id"] == session_id for c in items)

        conversation_id = by_phone["+14155550000"]["conversation_id"]
        status, thread = stack.request(
            "GET", f"/api/conversations/{conversation_id}/messages", token=token
        )
        assert status == 200, thread
        assert [(m["direction"], m["text"]) for m in thread["items"]] == [
            ("out", "Olá!"),
            ("in", "Quero dois!"),
        ]
        status, campaign = stack.request("GET", f"/api/campaigns/{cid}", token=token)
        assert campaign["funnel"]["replied"] == 2
    finally:
        agent.stop()
