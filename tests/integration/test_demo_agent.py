"""`make run`'s demo: the local stack's own agent and simulator still send a campaign now
that the simulator, like OpenWA, refuses new chats without a licence key (the stack gives
its agent a stand-in key)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.flows import (
    campaign_done,
    connected_number,
    import_csv,
    launch_campaign,
    new_user,
)
from tests.integration.stack import LocalStack, serve, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    yield from serve(
        {
            "WACAST_SIM_AUTO_SCAN": "0.5",
            "WACAST_LOCAL_SCHEDULE_SECONDS": "3",
        }
    )


def test_demo_agent_sends_to_new_chats(stack: LocalStack) -> None:
    token = new_user(stack, "demo-shop@example.com")
    session_id = connected_number(stack, token)
    import_csv(stack, token, 3, "clientes")
    cid = launch_campaign(stack, token, session_id, "clientes", "Demo", "Oi {{first_name}}!")
    done = wait_for(lambda: campaign_done(stack, token, cid), 90, "the campaign to finish")
    counters = done["counters"]
    assert counters["total"] == 3 and counters["failed"] == 0, counters
    assert done["funnel"]["sent"] == 3, done
