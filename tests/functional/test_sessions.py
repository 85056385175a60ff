"""Sessions: placement, the state machine driven by agent frames, QR, stop, health."""

from __future__ import annotations

import base64
import time
from typing import Any

from chalice.test import Client

from tests.functional.agentlink import AgentDriver, FakeManagement, ws_event
from tests.functional.conftest import Api, register_and_login, sqs_event

QR = "data:image/png;base64," + base64.b64encode(b"\x89PNG fake").decode()


def online_agent(
    chalice_app: Any, fake: FakeManagement, name: str = "mini", capacity: int = 5
) -> AgentDriver:
    from chalicelib.agents import registry

    _, token = registry.create_agent(name, capacity)
    driver = AgentDriver(Client(chalice_app), fake, token, f"conn-{name}")
    assert driver.connect() == 200
    driver.send({"type": "hello", "agent_version": "1.0", "max_sessions": capacity, "sessions": []})
    return driver


def report(driver: AgentDriver, session_id: str, state: str, **extra: Any) -> list[dict]:
    return driver.send(
        {
            "type": "session_state",
            "session_id": session_id,
            "state": state,
            "ts": int(time.time() * 1000),
            **extra,
        }
    )


def test_no_online_agent_is_a_clear_409(api: Api, user: dict[str, Any], fake: Any) -> None:
    reply = api.post("/api/sessions", {"label": "Front desk"})
    assert reply.status == 409 and reply.error_code == "no_capacity"


def test_full_life_of_a_number(
    api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement
) -> None:
    agent = online_agent(chalice_app, fake)
    created = api.post("/api/sessions", {"label": "Front desk"})
    assert created.status == 201 and created.json["status"] == "starting"
    session_id = created.json["session_id"]
    assert {"type": "start_session", "v": 1, "session_id": session_id} in [
        {k: v for k, v in f.items() if k != "issued_at"} for f in agent.pushed()
    ]

    assert api.get(f"/api/sessions/{session_id}/qr").error_code == "no_qr"
    expires = int(time.time() * 1000) + 60_000
    replies = report(agent, session_id, "qr_ready", qr=QR, qr_expires_at=expires)
    assert {"type": "receipt", "v": 1, "seqs": [agent.seq]} in replies
    qr = api.get(f"/api/sessions/{session_id}/qr")
    assert qr.status == 200 and qr.json == {"data_url": QR, "expires_at": expires}

    report(agent, session_id, "connected", phone="+5511999998888")
    session = api.get(f"/api/sessions/{session_id}").json
    assert session["status"] == "connected" and session["phone"] == "+5511999998888"
    assert [h["state"] for h in session["history"]] == ["starting", "qr_ready", "connected"]
    assert api.get(f"/api/sessions/{session_id}/qr").status == 409

    assert api.delete(f"/api/sessions/{session_id}").status == 204
    stop = [f for f in agent.pushed() if f["type"] == "stop_session"]
    assert stop and stop[0]["purge_after"] > int(time.time() * 1000) + 6 * 86_400_000
    stopped = api.get(f"/api/sessions/{session_id}").json
    assert stopped["status"] == "stopped"
    # Reports after the stop change nothing: the cloud owns stopped.
    report(agent, session_id, "connected", phone="+5511999998888")
    assert api.get(f"/api/sessions/{session_id}").json["status"] == "stopped"
    assert api.delete(f"/api/sessions/{session_id}").status == 204  # idempotent


def test_stale_reports_are_ignored(
    api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement
) -> None:
    agent = online_agent(chalice_app, fake)
    session_id = api.post("/api/sessions", {"label": "A"}).json["session_id"]
    now = int(time.time() * 1000)
    agent.send(
        {
            "type": "session_state",
            "session_id": session_id,
            "state": "connected",
            "phone": "+14155550100",
            "ts": now,
        }
    )
    agent.send(
        {
            "type": "session_state",
            "session_id": session_id,
            "state": "qr_ready",
            "qr": QR,
            "ts": now - 5000,
        }
    )
    assert api.get(f"/api/sessions/{session_id}").json["status"] == "connected"


def test_agent_cannot_speak_about_sessions_it_does_not_hold(
    api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement
) -> None:
    holder = online_agent(chalice_app, fake, "holder", capacity=1)
    session_id = api.post("/api/sessions", {"label": "A"}).json["session_id"]
    assert api.get(f"/api/sessions/{session_id}").json["agent_id"]
    intruder = online_agent(chalice_app, fake, "intruder", capacity=1)
    replies = report(intruder, session_id, "banned")
    assert replies[-1]["type"] == "error" and replies[-1]["code"] == "not_your_session"
    assert api.get(f"/api/sessions/{session_id}").json["status"] == "starting"
    assert holder.pushed()


def test_placement_spreads_and_respects_capacity(
    api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement
) -> None:
    from chalicelib.agents import registry
    from chalicelib.billing import accounts

    accounts.grant_plan(user["user"]["user_id"], "pro")  # room for several numbers
    first = online_agent(chalice_app, fake, "one", capacity=1)
    second = online_agent(chalice_app, fake, "two", capacity=1)
    ids = [api.post("/api/sessions", {"label": f"n{i}"}).json for i in range(2)]
    assert {s["agent_id"] for s in ids} == {
        registry.authenticate(first.token).agent_id,
        registry.authenticate(second.token).agent_id,
    }
    full = api.post("/api/sessions", {"label": "n3"})
    assert full.status == 409 and full.error_code == "no_capacity"
    api.delete(f"/api/sessions/{ids[0]['session_id']}")
    assert api.post("/api/sessions", {"label": "n4"}).status == 201


def test_other_tenants_sessions_read_as_404(
    api: Api, chalice_app: Any, fake: FakeManagement
) -> None:
    online_agent(chalice_app, fake)
    alice = register_and_login(api)
    bob = register_and_login(api)
    session_id = api.post("/api/sessions", {"label": "A"}, token=alice["token"]).json["session_id"]
    for method, path in (("GET", ""), ("GET", "/qr"), ("POST", "/restart"), ("DELETE", "")):
        reply = api.request(method, f"/api/sessions/{session_id}{path}", token=bob["token"])
        assert reply.status == 404, (method, path)
    assert api.get("/api/sessions", token=bob["token"]).json["items"] == []
    assert api.get(f"/api/sessions/{session_id}", token=alice["token"]).status == 200


def test_ban_notifies_in_app_and_by_email(
    api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement
) -> None:
    from chalicelib import aws, queues

    agent = online_agent(chalice_app, fake)
    session_id = api.post("/api/sessions", {"label": "Shop"}).json["session_id"]
    report(agent, session_id, "connected", phone="+14155550100")
    report(agent, session_id, "banned", reason="TEMP_BAN")
    session = api.get(f"/api/sessions/{session_id}").json
    assert session["status"] == "banned" and session["last_error"] == "TEMP_BAN"
    notices = api.get("/api/notifications").json["items"]
    assert notices[0]["kind"] == "session_banned" and notices[0]["session_id"] == session_id
    assert api.get("/api/notifications?unread=true").json["items"]
    read = api.post(f"/api/notifications/{notices[0]['notification_id']}/read")
    assert read.status == 200 and read.json["read_at"]
    assert api.get("/api/notifications?unread=true").json["items"] == []
    queued = (
        aws.client("sqs")
        .receive_message(QueueUrl=queues.queue_url(queues.EMAIL), MaxNumberOfMessages=10)
        .get("Messages", [])
    )
    assert any("Shop was banned" in m["Body"] for m in queued)


def test_silent_agent_goes_offline_and_hello_brings_sessions_back(
    api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement
) -> None:
    from chalicelib.models.agents import AgentModel
    from chalicelib.sessions import service

    agent = online_agent(chalice_app, fake)
    session_id = api.post("/api/sessions", {"label": "A"}).json["session_id"]
    report(agent, session_id, "connected", phone="+14155550100")
    model = next(iter(AgentModel.scan()))
    model.update(actions=[AgentModel.last_heartbeat_at.set(1)])
    assert service.sweep_agents() == 1
    assert api.get(f"/api/sessions/{session_id}").json["status"] == "agent_offline"
    assert api.get("/api/notifications").json["items"][0]["kind"] == "session_agent_offline"
    # The agent comes back: hello reports what runs; the state catches up, sync says run it.
    replies = agent.send(
        {
            "type": "hello",
            "agent_version": "1.0",
            "max_sessions": 5,
            "sessions": [
                {"session_id": session_id, "state": "connected", "phone": "+14155550100"},
                {"session_id": "ses_unknown", "state": "connected"},
            ],
        }
    )
    sync = next(f for f in replies if f["type"] == "sync")
    desired = {s["session_id"]: s["desired"] for s in sync["sessions"]}
    assert desired == {session_id: "running", "ses_unknown": "stopped"}
    assert api.get(f"/api/sessions/{session_id}").json["status"] == "connected"


def test_disconnect_schedules_an_offline_check(
    api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement
) -> None:

    from chalicelib import aws, queues
    from chalicelib.models.agents import AgentModel

    agent = online_agent(chalice_app, fake)
    session_id = api.post("/api/sessions", {"label": "A"}).json["session_id"]
    client = Client(chalice_app)
    client.lambda_.invoke("ws_disconnect", ws_event("$disconnect", agent.connection_id))
    sqs = aws.client("sqs")
    url = queues.queue_url(queues.JOBS)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert int(attributes["ApproximateNumberOfMessagesDelayed"]) == 1
    # Run the delayed job now, as if the minute had passed with no heartbeat.
    next(iter(AgentModel.scan())).update(actions=[AgentModel.last_heartbeat_at.set(1)])
    agent_id = next(iter(AgentModel.scan())).agent_id
    event = sqs_event([{"kind": "agent_offline_check", "agent_id": agent_id}])
    assert client.lambda_.invoke("jobs_worker", event).payload == {"batchItemFailures": []}
    assert api.get(f"/api/sessions/{session_id}").json["status"] == "agent_offline"


def test_restart_needs_an_online_agent(
    api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement
) -> None:
    from chalicelib.models.agents import AgentModel

    agent = online_agent(chalice_app, fake)
    session_id = api.post("/api/sessions", {"label": "A"}).json["session_id"]
    report(agent, session_id, "qr_expired")
    restarted = api.post(f"/api/sessions/{session_id}/restart")
    assert restarted.status == 200 and restarted.json["status"] == "starting"
    assert [f for f in agent.pushed() if f["type"] == "start_session"][-1][
        "session_id"
    ] == session_id
    next(iter(AgentModel.scan())).update(actions=[AgentModel.last_heartbeat_at.set(1)])
    offline = api.post(f"/api/sessions/{session_id}/restart")
    assert offline.status == 409 and offline.error_code == "agent_offline"


def test_purge_removes_stopped_sessions_after_grace(
    api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement
) -> None:
    from chalicelib.models.sessions import WaSessionModel
    from chalicelib.sessions import service

    online_agent(chalice_app, fake)
    session_id = api.post("/api/sessions", {"label": "A"}).json["session_id"]
    api.delete(f"/api/sessions/{session_id}")
    assert service.purge_due() == 0
    item = WaSessionModel.get(user["user"]["user_id"], session_id)
    item.update(actions=[WaSessionModel.purge_after.set(1)])
    assert service.purge_due() == 1
    assert api.get(f"/api/sessions/{session_id}").status == 404
