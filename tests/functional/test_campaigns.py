"""Campaigns through the API and the agent link: compose, launch, send, follow."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.agentlink import FakeManagement
from tests.functional.campaignkit import Setup, add_contacts, counters, launch_all
from tests.functional.conftest import Api, register_and_login


@pytest.fixture
def kit(api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement) -> Setup:
    return Setup(api, chalice_app, fake)


def test_full_send_counts_are_exact(kit: Setup, api: Api) -> None:
    phones = add_contacts(api, 12)
    add_contacts(api, 1, tag="other", start=100)
    campaign = kit.campaign()
    cid = campaign["campaign_id"]
    assert campaign["status"] == "draft"
    launched = kit.launch(cid)
    assert launched["status"] == "running" and launched["counters"]["total"] == 12
    wake = [f for f in kit.agent.pushed() if f["type"] == "wake"]
    assert wake and wake[-1]["session_ids"] == [kit.session_id]

    batch = kit.pull(100)
    assert sorted(m["phone"] for m in batch) == phones
    assert all(m["to"] == m["phone"][1:] + "@c.us" for m in batch)
    first = next(m for m in batch if m["phone"] == phones[0])
    assert first["text"] in ("Hi Ana0!", "Hello Ana0!")
    assert kit.pull(100) == []  # nothing left to lease
    assert counters(api, cid)["leased"] == 12

    ids = kit.results(batch)
    kit.results(batch)  # the same frame again (re-sent after a reconnect) changes nothing
    assert counters(api, cid)["sent"] == 12
    kit.acks(list(ids.values())[:8], 2)
    kit.acks(list(ids.values())[:5], 3)
    detail = api.get(f"/api/campaigns/{cid}").json
    assert detail["status"] == "completed"
    assert detail["counters"] | {} == detail["counters"]
    c = detail["counters"]
    assert (c["sent"], c["delivered"], c["read"], c["pending"], c["leased"]) == (4, 3, 5, 0, 0)
    assert detail["funnel"] == {"sent": 12, "delivered": 8, "read": 5, "replied": 0}
    assert detail["progress"] == 1.0
    read = api.get(f"/api/campaigns/{cid}/messages?status=read").json["items"]
    assert len(read) == 5 and all(m["read_at"] and m["delivered_at"] for m in read)
    notices = [n["kind"] for n in api.get("/api/notifications").json["items"]]
    assert "campaign_completed" in notices and "campaign_started" in notices


def test_transitions_are_enforced(kit: Setup, api: Api) -> None:
    add_contacts(api, 2)
    cid = kit.campaign()["campaign_id"]
    for action in ("pause", "resume"):
        assert api.post(f"/api/campaigns/{cid}/{action}").status == 409
    assert api.post(f"/api/campaigns/{cid}/cancel").status == 409  # drafts are deleted
    kit.launch(cid)
    assert api.post(f"/api/campaigns/{cid}/schedule").status == 409
    assert api.patch(f"/api/campaigns/{cid}", {"name": "x"}).status == 409  # running
    paused = api.post(f"/api/campaigns/{cid}/pause").json
    assert paused["status"] == "paused" and paused["pause_reason"] == "paused_by_user"
    cancel = [f for f in kit.agent.pushed() if f["type"] == "cancel_leases"]
    assert cancel and cancel[-1]["campaign_id"] == cid
    assert kit.pull() == []  # paused: nothing is leased
    assert api.patch(f"/api/campaigns/{cid}", {"name": "Renamed"}).json["name"] == "Renamed"
    assert api.post(f"/api/campaigns/{cid}/resume").json["status"] == "running"
    assert len(kit.pull()) == 2
    cancelled = api.post(f"/api/campaigns/{cid}/cancel").json
    assert cancelled["status"] == "cancelled"
    assert api.post(f"/api/campaigns/{cid}/resume").status == 409
    assert api.delete(f"/api/campaigns/{cid}").status == 409


def test_cancel_marks_pending_cancelled(kit: Setup, api: Api) -> None:
    from chalicelib import queues
    from tests.functional.conftest import drain

    add_contacts(api, 5)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    kit.pull(2)
    api.post(f"/api/campaigns/{cid}/cancel")
    drain(queues.JOBS, lambda event: kit.client.lambda_.invoke("jobs_worker", event).payload)
    c = counters(api, cid)
    assert (c["pending"], c["cancelled"], c["leased"]) == (0, 3, 2)


def test_missing_variables_block_with_the_list_or_skip(kit: Setup, api: Api) -> None:
    add_contacts(api, 2)
    api.post("/api/contacts", {"phone": "+14155559999", "tags": ["vip"]})  # no first name
    blocked = kit.campaign(template="Hi {{first_name}}, code {{code|none}}")
    reply = api.post(f"/api/campaigns/{blocked['campaign_id']}/schedule")
    assert reply.status == 202 and reply.json["status"] == "preparing"
    launch_all(kit.client)
    back = api.get(f"/api/campaigns/{blocked['campaign_id']}").json
    assert back["status"] == "draft"
    problem = back["launch_problem"]
    assert problem["code"] == "missing_variables" and "fallback" in problem["message"]
    assert problem["details"]["affected"] == [
        {"phone": "+14155559999", "name": None, "missing": ["first_name"]}
    ]
    skip = kit.campaign(template="Hi {{first_name}}", on_missing_variable="skip")
    launched = kit.launch(skip["campaign_id"])
    assert launched["counters"]["total"] == 3 and launched["counters"]["skipped"] == 1
    assert len(kit.pull()) == 2


def test_opted_out_contacts_are_never_messaged(kit: Setup, api: Api) -> None:
    phones = add_contacts(api, 3)
    api.post(f"/api/contacts/{phones[0]}/opt-out", {})
    cid = kit.campaign()["campaign_id"]
    assert api.get(f"/api/campaigns/{cid}/audience").json["opted_out"] == 1
    launched = kit.launch(cid)
    assert launched["counters"]["skipped"] == 1
    assert phones[0] not in [m["phone"] for m in kit.pull()]


def test_stop_reply_opts_out_and_stops_pending(kit: Setup, api: Api) -> None:
    phones = add_contacts(api, 3)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    batch = kit.pull(1)
    kit.results(batch)
    kit.agent.send(
        {
            "type": "inbound",
            "session_id": kit.session_id,
            "from_phone": batch[0]["phone"],
            "body": "Thanks!",
            "wa_message_id": "in1",
            "ts": 1,
        }
    )
    assert counters(api, cid)["replies"] == 1
    other = next(p for p in phones if p != batch[0]["phone"])
    kit.agent.send(
        {
            "type": "inbound",
            "session_id": kit.session_id,
            "from_phone": other,
            "body": " stop ",
            "wa_message_id": "in2",
            "ts": 2,
        }
    )
    assert api.get(f"/api/contacts/{other}").json["opted_out"] is True
    remaining = [m["phone"] for m in kit.pull()]
    assert other not in remaining and len(remaining) == 1
    assert counters(api, cid)["skipped"] == 1


def test_rate_limited_number_backs_off_and_keeps_messages(kit: Setup, api: Api) -> None:
    from chalicelib.models.sessions import WaSessionModel

    add_contacts(api, 3)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    batch = kit.pull()
    kit.results(batch[:1], outcome="failed", reason="rate_limited")
    c = counters(api, cid)
    assert (c["pending"], c["failed"], c["leased"]) == (1, 0, 2)
    session = WaSessionModel.get(api.get("/api/me").json["user_id"], kit.session_id)
    assert session.backoff_s == 900 and session.backoff_until > 0
    assert kit.pull() == []  # backing off
    assert api.get("/api/notifications").json["items"][0]["kind"] == "session_rate_limited"


def test_ban_pauses_running_campaigns(kit: Setup, api: Api) -> None:
    add_contacts(api, 2)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    kit.report("banned", reason="TEMP_BAN")
    detail = api.get(f"/api/campaigns/{cid}").json
    assert detail["status"] == "paused" and detail["pause_reason"] == "session_banned"
    assert api.post(f"/api/campaigns/{cid}/resume").error_code == "sessions_not_ready"


def test_mostly_failing_sends_pause_the_campaign(kit: Setup, api: Api) -> None:
    add_contacts(api, 25)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    batch = kit.pull(25)
    kit.results(batch[:9])
    kit.results(batch[9:21], outcome="failed", reason="not_on_whatsapp")
    detail = api.get(f"/api/campaigns/{cid}").json
    assert detail["status"] == "paused" and detail["pause_reason"] == "too_many_failures"


def test_retry_failed_only_retryable_never_unknown(kit: Setup, api: Api) -> None:
    add_contacts(api, 3)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    batch = kit.pull()
    kit.results(batch[:1], outcome="failed", reason="timeout")
    kit.results(batch[1:2], outcome="failed", reason="not_on_whatsapp")
    kit.results(batch[2:], outcome="unknown")
    assert api.get(f"/api/campaigns/{cid}").json["status"] == "completed"
    assert api.post(f"/api/campaigns/{cid}/retry-failed").json == {"requeued": 1}
    assert api.get(f"/api/campaigns/{cid}").json["status"] == "running"
    assert [m["phone"] for m in kit.pull()] == [batch[0]["phone"]]


def test_expired_leases_of_a_live_agent_return(kit: Setup, api: Api) -> None:
    from chalicelib.campaigns import sweeps
    from chalicelib.models.campaigns import CampaignMessageModel

    add_contacts(api, 2)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    batch = kit.pull()
    for message in CampaignMessageModel.query(cid):
        message.update(actions=[CampaignMessageModel.lease_until.set(1)])
    assert sweeps.sweep_leases() == 2
    assert counters(api, cid)["pending"] == 2
    again = kit.pull()
    assert sorted(m["phone"] for m in again) == sorted(m["phone"] for m in batch)


def test_preview_test_send_export_and_tenancy(kit: Setup, api: Api) -> None:
    phones = add_contacts(api, 2)
    cid = kit.campaign(template="Hey {{first_name}} =)")["campaign_id"]
    preview = api.post(f"/api/campaigns/{cid}/preview", {"phone": phones[1]}).json
    assert preview["text"] == "Hey Ana1 =)" and preview["missing"] == []
    assert (
        api.post(
            f"/api/campaigns/{cid}/test", {"session_id": kit.session_id, "to": phones[0]}
        ).status
        == 202
    )
    test_batch = kit.pull()
    assert [(m["phone"], m["text"]) for m in test_batch] == [(phones[0], "Hey Ana0 =)")]
    kit.results(test_batch)
    assert counters(api, cid)["sent"] == 0  # tests move no counters
    kit.launch(cid)
    kit.results(kit.pull())
    export = api.get(f"/api/campaigns/{cid}/export")
    assert export.status == 200 and export.headers["Content-Type"].startswith("text/csv")
    lines = export.body.decode().splitlines()
    assert lines[0].startswith("phone,name,status") and len(lines) == 3
    other = register_and_login(api)
    for method, path in (
        ("GET", ""),
        ("GET", "/messages"),
        ("POST", "/pause"),
        ("GET", "/export"),
        ("PATCH", ""),
        ("POST", "/retry-failed"),
    ):
        body = {"name": "x"} if method == "PATCH" else None
        reply = api.request(method, f"/api/campaigns/{cid}{path}", body, token=other["token"])
        assert reply.status == 404, (method, path, reply.status)


def test_compose_validation(kit: Setup, api: Api) -> None:
    bad = api.post(
        "/api/campaigns",
        {
            "name": "x",
            "template": "Hi {first|second",
            "audience": {"tags": ["vip"]},
            "session_ids": [kit.session_id],
        },
    )
    assert bad.status == 422
    no_audience = api.post(
        "/api/campaigns",
        {"name": "x", "template": "Hi", "audience": {}, "session_ids": [kit.session_id]},
    )
    assert no_audience.status == 422
    past = api.post(
        "/api/campaigns",
        {
            "name": "x",
            "template": "Hi",
            "audience": {"all": True},
            "session_ids": [kit.session_id],
            "send_at": "2001-01-01T09:00:00",
            "timezone": "America/Sao_Paulo",
        },
    )
    assert past.status == 422
    ghost = api.post(
        "/api/campaigns",
        {"name": "x", "template": "Hi", "audience": {"all": True}, "session_ids": ["ses_nothere"]},
    )
    assert ghost.status == 409 and ghost.error_code == "sessions_not_ready"
    gaps = api.post(
        "/api/campaigns",
        {
            "name": "x",
            "template": "Hi",
            "audience": {"all": True},
            "session_ids": [kit.session_id],
            "pacing": {"min_gap_s": 60, "max_gap_s": 20},
        },
    )
    assert gaps.status == 422


def test_scheduled_in_future_waits(kit: Setup, api: Api) -> None:
    from datetime import UTC, datetime, timedelta

    add_contacts(api, 2)
    later = (datetime.now(UTC) + timedelta(hours=2)).replace(tzinfo=None).isoformat()
    cid = kit.campaign(send_at=later, timezone="UTC")["campaign_id"]
    launched = kit.launch(cid)
    assert launched["status"] == "scheduled" and launched["counters"]["total"] == 0


def test_offline_machine_pauses_then_resumes_by_itself(kit: Setup, api: Api) -> None:
    from chalicelib.models.agents import AgentModel
    from chalicelib.sessions import service as sessions

    add_contacts(api, 2)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    for agent in AgentModel.scan():
        agent.update(actions=[AgentModel.last_heartbeat_at.set(1)])
    sessions.sweep_agents()
    paused = api.get(f"/api/campaigns/{cid}").json
    assert paused["status"] == "paused" and paused["pause_reason"] == "session_agent_offline"
    kit.agent.send(
        {
            "type": "hello",
            "agent_version": "1",
            "max_sessions": 10,
            "sessions": [
                {"session_id": kit.session_id, "state": "connected", "phone": "+14155550000"}
            ],
        }
    )
    assert api.get(f"/api/campaigns/{cid}").json["status"] == "running"
    kinds = [n["kind"] for n in api.get("/api/notifications").json["items"]]
    assert "campaign_resumed" in kinds and "campaign_paused" in kinds


def test_launch_worker_dying_mid_chunk_is_redelivered_without_duplicates(
    kit: Setup, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.campaigns import launch
    from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel
    from tests.functional.campaignkit import launch_all

    monkeypatch.setattr(launch, "CHUNK_CONTACTS", 4)  # several chunks from a few contacts
    monkeypatch.setattr(launch, "FIRST_CHUNK_CONTACTS", 3)
    add_contacts(api, 10)
    cid = kit.campaign()["campaign_id"]
    original = CampaignModel.update
    crashes = {"left": 2}

    def dies_before_commit(self: Any, actions: Any, condition: Any = None, **kw: Any) -> Any:
        if condition is not None and "materialise_chunks" in str(condition) and crashes["left"]:
            crashes["left"] -= 1
            raise RuntimeError("the Lambda ran out of time after writing the chunk")
        return original(self, actions=actions, condition=condition, **kw)

    monkeypatch.setattr(CampaignModel, "update", dies_before_commit)
    assert api.post(f"/api/campaigns/{cid}/schedule").status == 202
    launch_all(kit.client)
    detail = api.get(f"/api/campaigns/{cid}").json
    assert crashes["left"] == 0
    assert detail["counters"]["total"] == 10 and detail["counters"]["pending"] == 10
    assert len(list(CampaignMessageModel.query(cid))) == 10
    phones = [m["phone"] for m in kit.pull()]
    assert len(phones) == 10 == len(set(phones))


def test_a_second_pull_before_results_does_not_pass_the_daily_cap(kit: Setup, api: Api) -> None:
    # The agent may pull again while its sends' results are still in its outbox: what is
    # leased counts against the day, or the number sends past its cap (seen: 40 on a
    # warm-up day of 20).
    add_contacts(api, 30)
    cid = kit.campaign(pacing={"min_gap_s": 0, "max_gap_s": 0, "daily_cap": 10, "warmup": False})[
        "campaign_id"
    ]
    kit.launch(cid)
    first = kit.pull(100)
    assert len(first) == 10
    assert kit.pull(100) == []
    kit.results(first)
    assert kit.pull(100) == []
    assert counters(api, cid)["sent"] == 10
