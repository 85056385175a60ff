"""A number's licence key, send-refusal reasons, restricted and failed numbers in words,
the number-limit race, and how far the cloud trusts an agent (issues 11 and 12)."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.functional.agentlink import FakeManagement
from tests.functional.campaignkit import Setup, add_contacts, counters
from tests.functional.conftest import Api
from tests.functional.test_admin import admin_token
from tests.functional.test_sessions import online_agent, report

KEY = "LIC-8c1f-2b7e-AB12"


@pytest.fixture
def kit(api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement) -> Setup:
    return Setup(api, chalice_app, fake)


@pytest.fixture
def app_log() -> Iterator[io.StringIO]:
    """Every line the app logs, at DEBUG, formatted as in production (JSON, extras)."""
    from chalicelib.logs import logger

    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(logger._logger.handlers[0].formatter)
    level = logger._logger.level
    logger._logger.addHandler(handler)
    logger.setLevel("DEBUG")
    try:
        yield lines
    finally:
        logger._logger.removeHandler(handler)
        logger.setLevel(level)


def _starts(kit: Setup) -> list[dict[str, Any]]:
    return [f for f in kit.agent.pushed() if f["type"] == "start_session"]


# --- licence per number -------------------------------------------------------------------


def test_licence_is_write_only_sealed_and_pushed_to_the_agent(
    kit: Setup, api: Api, app_log: io.StringIO
) -> None:
    from chalicelib.models.sessions import WaSessionModel

    sid = kit.session_id
    before = api.get(f"/api/sessions/{sid}").json
    assert before["license"] == {"set": False, "masked": None, "updated_at": None}
    starts = len(_starts(kit))

    reply = api.request("PUT", f"/api/sessions/{sid}/license", {"license_key": f"  {KEY} "})
    assert reply.status == 200, reply.json
    assert reply.json["license"]["set"] is True
    assert reply.json["license"]["masked"] == "••••AB12"
    assert reply.json["license"]["updated_at"] > 0
    assert KEY not in json.dumps(api.get(f"/api/sessions/{sid}").json)
    assert KEY not in json.dumps(api.get("/api/sessions").json)
    # Encrypted at rest: the stored item does not contain the key.
    stored = next(iter(WaSessionModel.scan(WaSessionModel.session_id == sid)))
    assert KEY not in json.dumps(stored.serialize())
    assert stored.license_sealed and stored.license_last4 == "AB12"
    # The number restarts with its key so it applies.
    pushed = _starts(kit)[starts:]
    assert [(f["session_id"], f["license_key"]) for f in pushed] == [(sid, KEY)]
    # A reconnecting agent gets it in sync too.
    frames = kit.agent.send(
        {
            "type": "hello",
            "agent_version": "1",
            "max_sessions": 10,
            "sessions": [{"session_id": sid, "state": "connected"}],
        }
    )
    sync = next(f for f in frames if f["type"] == "sync")
    assert sync["sessions"] == [{"session_id": sid, "desired": "running", "license_key": KEY}]
    # Never in a log line, though the setting and the sync were logged.
    assert '"licence key set"' in app_log.getvalue()
    assert KEY not in app_log.getvalue()

    replaced = api.request("PUT", f"/api/sessions/{sid}/license", {"license_key": "NEWKEY-9999"})
    assert replaced.json["license"]["masked"] == "••••9999"
    assert _starts(kit)[-1]["license_key"] == "NEWKEY-9999"

    removed = api.delete(f"/api/sessions/{sid}/license")
    assert removed.status == 200 and removed.json["license"]["set"] is False
    assert "license_key" not in _starts(kit)[-1]
    assert api.delete(f"/api/sessions/{sid}/license").status == 200  # idempotent


def test_licence_input_is_checked_and_tenancy_holds(kit: Setup, api: Api) -> None:
    from tests.functional.conftest import register_and_login

    sid = kit.session_id
    for bad in ("", "has space", "line\nbreak", "x" * 201):
        reply = api.request("PUT", f"/api/sessions/{sid}/license", {"license_key": bad})
        assert reply.status == 422, bad
    assert api.request("PUT", f"/api/sessions/{sid}/license", {}).status == 422
    other = register_and_login(api)["token"]
    assert (
        api.request(
            "PUT", f"/api/sessions/{sid}/license", {"license_key": KEY}, token=other
        ).error_code
        == "not_found"
    )
    assert api.delete(f"/api/sessions/{sid}/license", token=other).status == 404
    assert api.get(f"/api/sessions/{sid}").json["license"]["set"] is False


def test_vault_binds_ciphertext_to_its_number_and_supports_kms(monkeypatch: Any) -> None:
    import base64
    import os

    from moto import mock_aws

    from chalicelib import aws
    from chalicelib.sessions import vault

    monkeypatch.setenv("WACAST_SECRETS_KEY", base64.b64encode(os.urandom(32)).decode())
    vault.reset()
    sealed = vault.seal(KEY, "u1#ses_a")
    assert KEY not in sealed and vault.open_(sealed, "u1#ses_a") == KEY
    with pytest.raises(vault.VaultError):
        vault.open_(sealed, "u1#ses_b")  # copied onto another number
    monkeypatch.setenv("WACAST_SECRETS_KEY", base64.b64encode(os.urandom(32)).decode())
    vault.reset()
    with pytest.raises(vault.VaultError):
        vault.open_(sealed, "u1#ses_a")  # another key

    with mock_aws():
        aws.reset_clients()
        key_id = aws.client("kms").create_key()["KeyMetadata"]["KeyId"]
        monkeypatch.setenv("WACAST_KMS_KEY_ID", key_id)
        vault.reset()
        sealed = vault.seal(KEY, "u1#ses_a")
        assert sealed.startswith("k1:") and vault.open_(sealed, "u1#ses_a") == KEY
        with pytest.raises(vault.VaultError):
            vault.open_(sealed, "u1#ses_b")
    aws.reset_clients()
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "api")
    monkeypatch.delenv("WACAST_KMS_KEY_ID")
    monkeypatch.delenv("WACAST_SECRETS_KEY")
    vault.reset()
    from chalicelib.errors import ServiceUnavailable

    with pytest.raises(ServiceUnavailable):
        vault.cipher()  # in Lambda a key must be configured
    vault.reset()


# --- send refusals ------------------------------------------------------------------------


def _queued_emails() -> list[dict[str, Any]]:
    from chalicelib import aws, queues

    sqs = aws.client("sqs")
    found: list[dict[str, Any]] = []
    for _ in range(10):
        batch = sqs.receive_message(
            QueueUrl=queues.queue_url(queues.EMAIL), MaxNumberOfMessages=10, VisibilityTimeout=60
        ).get("Messages", [])
        if not batch:
            break
        found += [json.loads(m["Body"]) for m in batch]
    return found


def _fail(kit: Setup, messages: list[dict[str, Any]], reason: str, detail: str | None = None):
    items = []
    for m in messages:
        item = {
            "campaign_id": m["campaign_id"],
            "phone": m["phone"],
            "session_id": kit.session_id,
            "outcome": "failed",
            "reason": reason,
            "ts": int(time.time() * 1000),
        }
        if detail:
            item["detail"] = detail
        items.append(item)
    return kit.agent.send({"type": "results", "items": items})


def test_licence_wall_pauses_once_then_retry_sends_after_a_key(kit: Setup, api: Api) -> None:
    add_contacts(api, 4)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    batch = kit.pull(2)
    wall = "ERROR: Not a contact. Unlock this feature … https://get.openwa.dev/l/14155550000"
    _fail(kit, batch[:1], "needs_license", wall)
    detail = api.get(f"/api/campaigns/{cid}").json
    assert detail["status"] == "paused" and detail["pause_reason"] == "needs_license"
    failed = api.get(f"/api/campaigns/{cid}/messages?status=failed").json["items"]
    assert [(m["reason"], m["detail"]) for m in failed] == [("needs_license", wall)]
    export = api.get(f"/api/campaigns/{cid}/export")
    assert "needs_license" in export.body.decode() and "get.openwa.dev" in export.body.decode()
    notices = [
        n
        for n in api.get("/api/notifications").json["items"]
        if n["kind"] == "campaign_needs_license"
    ]
    assert len(notices) == 1
    assert notices[0]["session_id"] == kit.session_id
    assert "chatted with it" in notices[0]["body"] and "contacts" in notices[0]["body"]
    emails = _queued_emails()
    wall_mail = [e for e in emails if e["kind"] == "campaign_needs_license"]
    assert len(wall_mail) == 1 and f"/sessions/{kit.session_id}" in wall_mail[0]["text"]

    # Without a key, needs_license is not retried.
    assert api.post(f"/api/campaigns/{cid}/retry-failed").json == {"requeued": 0}
    # The user resumes anyway (existing chats only): a second wall hit does not pause again.
    assert api.post(f"/api/campaigns/{cid}/resume").status == 200
    second = kit.pull(1)
    _fail(kit, second, "needs_license", wall)
    assert api.get(f"/api/campaigns/{cid}").json["status"] == "running"
    kinds = [n["kind"] for n in api.get("/api/notifications").json["items"]]
    assert kinds.count("campaign_needs_license") == 1

    # With a key on the number, retry-failed sends them again.
    api.request("PUT", f"/api/sessions/{kit.session_id}/license", {"license_key": KEY})
    assert api.post(f"/api/campaigns/{cid}/retry-failed").json == {"requeued": 2}
    again = kit.pull(10)
    assert {m["phone"] for m in batch[:1] + second} <= {m["phone"] for m in again}
    kit.results(again)
    retried = api.get(f"/api/campaigns/{cid}/messages?status=sent").json["items"]
    assert all(m["detail"] is None and m["reason"] is None for m in retried)


def _wall_notices(api: Api, kind: str) -> list[dict[str, Any]]:
    return [n for n in api.get("/api/notifications").json["items"] if n["kind"] == kind]


def _restart_with_key(kit: Setup, api: Api, key: str = KEY) -> None:
    """The user sets a key; the agent restarts the number with it and it connects again."""
    assert (
        api.request("PUT", f"/api/sessions/{kit.session_id}/license", {"license_key": key}).status
        == 200
    )
    kit.report("starting")
    kit.report("connected", phone="+14155550000")


def test_a_key_that_does_not_lift_the_wall_pauses_the_campaign_again(kit: Setup, api: Api) -> None:
    add_contacts(api, 6)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    _fail(kit, kit.pull(1), "needs_license", "ERROR: Not a contact.")
    assert api.get(f"/api/campaigns/{cid}").json["pause_reason"] == "needs_license"
    _queued_emails()  # the first pause's mail, checked by the test above

    # A key bought for another number: the number restarts with it, the user resumes ...
    _restart_with_key(kit, api, "KEY-FOR-ANOTHER-NUMBER")
    assert api.post(f"/api/campaigns/{cid}/resume").status == 200
    # ... and the wall is still there: the campaign pauses again instead of failing all.
    _fail(kit, kit.pull(1), "needs_license", "ERROR: Not a contact.")
    detail = api.get(f"/api/campaigns/{cid}").json
    assert detail["status"] == "paused" and detail["pause_reason"] == "license_rejected"
    assert detail["counters"]["failed"] == 2 and detail["counters"]["pending"] == 4
    (notice,) = _wall_notices(api, "campaign_license_rejected")
    assert notice["session_id"] == kit.session_id and notice["campaign_id"] == cid
    assert "did not work" in notice["title"]
    assert "The licence key set on Shop did not unlock messaging new contacts." in notice["body"]
    assert "bought for this number" in notice["body"]
    assert len(_wall_notices(api, "campaign_needs_license")) == 1  # the first one only
    (mail,) = [e for e in _queued_emails() if e["kind"] == "campaign_license_rejected"]
    assert "bought for this number" in mail["text"]
    assert f"/sessions/{kit.session_id}" in mail["text"]

    # Resumed anyway with that key: it is not paused a third time for the same key.
    assert api.post(f"/api/campaigns/{cid}/resume").status == 200
    _fail(kit, kit.pull(1), "needs_license")
    assert api.get(f"/api/campaigns/{cid}").json["status"] == "running"
    assert len(_wall_notices(api, "campaign_license_rejected")) == 1

    # The right key: retry-failed sends the walled messages again.
    assert api.post(f"/api/campaigns/{cid}/pause").status == 200
    _restart_with_key(kit, api)
    assert api.post(f"/api/campaigns/{cid}/retry-failed").json == {"requeued": 3}
    assert api.post(f"/api/campaigns/{cid}/resume").status == 200
    kit.results(kit.pull(10))
    detail = api.get(f"/api/campaigns/{cid}").json
    assert detail["status"] == "completed" and detail["counters"]["sent"] == 6


def test_a_send_from_before_the_key_took_effect_does_not_pause_again(kit: Setup, api: Api) -> None:
    add_contacts(api, 6)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    _fail(kit, kit.pull(1), "needs_license")
    assert api.post(f"/api/campaigns/{cid}/resume").status == 200
    before_key = kit.pull(1)  # leased while the number had no key
    assert (
        api.request("PUT", f"/api/sessions/{kit.session_id}/license", {"license_key": KEY}).status
        == 200
    )
    # Leased after the key was set but sent before the agent restarted the number with it.
    _fail(kit, kit.pull(1), "needs_license")
    assert api.get(f"/api/campaigns/{cid}").json["status"] == "running"
    kit.report("starting")
    kit.report("connected", phone="+14155550000")
    # A result from before the key arrives late: it went out without the key, so it
    # says nothing about it and the campaign goes on.
    _fail(kit, before_key, "needs_license")
    detail = api.get(f"/api/campaigns/{cid}").json
    assert detail["status"] == "running" and detail["counters"]["failed"] == 3
    assert _wall_notices(api, "campaign_license_rejected") == []

    # A send leased after the number restarted with the key does say the key failed.
    _fail(kit, kit.pull(1), "needs_license")
    assert api.get(f"/api/campaigns/{cid}").json["status"] == "paused"
    assert len(_wall_notices(api, "campaign_license_rejected")) == 1


def test_licence_wall_failures_do_not_count_as_a_failing_number(kit: Setup, api: Api) -> None:
    add_contacts(api, 23)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    _fail(kit, kit.pull(1), "needs_license")
    assert api.post(f"/api/campaigns/{cid}/resume").status == 200
    _fail(kit, kit.pull(21), "needs_license")  # the user goes on for existing chats only
    detail = api.get(f"/api/campaigns/{cid}").json
    assert detail["status"] == "running", detail["pause_reason"]
    assert detail["counters"]["failed"] == 22
    kit.results(kit.pull(1))
    assert api.get(f"/api/campaigns/{cid}").json["status"] == "completed"


def test_other_reasons_are_stored_and_unknown_keeps_the_engines_words(kit: Setup, api: Api) -> None:
    add_contacts(api, 4)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    batch = kit.pull(4)
    _fail(kit, batch[:1], "no_chats")
    _fail(kit, batch[1:2], "broadcast_refused")
    _fail(kit, batch[2:3], "restricted")
    _fail(kit, batch[3:], "unknown", "Error: something new in OpenWA 4.77")
    by_phone = {
        m["phone"]: (m["reason"], m["detail"])
        for m in api.get(f"/api/campaigns/{cid}/messages?status=failed").json["items"]
    }
    assert by_phone == {
        batch[0]["phone"]: ("no_chats", None),
        batch[1]["phone"]: ("broadcast_refused", None),
        batch[2]["phone"]: ("restricted", None),
        batch[3]["phone"]: ("unknown", "Error: something new in OpenWA 4.77"),
    }
    # restricted is worth retrying; the others are not.
    assert api.post(f"/api/campaigns/{cid}/retry-failed").json == {"requeued": 1}


def test_an_images_late_message_id_lets_acks_match(kit: Setup, api: Api) -> None:
    add_contacts(api, 1)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    (message,) = kit.pull(1)
    sent = {
        "campaign_id": cid,
        "phone": message["phone"],
        "session_id": kit.session_id,
        "outcome": "sent",
        "ts": int(time.time() * 1000),
    }
    kit.agent.send({"type": "results", "items": [sent]})  # sendImage answered `true`
    assert counters(api, cid)["sent"] == 1
    wa_id = f"true_{message['phone'][1:]}@c.us_3EB0AAAA"
    kit.agent.send({"type": "results", "items": [{**sent, "wa_message_id": wa_id}]})
    assert counters(api, cid)["sent"] == 1  # counted once
    kit.agent.send({"type": "results", "items": [{**sent, "wa_message_id": "other-id"}]})
    kit.acks([wa_id], 3)
    (read,) = api.get(f"/api/campaigns/{cid}/messages").json["items"]
    assert read["status"] == "read"


# --- restricted and failed numbers --------------------------------------------------------


def test_restricted_number_pauses_its_campaigns_and_says_why(kit: Setup, api: Api) -> None:
    add_contacts(api, 3)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    until = int(time.time() * 1000) + 3 * 3600_000
    kit.report("restricted", restricted_until=until, reason="reachout_timelock")
    number = api.get(f"/api/sessions/{kit.session_id}").json
    assert number["status"] == "restricted" and number["restricted_until"] == until
    assert number["status_reason_text"].startswith(
        "WhatsApp is not letting this number start new chats until "
    )
    campaign = api.get(f"/api/campaigns/{cid}").json
    assert campaign["status"] == "paused" and campaign["pause_reason"] == "session_restricted"
    kinds = [n["kind"] for n in api.get("/api/notifications").json["items"]]
    assert "session_restricted" in kinds and "campaign_paused" in kinds
    assert kit.pull(3) == []  # nothing leased while restricted

    kit.report("connected", phone="+14155550000")
    number = api.get(f"/api/sessions/{kit.session_id}").json
    assert number["status"] == "connected"
    assert number["restricted_until"] is None and number["status_reason_text"] is None


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("whatsapp_unreachable", "This machine cannot reach WhatsApp Web (network or DNS"),
        ("browser_missing", "browser that runs WhatsApp Web is not installed"),
        ("profile_locked", "still holding its browser profile"),
        ("something_new", "WhatsApp Web did not start on this machine."),
    ],
)
def test_start_failure_reasons_read_as_a_sentence(
    api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement, reason: str, words: str
) -> None:
    agent = online_agent(chalice_app, fake)
    sid = api.post("/api/sessions", {"label": "Shop"}).json["session_id"]
    report(agent, sid, "failed", reason=reason, detail="net::ERR_NAME_NOT_RESOLVED")
    number = api.get(f"/api/sessions/{sid}").json
    assert number["status"] == "failed"
    assert words in number["status_reason_text"]
    assert number["last_error"] == "net::ERR_NAME_NOT_RESOLVED"
    notice = next(
        n for n in api.get("/api/notifications").json["items"] if n["kind"] == "session_failed"
    )
    assert words in notice["body"]


# --- issue 12: limits and trust -----------------------------------------------------------


def test_parallel_adds_on_free_give_exactly_one_number(
    api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement
) -> None:
    online_agent(chalice_app, fake, capacity=20)

    def add(i: int) -> int:
        return api.post("/api/sessions", {"label": f"N{i}"}).status

    with ThreadPoolExecutor(5) as pool:
        statuses = sorted(pool.map(add, range(5)))
    assert statuses.count(201) == 1, statuses
    assert len(api.get("/api/sessions").json["items"]) == 1
    # Deleting frees the slot for the next one.
    (only,) = api.get("/api/sessions").json["items"]
    assert api.delete(f"/api/sessions/{only['session_id']}").status == 204
    assert api.post("/api/sessions", {"label": "again"}).status == 201
    assert api.post("/api/sessions", {"label": "one too many"}).status != 201


def test_an_add_that_lands_between_anothers_check_and_write_is_refused(
    api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement, monkeypatch: Any
) -> None:
    """The race forced, not hoped for: a second add completes after the first checked the
    Free plan's limit (0 of 1 used) and before it wrote; the first must then be refused."""
    from chalicelib.models.agents import AgentModel
    from chalicelib.sessions import limits, service

    online_agent(chalice_app, fake, capacity=20)
    real_check = limits.check
    calls: list[int] = []

    def check(user_id: str, current: int) -> None:
        calls.append(current)
        if len(calls) == 2:  # the HTTP add, past its first check, about to write
            service.create(user_id, "Sneaked in")
        real_check(user_id, current)

    monkeypatch.setattr(limits, "check", check)
    reply = api.post("/api/sessions", {"label": "Shop"})
    assert reply.status == 409 and reply.error_code == "plan_limit_reached", reply.json
    assert [s["label"] for s in api.get("/api/sessions").json["items"]] == ["Sneaked in"]
    # The refused add gave its agent slot back.
    assert sum(a.session_count or 0 for a in AgentModel.scan()) == 1


def test_agent_cannot_report_cloud_owned_states(
    api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement
) -> None:
    agent = online_agent(chalice_app, fake)
    sid = api.post("/api/sessions", {"label": "Shop"}).json["session_id"]
    report(agent, sid, "connected", phone="+14155550000")
    for state in ("deleted", "stopped", "agent_offline"):
        report(agent, sid, state)
        agent.send(
            {
                "type": "hello",
                "agent_version": "1",
                "max_sessions": 5,
                "sessions": [{"session_id": sid, "state": state}],
            }
        )
        listed = api.get("/api/sessions").json["items"]
        assert [(s["session_id"], s["status"]) for s in listed] == [(sid, "connected")], state


def test_results_only_for_messages_leased_to_that_session(
    kit: Setup, api: Api, chalice_app: Any, fake: FakeManagement
) -> None:
    add_contacts(api, 2)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    (leased,) = kit.pull(1)
    pending_phone = next(
        m["phone"] for m in api.get(f"/api/campaigns/{cid}/messages?status=pending").json["items"]
    )
    kit.results([{"campaign_id": cid, "phone": pending_phone}])
    assert counters(api, cid)["pending"] == 1 and counters(api, cid)["sent"] == 0
    statuses = {
        m["phone"]: m["status"] for m in api.get(f"/api/campaigns/{cid}/messages").json["items"]
    }
    assert statuses[pending_phone] == "pending"
    kit.results([leased])
    assert counters(api, cid)["sent"] == 1


def test_a_late_result_for_an_expired_lease_still_counts_so_nobody_gets_it_twice(
    kit: Setup, api: Api
) -> None:
    from chalicelib.campaigns import sweeps
    from chalicelib.models.campaigns import CampaignMessageModel

    add_contacts(api, 2)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    (slow,) = kit.pull(1)
    CampaignMessageModel(cid, slow["phone"]).update(
        actions=[CampaignMessageModel.lease_until.set(1)]
    )
    assert sweeps.sweep_leases() == 1  # the lease ran out while the image uploaded
    kit.results([slow])  # ... and then the send was confirmed
    assert counters(api, cid)["sent"] == 1 and counters(api, cid)["pending"] == 1
    (other,) = kit.pull(10)
    assert other["phone"] != slow["phone"]  # not leased (and sent) a second time


def test_rotation_and_deletion_cut_the_live_connection(
    api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement
) -> None:
    from chalicelib.agents import registry

    agent = online_agent(chalice_app, fake)
    sid = api.post("/api/sessions", {"label": "Shop"}).json["session_id"]
    report(agent, sid, "connected", phone="+14155550000")
    agent_id = registry.authenticate(agent.token).agent_id
    user_token = api.token
    api.token = admin_token(api)

    rotated = api.post(f"/api/admin/agents/{agent_id}/rotate-token")
    assert rotated.status == 200
    assert agent.connection_id in fake.closed
    assert registry.get_agent(agent_id).connection_id is None
    before = len(fake.sent)
    from chalicelib.campaigns import service as campaigns

    campaigns.wake(user["user"]["user_id"], [sid])
    assert all(c != agent.connection_id for c, _ in fake.sent[before:])
    # Frames on the cut connection speak for no agent.
    replies = report(agent, sid, "disconnected")
    assert any(f.get("code") == "not_connected" for f in replies)
    api.token = user_token
    assert api.get(f"/api/sessions/{sid}").json["status"] == "connected"

    # A new connection with the new token, then deletion of the agent.
    agent.token = rotated.json["token"]
    agent.connection_id = "conn-after-rotation"
    assert agent.connect() == 200
    api.token = admin_token(api)
    assert api.delete(f"/api/admin/agents/{agent_id}").status == 204
    assert "conn-after-rotation" in fake.closed
    assert registry.authenticate(rotated.json["token"]) is None
    assert agent.connect() == 403
    api.token = user_token
    assert api.get(f"/api/sessions/{sid}").json["status"] == "agent_offline"


def test_admin_shows_each_agents_openwa_version(
    api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement
) -> None:
    agent = online_agent(chalice_app, fake)
    agent.send(
        {
            "type": "hello",
            "agent_version": "1.0",
            "max_sessions": 5,
            "sessions": [],
            "openwa_version": "4.76.0",
        }
    )
    api.token = admin_token(api)
    (listed,) = api.get("/api/admin/agents").json["items"]
    assert listed["openwa_version"] == "4.76.0"
    agent.send(
        {
            "type": "heartbeat",
            "sessions_running": 0,
            "rss_bytes": 1,
            "cpu_percent": 0,
            "uptime_s": 1,
            "openwa_version": "4.76.1",
        }
    )
    assert api.get("/api/admin/agents").json["items"][0]["openwa_version"] == "4.76.1"


def test_every_start_failure_reason_has_words() -> None:
    from chalicelib.sessions import reasons
    from wacast_protocol import StartFailReason

    for reason in StartFailReason:
        text = reasons.status_text("failed", reason.value)
        assert text and text == reasons.START_FAILURES[reason.value], reason
        assert "_" not in text  # words, not codes
    assert reasons.status_text("connected", None) is None
    assert reasons.status_text("restricted", None, None) == (
        "WhatsApp is not letting this number start new chats for a while. "
        "Chats that already exist still work."
    )
