"""Campaigns end to end: local stack, a real agent process, the OpenWA simulator."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.integration.flows import (
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

FINAL = {"sent", "delivered", "read", "failed", "skipped", "unknown", "cancelled"}


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    yield from serve(
        {
            "WACAST_LOCAL_AGENT": "0",
            "WACAST_LOCAL_SCHEDULE_SECONDS": "3",  # lease sweeps and health checks every 3 s
            "WACAST_LEASE_SLACK_S": "15",
        }
    )


def test_fifty_recipients_all_sent_delivered_read(stack: LocalStack) -> None:
    agent = registered_agent(stack, "e2e-1")
    agent.start()
    try:
        token = new_user(stack, "loja@example.com")
        session_id = connected_number(stack, token)
        import_csv(stack, token, 50, "clientes")
        cid = launch_campaign(
            stack,
            token,
            session_id,
            "clientes",
            "Black Friday",
            "{Olá|Oi} {{first_name|cliente}} de {{cidade}}!",
        )
        done = wait_for(lambda: campaign_done(stack, token, cid), 90, "the campaign to finish")
        wait_for(
            lambda: (
                stack.request("GET", f"/api/campaigns/{cid}", token=token)[1]["counters"]["read"]
                == 50
            ),
            30,
            "every read receipt",
        )
        final = stack.request("GET", f"/api/campaigns/{cid}", token=token)[1]
        assert final["counters"]["total"] == 50
        assert final["funnel"] == {"sent": 50, "delivered": 50, "read": 50, "replied": 0}
        assert sum(final["counters"][k] for k in ("pending", "leased", "failed", "unknown")) == 0
        assert done["progress"] == 1.0
        sent = agent.sent_to()
        assert len(sent) == 50 and max(sent.values()) == 1
    finally:
        agent.stop()


def test_agent_killed_mid_campaign_nobody_twice_nobody_lost(stack: LocalStack) -> None:
    agent = registered_agent(stack, "e2e-2")
    agent.start()
    try:
        token = new_user(stack, "loja2@example.com")
        session_id = connected_number(stack, token)
        import_csv(stack, token, 90, "todos")
        cid = launch_campaign(
            stack,
            token,
            session_id,
            "todos",
            "Crash test",
            "Oi {{first_name|cliente}}",
            gap_s=(0.05, 0.1),
        )
        wait_for(lambda: sum(agent.sent_to().values()) >= 30, 60, "sending under way")
        agent.kill()  # kill -9 mid-campaign
        time.sleep(0.5)  # let any in-flight webhook land nowhere; nothing is asserted on it
        agent.start()
        wait_for(lambda: campaign_done(stack, token, cid), 180, "the campaign to finish")
        messages = all_messages(stack, token, cid)
        assert len(messages) == 90 and len({m["phone"] for m in messages}) == 90
        assert all(m["status"] in FINAL for m in messages)
        unknown = [m for m in messages if m["status"] == "unknown"]
        assert len(unknown) <= 1, unknown  # at most the one send in flight at the kill
        sent = agent.sent_to()
        assert max(sent.values()) == 1, [p for p, n in sent.items() if n > 1]
        delivered = {
            m["phone"].lstrip("+") for m in messages if m["status"] in ("sent", "delivered", "read")
        }
        assert {p.split("@")[0] for p in sent} >= delivered
    finally:
        agent.stop()


def test_websocket_dropped_repeatedly_mid_campaign(stack: LocalStack) -> None:
    import json as _json
    import urllib.request

    agent = registered_agent(stack, "e2e-3")
    agent.start()
    management = f"http://127.0.0.1:{stack.ws_port}/@connections"
    try:
        token = new_user(stack, "loja3@example.com")
        session_id = connected_number(stack, token)
        import_csv(stack, token, 60, "drop")
        cid = launch_campaign(
            stack,
            token,
            session_id,
            "drop",
            "Flaky network",
            "Oi {{first_name|cliente}}",
            gap_s=(0.05, 0.1),
        )
        drops = 0
        deadline = time.monotonic() + 120
        while campaign_done(stack, token, cid) is None and time.monotonic() < deadline:
            if drops < 5 and sum(agent.sent_to().values()) >= 10 * (drops + 1):
                with urllib.request.urlopen(management, timeout=5) as response:
                    for connection_id in _json.loads(response.read()):
                        request = urllib.request.Request(
                            f"{management}/{connection_id}", method="DELETE"
                        )
                        urllib.request.urlopen(request, timeout=5).close()
                drops += 1
            time.sleep(0.2)
        assert drops == 5, "the campaign finished before every drop"
        done = wait_for(lambda: campaign_done(stack, token, cid), 120, "the campaign to finish")
        assert done["counters"]["total"] == 60
        messages = all_messages(stack, token, cid)
        assert all(m["status"] in ("sent", "delivered", "read") for m in messages), Counter(
            m["status"] for m in messages
        )
        sent = agent.sent_to()
        assert len(sent) == 60 and max(sent.values()) == 1
    finally:
        agent.stop()
