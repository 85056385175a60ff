"""Recovery after an agent restart, through the WebSocket handlers: leases the agent never
attempted return on hello, a connected number is woken, heartbeats re-send what should
run, and a number stuck starting ends failed with a reason."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.functional.agentlink import FakeManagement
from tests.functional.campaignkit import Setup, add_contacts, counters
from tests.functional.conftest import Api


@pytest.fixture
def kit(api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement) -> Setup:
    return Setup(api, chalice_app, fake)


def _hello(kit: Setup, in_flight: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The agent comes back on a new connection and says hello."""
    kit.agent.connection_id = f"conn-{time.monotonic_ns()}"
    assert kit.agent.connect() == 200
    frame: dict[str, Any] = {"type": "hello", "agent_version": "1", "max_sessions": 10}
    if in_flight is not None:
        frame["in_flight"] = in_flight
    return kit.agent.send(frame)


def _status(cid: str, phone: str) -> str:
    from chalicelib.models.campaigns import CampaignMessageModel

    return str(CampaignMessageModel.get(cid, phone, consistent_read=True).status)


def test_hello_returns_the_leases_the_journal_does_not_hold(kit: Setup, api: Api) -> None:
    add_contacts(api, 6)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    batch = kit.pull(6)
    assert len(batch) == 6 and counters(api, cid)["leased"] == 6
    journalled, queued_only = batch[:2], batch[2:]
    # the agent restarts: its journal holds two sends; the rest never reached OpenWA
    in_flight = [
        {"session_id": kit.session_id, "campaign_id": m["campaign_id"], "phone": m["phone"]}
        for m in journalled
    ]
    pushed = _hello(kit, in_flight)
    assert {m["phone"] for m in queued_only} == {
        m["phone"] for m in batch if _status(cid, m["phone"]) == "pending"
    }
    assert all(_status(cid, m["phone"]) == "leased" for m in journalled)
    assert counters(api, cid)["leased"] == 2 and counters(api, cid)["pending"] == 4
    wakes = [f for f in pushed if f["type"] == "wake"]
    assert wakes and kit.session_id in wakes[-1]["session_ids"]
    # the returned messages go out on the next pull; the journalled ones report normally
    again = kit.pull(10)
    assert sorted(m["phone"] for m in again) == sorted(m["phone"] for m in queued_only)
    kit.results(journalled + again)
    assert counters(api, cid)["sent"] == 6
    assert counters(api, cid)["leased"] == 0 and counters(api, cid)["pending"] == 0
    assert api.get(f"/api/campaigns/{cid}").json["status"] == "completed"


def test_hello_again_changes_nothing_and_an_old_agent_keeps_its_leases(
    kit: Setup, api: Api
) -> None:
    add_contacts(api, 3)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    batch = kit.pull(3)
    _hello(kit, None)  # an agent that does not list its journal: leases wait for expiry
    assert counters(api, cid)["leased"] == 3
    all_held = [
        {"session_id": kit.session_id, "campaign_id": m["campaign_id"], "phone": m["phone"]}
        for m in batch
    ]
    _hello(kit, all_held)
    _hello(kit, all_held)
    assert counters(api, cid)["leased"] == 3 and counters(api, cid)["pending"] == 0
    _hello(kit, [])
    _hello(kit, [])  # a re-sent hello moves nothing twice
    assert counters(api, cid)["leased"] == 0 and counters(api, cid)["pending"] == 3


def test_a_result_after_the_lease_returned_still_counts_once(kit: Setup, api: Api) -> None:
    add_contacts(api, 2)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    batch = kit.pull(2)
    _hello(kit, [])  # the agent (wrongly) said nothing was in flight
    kit.results(batch)  # ...and then its results arrive after all
    kit.results(batch)
    assert counters(api, cid)["sent"] == 2
    assert counters(api, cid)["pending"] == 0 and counters(api, cid)["leased"] == 0


def test_a_number_that_reports_connected_is_woken(kit: Setup) -> None:
    before = len(kit.agent.pushed())
    kit.report("disconnected")
    kit.report("connected", phone="+14155550000")
    wakes = [f for f in kit.agent.pushed()[before:] if f["type"] == "wake"]
    assert [w["session_ids"] for w in wakes] == [[kit.session_id]]


def _heartbeat(kit: Setup, sessions: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    frame: dict[str, Any] = {
        "type": "heartbeat",
        "sessions_running": len(sessions or []),
        "rss_bytes": 1,
        "cpu_percent": 0,
        "uptime_s": 1,
    }
    if sessions is not None:
        frame["sessions"] = sessions
    return kit.agent.send(frame)


def test_heartbeat_resends_what_should_run_and_stops_what_should_not(kit: Setup, api: Api) -> None:
    # the agent lost the number (a stale sync stopped it, say): it reports nothing
    pushed = _heartbeat(kit, [])
    starts = [f for f in pushed if f["type"] == "start_session"]
    assert [s["session_id"] for s in starts] == [kit.session_id]
    assert starts[0]["issued_at"] > 0
    # running as it should: nothing to say
    ok = _heartbeat(kit, [{"session_id": kit.session_id, "state": "connected"}])
    assert [f["type"] for f in ok] == ["receipt"]
    # an older agent that does not report its sessions is left alone
    assert [f["type"] for f in _heartbeat(kit, None)] == ["receipt"]
    # a session the cloud never placed here, and one its owner deleted
    assert api.delete(f"/api/sessions/{kit.session_id}").status in (200, 204)
    pushed = _heartbeat(
        kit,
        [
            {"session_id": kit.session_id, "state": "connected"},
            {"session_id": "ses_stranger", "state": "qr_ready"},
        ],
    )
    stops = sorted(f["session_id"] for f in pushed if f["type"] == "stop_session")
    assert stops == sorted([kit.session_id, "ses_stranger"])
    assert not [f for f in pushed if f["type"] == "start_session"]


def test_a_failed_number_is_not_restarted_by_heartbeats(kit: Setup) -> None:
    kit.report("failed", reason="start_failed")
    pushed = _heartbeat(kit, [])
    assert not [f for f in pushed if f["type"] == "start_session"]


def test_sync_carries_when_it_was_computed_and_start_when_it_was_issued(
    kit: Setup, api: Api
) -> None:
    before = int(time.time() * 1000)
    pushed = _hello(kit, [])
    sync = next(f for f in pushed if f["type"] == "sync")
    assert sync["computed_at"] >= before
    api.delete(f"/api/sessions/{kit.session_id}")  # the free plan has room for one number
    created = api.post("/api/sessions", {"label": "Second"})
    assert created.status == 201
    start = next(
        f
        for f in kit.agent.pushed()
        if f["type"] == "start_session" and f["session_id"] == created.json["session_id"]
    )
    assert start["issued_at"] >= sync["computed_at"]


def test_a_number_stuck_starting_ends_failed_with_a_reason(
    kit: Setup, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.agents import recovery

    monkeypatch.setenv("WACAST_SESSION_START_DEADLINE_S", "60")
    api.delete(f"/api/sessions/{kit.session_id}")  # the free plan has room for one number
    created = api.post("/api/sessions", {"label": "Slow"}).json
    sid = created["session_id"]
    now = int(time.time() * 1000)
    assert recovery.fail_stuck_starting(now) == 0  # within its deadline
    assert recovery.fail_stuck_starting(now + 61_000) == 1
    session = api.get(f"/api/sessions/{sid}").json
    assert session["status"] == "failed"
    assert session["last_error"] == recovery.START_TIMEOUT_REASON
    notices = api.get("/api/notifications").json["items"]
    assert any(n.get("session_id") == sid or "Slow" in n["title"] for n in notices)
    assert recovery.fail_stuck_starting(now + 120_000) == 0  # once
    # a late report from the agent still moves it on
    kit.session_id = sid
    kit.report("qr_ready", qr="data:image/png;base64,AAAA")
    assert api.get(f"/api/sessions/{sid}").json["status"] == "qr_ready"


def test_an_ack_that_rides_in_the_result_costs_one_write(kit: Setup, api: Api) -> None:
    from chalicelib.models.campaigns import CampaignMessageModel

    add_contacts(api, 3)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    batch = kit.pull(3)
    now = int(time.time() * 1000)
    items = [
        {
            "campaign_id": m["campaign_id"],
            "phone": m["phone"],
            "session_id": kit.session_id,
            "outcome": "sent",
            "wa_message_id": f"true_{m['phone'][1:]}@c.us_{i}",
            "ts": now,
            **({"ack": ack} if ack else {}),
        }
        for i, (m, ack) in enumerate(zip(batch, (3, 2, None), strict=True))
    ]
    kit.agent.send({"type": "results", "items": items})
    kit.agent.send({"type": "results", "items": items})  # re-sent: nothing moves twice
    statuses = {m["phone"]: CampaignMessageModel.get(cid, m["phone"]).status for m in batch}
    assert [statuses[m["phone"]] for m in batch] == ["read", "delivered", "sent"]
    got = counters(api, cid)
    assert (got["read"], got["delivered"], got["sent"], got["leased"]) == (1, 1, 1, 0)
    funnel = api.get(f"/api/campaigns/{cid}").json["funnel"]
    assert funnel == {"sent": 3, "delivered": 2, "read": 1, "replied": 0}
    read = CampaignMessageModel.get(cid, batch[0]["phone"])
    assert read.read_at == read.delivered_at == read.sent_at == now
    kit.acks([items[0]["wa_message_id"], items[1]["wa_message_id"]], 2)  # late, lower: no-op
    assert counters(api, cid)["read"] == 1 and counters(api, cid)["delivered"] == 1
    assert api.get(f"/api/campaigns/{cid}").json["status"] == "completed"


def test_leases_made_on_the_new_connection_are_not_the_hellos_to_return(
    kit: Setup, api: Api
) -> None:
    add_contacts(api, 2)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    kit.agent.connection_id = f"conn-{time.monotonic_ns()}"
    assert kit.agent.connect() == 200
    kit.pull(2)  # answered before the hello where frames run in parallel
    kit.agent.send({"type": "hello", "agent_version": "1", "max_sessions": 10, "in_flight": []})
    assert counters(api, cid)["leased"] == 2
