"""Recovery through the local stack: a number created right as its agent connects always
comes up (a stale sync never stops it), and a killed agent resumes sending at once."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.integration.flows import (
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
    yield from serve(
        {
            "WACAST_LOCAL_AGENT": "0",
        }
    )


def _online(stack: LocalStack, admin: str, agent_name: str) -> bool:
    _, page = stack.request("GET", "/api/admin/agents", token=admin)
    return any(a["name"] == agent_name and a["online"] for a in page["items"])


def test_a_number_created_as_its_agent_connects_comes_up_every_time(stack: LocalStack) -> None:
    token = new_user(stack, "race@example.com")
    admin = stack.demo_token()
    reached: list[str] = []
    for attempt in range(20):
        name = f"race-{attempt}"
        agent = registered_agent(stack, name)
        agent.start()
        try:
            # create the number the moment the agent's connection is up: its hello (and the
            # sync answering it) race the number's start_session
            wait_for(lambda name=name: _online(stack, admin, name), 30, "online", interval=0.01)
            status, session = stack.request("POST", "/api/sessions", {"label": "Loja"}, token=token)
            assert status == 201, session
            sid = session["session_id"]
            state = wait_for(
                lambda sid=sid: (lambda s: s if s in ("qr_ready", "connected") else None)(
                    stack.request("GET", f"/api/sessions/{sid}", token=token)[1]["status"]
                ),
                30,
                f"attempt {attempt}: the number to come up",
            )
            reached.append(state)
            assert stack.request("DELETE", f"/api/sessions/{sid}", token=token)[0] in (200, 204)
        finally:
            agent.stop()
    assert len(reached) == 20


def test_killed_agent_sends_again_within_seconds_and_acks_catch_up(stack: LocalStack) -> None:
    agent = registered_agent(stack, "recovery-kill")
    agent.start()
    try:
        token = new_user(stack, "recupera@example.com")
        session_id = connected_number(stack, token)
        import_csv(stack, token, 60, "recupera")
        cid = launch_campaign(
            stack, token, session_id, "recupera", "Recovery", "Oi {{first_name|cliente}}"
        )
        wait_for(lambda: sum(agent.sent_to().values()) >= 20, 60, "sending under way")
        agent.kill()
        before = sum(agent.sent_to().values())
        restarted = time.monotonic()
        agent.start()
        wait_for(lambda: sum(agent.sent_to().values()) > before, 60, "a send after the restart")
        # no lease slack and no idle poll in the way (both are far longer than this)
        assert time.monotonic() - restarted < 25
        wait_for(lambda: campaign_done(stack, token, cid), 120, "the campaign to finish")
        sent = agent.sent_to()
        assert max(sent.values()) == 1
        wait_for(
            lambda: (
                stack.request("GET", f"/api/campaigns/{cid}", token=token)[1]["funnel"]["sent"]
                == stack.request("GET", f"/api/campaigns/{cid}", token=token)[1]["funnel"]["read"]
            ),
            60,
            "every delivered message read in the books",
        )
    finally:
        agent.stop()
