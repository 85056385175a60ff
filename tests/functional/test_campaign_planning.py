"""Honest campaigns through the API: launch in the background, launch summary and partial
send, the forecast, why a number waits, edits while paused, the 4,096-character limit."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.billing.fixtures import billing_fixture  # noqa: F401  (fixture)
from tests.functional.agentlink import FakeManagement
from tests.functional.campaignkit import Setup, add_contacts, launch_all
from tests.functional.conftest import Api


@pytest.fixture
def kit(api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement) -> Setup:
    return Setup(api, chalice_app, fake)


def user_id(api: Api) -> str:
    return str(api.get("/api/me").json["user_id"])


def test_schedule_answers_at_once_and_the_worker_launches(kit: Setup, api: Api) -> None:
    add_contacts(api, 4)
    cid = kit.campaign()["campaign_id"]
    reply = api.post(f"/api/campaigns/{cid}/schedule")
    assert reply.status == 202
    assert reply.json["status"] == "preparing"
    assert reply.json["launch_progress"]["stage"] == "checking"
    assert reply.json["numbers"][0]["state"] == "preparing"
    assert api.patch(f"/api/campaigns/{cid}", {"name": "x"}).status == 409
    assert api.post(f"/api/campaigns/{cid}/schedule").status == 409  # already on its way
    launch_all(kit.client)
    detail = api.get(f"/api/campaigns/{cid}").json
    assert detail["status"] == "running" and detail["counters"]["total"] == 4
    assert detail["launch_progress"] == {
        "stage": "done", "checked": 4, "recipients": 4, "queued": 4, "total": 4,
    }  # fmt: skip
    assert detail["launch_problem"] is None
    assert len(kit.pull()) == 4


def test_worker_problems_return_the_campaign_to_draft_with_a_report(kit: Setup, api: Api) -> None:
    add_contacts(api, 2, tag="other")
    empty = kit.campaign()["campaign_id"]  # audience: tag vip, nobody has it
    assert api.post(f"/api/campaigns/{empty}/schedule").status == 202
    launch_all(kit.client)
    back = api.get(f"/api/campaigns/{empty}").json
    assert back["status"] == "draft" and back["launch_problem"]["code"] == "empty_audience"
    notices = [n["kind"] for n in api.get("/api/notifications").json["items"]]
    assert "campaign_not_launched" in notices
    # Fixing it and launching again clears the report.
    api.patch(f"/api/campaigns/{empty}", {"audience": {"tags": ["other"]}})
    assert api.post(f"/api/campaigns/{empty}/schedule").json["launch_problem"] is None
    launch_all(kit.client)
    assert api.get(f"/api/campaigns/{empty}").json["status"] == "running"


def test_launch_summary_and_send_to_the_first_n_then_retry_the_rest(kit: Setup, api: Api) -> None:
    from chalicelib.billing import accounts, quota

    phones = add_contacts(api, 12)
    quota.reserve(user_id(api), 95, "another-campaign")  # 5 of the free 100 remain
    minute = {"min_gap_s": 60, "max_gap_s": 60, "daily_cap": 10000, "warmup": False}
    cid = kit.campaign(pacing=minute)["campaign_id"]
    summary = api.get(f"/api/campaigns/{cid}/launch-summary").json
    assert summary["audience"] == {
        "selected": 12, "opted_out": 0, "missing_variables": 0, "recipients": 12, "exact": True,
    }  # fmt: skip
    assert summary["quota"] == {"needed": 12, "remaining": 5, "short_by": 7, "unlimited": False}
    assert summary["send_to_first_max"] == 5 and not summary["can_launch"]
    # One a minute on one number: the first 5 are done 4 minutes after the first, all 12 in 11.
    first = summary["first_message_at"]
    assert summary["send_to_first_finish_at"] - first == 4 * 60_000
    assert summary["finish_at"] - first == 11 * 60_000
    assert [p["code"] for p in summary["problems"]] == ["quota_short"]
    assert (
        summary["numbers"][0]["connected"] and summary["finish_at"] >= summary["first_message_at"]
    )

    assert api.post(f"/api/campaigns/{cid}/schedule", {"send_to_first": 0}).status == 422
    api.post(f"/api/campaigns/{cid}/schedule", {"send_to_first": 5})
    launch_all(kit.client)
    detail = api.get(f"/api/campaigns/{cid}").json
    assert detail["status"] == "running" and detail["send_limit"] == 5
    c = detail["counters"]
    assert (c["total"], c["pending"], c["skipped"]) == (12, 5, 7)
    skipped = api.get(f"/api/campaigns/{cid}/messages?status=skipped").json["items"]
    assert {m["reason"] for m in skipped} == {"quota"}
    batch = kit.pull()
    assert sorted(m["phone"] for m in batch) == phones[:5]  # the first five, in order
    kit.results(batch)
    assert api.get(f"/api/campaigns/{cid}").json["status"] == "completed"
    assert api.post(f"/api/campaigns/{cid}/retry-failed").status == 409  # quota still short

    accounts.grant_plan(user_id(api), "starter")
    assert api.post(f"/api/campaigns/{cid}/retry-failed").json == {"requeued": 7}
    again = api.get(f"/api/campaigns/{cid}").json
    assert again["status"] == "running" and again["counters"]["pending"] == 7
    assert sorted(m["phone"] for m in kit.pull()) == phones[5:]


def test_a_paused_campaign_takes_edits_of_pace_message_and_unchanged_fields(
    kit: Setup, api: Api
) -> None:
    add_contacts(api, 3)
    created = kit.campaign(send_at=None)
    cid = created["campaign_id"]
    kit.launch(cid)
    api.post(f"/api/campaigns/{cid}/pause")
    slower = {"min_gap_s": 30, "max_gap_s": 90, "daily_cap": 150, "warmup": True}
    reply = api.patch(f"/api/campaigns/{cid}", {"pacing": slower})
    assert reply.status == 200 and reply.json["pacing"]["max_gap_s"] == 90
    assert (
        api.patch(f"/api/campaigns/{cid}", {"template": "New text {{first_name|}}"}).status == 200
    )
    current = api.get(f"/api/campaigns/{cid}").json
    whole_form = {
        "name": current["name"],
        "template": current["template"],
        "audience": {"tags": ["vip"], "all": False},
        "session_ids": current["session_ids"],
        "send_at": None,  # "as soon as I launch it": it was
        "timezone": current["timezone"],
        "pacing": {**slower, "quiet_start": "22:00", "quiet_end": "07:00"},
    }
    reply = api.patch(f"/api/campaigns/{cid}", whole_form)
    assert reply.status == 200, reply.json
    assert reply.json["pacing"]["quiet_start"] == "22:00"
    # The start time as the form shows it (local, to the minute) is no change either.
    stored = api.get(f"/api/campaigns/{cid}").json["send_at"]
    shown = datetime.fromtimestamp(stored / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M")
    same_time = api.patch(f"/api/campaigns/{cid}", {**whole_form, "send_at": shown})
    assert same_time.status == 200, same_time.json
    assert same_time.json["send_at"] == stored
    changed = api.patch(f"/api/campaigns/{cid}", {"audience": {"all": True}})
    assert changed.status == 409 and changed.error_code == "not_editable"
    assert changed.json["error"]["details"] == {"fields": ["audience"]}
    resumed = api.post(f"/api/campaigns/{cid}/resume").json
    assert resumed["status"] == "running"
    frames = kit.agent.send({"type": "pull", "session_id": kit.session_id, "max": 100})
    leased = next(f for f in frames if f["type"] == "batch")
    batch = leased["messages"]
    assert batch and all(m["text"].startswith("New text") for m in batch)
    # The pending messages go out at the new pace (the agent paces by the batch's).
    assert (leased["pacing"]["min_gap_s"], leased["pacing"]["max_gap_s"]) == (30, 90)
    assert leased["pacing"]["daily_cap"] == 150 and leased["pacing"]["quiet_start"] == "22:00"


def test_the_4096_character_limit_is_refused_in_words(kit: Setup, api: Api) -> None:
    add_contacts(api, 1)
    cid = kit.campaign(template="x" * 5000)["campaign_id"]  # a draft may hold it
    reply = api.post(f"/api/campaigns/{cid}/schedule")
    assert reply.status == 422 and reply.error_code == "message_too_long"
    assert "5,000 characters" in reply.json["error"]["message"]
    assert "904" in reply.json["error"]["message"]
    assert api.get(f"/api/campaigns/{cid}").json["status"] == "draft"
    summary = api.get(f"/api/campaigns/{cid}/launch-summary").json
    assert "message_too_long" in [p["code"] for p in summary["problems"]]
    # Within the limit as written, over it once a long name is filled in: caught at launch.
    api.post("/api/contacts", {"phone": "+14155559000", "first_name": "N" * 200, "tags": ["vip"]})
    long_one = kit.campaign(template="y" * 4000 + "{{first_name}}")["campaign_id"]
    api.post(f"/api/campaigns/{long_one}/schedule")
    launch_all(kit.client)
    problem = api.get(f"/api/campaigns/{long_one}").json["launch_problem"]
    assert problem["code"] == "message_too_long"
    assert [(a["phone"], a["length"]) for a in problem["details"]["affected"]] == [
        ("+14155559000", 4200)
    ]
    # A paused campaign is live: the limit applies to its edits.
    ok = kit.campaign()["campaign_id"]
    kit.launch(ok)
    api.post(f"/api/campaigns/{ok}/pause")
    assert api.patch(f"/api/campaigns/{ok}", {"template": "z" * 4097}).status == 422


def test_forecast_for_the_composer_and_for_a_campaign(kit: Setup, api: Api) -> None:
    add_contacts(api, 6)
    body = {
        "session_ids": [kit.session_id],
        "audience": {"tags": ["vip"]},
        "pacing": {"min_gap_s": 20, "max_gap_s": 60, "daily_cap": 200, "warmup": True},
        "timezone": "America/Sao_Paulo",
    }
    reply = api.post("/api/campaigns/forecast", body)
    assert reply.status == 200, reply.json
    assert reply.json["audience"]["recipients"] == 6 and reply.json["audience"]["exact"]
    forecast = reply.json["forecast"]
    assert forecast["recipients"] == 6 and forecast["numbers"][0]["warmup_day"] == 1
    # 6 messages, 40 s apart on average: the last 200 s after the first.
    assert forecast["finish_at"] - forecast["first_message_at"] == 200_000
    faster = api.post(
        "/api/campaigns/forecast",
        {**body, "recipients": 60, "pacing": {**body["pacing"], "warmup": False},
         "deadline": "2020-01-01T00:00"},
    ).json["forecast"]  # fmt: skip
    assert faster["recipients"] == 60 and faster["deadline"]["met"] is False
    missing = api.post("/api/campaigns/forecast", {"session_ids": [kit.session_id]})
    assert missing.status == 422 and "Choose who receives it" in missing.json["error"]["message"]

    cid = kit.campaign(
        pacing={"min_gap_s": 10, "max_gap_s": 10, "daily_cap": 500, "warmup": False}
    )["campaign_id"]
    draft = api.get(f"/api/campaigns/{cid}/forecast").json
    assert draft["recipients"] == 6 and draft["duration_s"] == 50
    kit.launch(cid)
    kit.results(kit.pull(2))
    running = api.get(f"/api/campaigns/{cid}").json
    assert running["finish_at"] and running["eta_s"] is not None and running["eta_s"] <= 40
    assert api.get(f"/api/campaigns/{cid}/forecast").json["recipients"] == 4


def _set_session(user: str, session_id: str, **values: Any) -> None:
    from chalicelib.models.sessions import WaSessionModel

    session = WaSessionModel.get(user, session_id)
    session.update(actions=[getattr(WaSessionModel, k).set(v) for k, v in values.items()])


def test_why_it_waits_per_number(kit: Setup, api: Api) -> None:
    from chalicelib.campaigns.planning import now_dt, utc_today

    add_contacts(api, 3)
    cid = kit.campaign(pacing={"min_gap_s": 20, "max_gap_s": 60, "daily_cap": 200, "warmup": True})[
        "campaign_id"
    ]
    kit.launch(cid)

    def state() -> dict[str, Any]:
        return dict(api.get(f"/api/campaigns/{cid}").json["numbers"][0])

    assert state()["state"] == "waiting_gap"
    kit.pull(1)
    assert state()["state"] == "sending"
    now = int(time.time() * 1000)
    uid = user_id(api)
    # Its first day: 20 sent today means the warm-up room is used up until the next UTC
    # midnight or the number's next warm-up day, whichever comes first.
    _set_session(uid, kit.session_id, sent_day=utc_today(now_dt()), sent_today=20,
                 first_connected_at=now - 3_600_000)  # fmt: skip
    waiting = state()
    assert waiting["state"] == "warmup_limit"
    next_midnight = (now // 86_400_000 + 1) * 86_400_000
    assert waiting["until"] == min(next_midnight, now - 3_600_000 + 86_400_000)
    assert kit.pull() == []  # the pipeline agrees: nothing is leased
    listed = api.get("/api/campaigns").json["items"][0]
    assert listed["numbers"][0]["state"] == "warmup_limit"
    # A seasoned number at its own daily cap.
    _set_session(uid, kit.session_id, sent_today=200, first_connected_at=now - 30 * 86_400_000)
    assert state()["state"] == "daily_cap" and state()["until"] == next_midnight
    _set_session(uid, kit.session_id, sent_today=0, backoff_until=now + 600_000)
    assert state()["state"] == "backing_off" and state()["until"] == now + 600_000
    _set_session(uid, kit.session_id, backoff_until=0)
    kit.report("disconnected")
    assert state() | {"until": None} == {
        "session_id": kit.session_id, "label": "Shop", "state": "offline",
        "until": None, "detail": "disconnected",
    }  # fmt: skip
    kit.report("connected")
    api.post(f"/api/campaigns/{cid}/pause")
    assert state()["state"] == "paused" and state()["detail"] == "paused_by_user"


def test_checkout_can_return_to_the_campaign(billing: Any, user: dict[str, Any], api: Api) -> None:
    back = "/campaigns/cmp_0123456789abcdef"
    reply = api.post("/api/billing/checkout", {"plan": "starter", "return_to": back})
    assert reply.status == 200, reply.json
    session = billing.fake.sessions[reply.json["url"].rsplit("/", 1)[1]]
    assert session["success_url"].startswith("http") and (
        f"{back}?checkout=success&session_id=" in session["success_url"]
    )
    assert session["cancel_url"].endswith(f"{back}?checkout=cancelled")
    for elsewhere in ("//evil.example/x", "https://evil.example", "campaigns/x"):
        refused = api.post("/api/billing/checkout", {"plan": "starter", "return_to": elsewhere})
        assert refused.status == 422, elsewhere


def _emails() -> list[dict[str, Any]]:
    """Emails queued so far (taken off the queue)."""
    import json

    from chalicelib import aws, queues

    sqs, url = aws.client("sqs"), queues.queue_url(queues.EMAIL)
    found: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return found
        for message in batch:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_campaign_emails_follow_the_users_settings(kit: Setup, api: Api) -> None:
    assert api.get("/api/notification-settings").json == {
        "campaign_started": True, "campaign_paused": True,
        "campaign_finished": True, "campaign_waiting": True,
    }  # fmt: skip
    reply = api.put("/api/notification-settings", {"campaign_started": False})
    assert reply.status == 200 and reply.json["campaign_started"] is False
    assert api.put("/api/notification-settings", {"campaign_start": True}).status == 422
    _emails()
    add_contacts(api, 3)
    first = kit.campaign()["campaign_id"]
    kit.launch(first)
    kinds = [n["kind"] for n in api.get("/api/notifications").json["items"]]
    assert "campaign_started" in kinds  # in the app always
    assert not [e for e in _emails() if e["kind"] == "campaign_started"]
    batch = kit.pull()
    kit.results(batch[:2])
    kit.results(batch[2:], outcome="failed", reason="not_on_whatsapp")
    finished = [e for e in _emails() if e["kind"] == "campaign_completed"]
    assert len(finished) == 1
    assert "3 recipients: 2 sent, 0 delivered, 0 read, 0 replied; 1 failed." in finished[0]["text"]

    api.put("/api/notification-settings", {"campaign_started": True})
    second = kit.campaign(name="Second")["campaign_id"]
    kit.launch(second)
    started = [e for e in _emails() if e["kind"] == "campaign_started"]
    assert len(started) == 1 and "Sending to 3 recipients" in started[0]["text"]
    kit.report("banned")
    paused = [e for e in _emails() if e["kind"] == "campaign_paused"]
    assert len(paused) == 1 and "banned" in paused[0]["text"]


def test_a_campaign_waiting_over_an_hour_is_notified_once(kit: Setup, api: Api) -> None:
    from datetime import timedelta

    from chalicelib.campaigns import watch
    from chalicelib.campaigns.planning import now_dt, utc_today
    from chalicelib.models.campaigns import CampaignModel

    add_contacts(api, 3)
    cid = kit.campaign(pacing={"min_gap_s": 20, "max_gap_s": 60, "daily_cap": 50, "warmup": False})[
        "campaign_id"
    ]
    kit.launch(cid)
    uid = user_id(api)
    now = now_dt()
    assert watch.run(now) == 0  # between two messages: not waiting
    _set_session(uid, kit.session_id, sent_day=utc_today(now), sent_today=50)
    _emails()
    assert watch.run(now) == 0  # starts waiting now
    assert CampaignModel.get(uid, cid).waiting_reason == "daily_cap"
    assert watch.run(now + timedelta(minutes=59)) == 0
    later = now + timedelta(minutes=61)
    if utc_today(later) != utc_today(now):
        pytest.skip("the UTC day ends within the hour: the cap resets first")
    assert watch.run(later) == 1
    assert watch.run(later + timedelta(minutes=5)) == 0  # once per reason
    notices = [
        n for n in api.get("/api/notifications").json["items"] if n["kind"] == "campaign_waiting"
    ]
    assert len(notices) == 1 and "daily limit" in notices[0]["body"]
    assert [e["kind"] for e in _emails()].count("campaign_waiting") == 1
    _set_session(uid, kit.session_id, sent_today=0)
    assert watch.run(later) == 0
    assert CampaignModel.get(uid, cid).waiting_reason is None


def _inbound(kit: Setup, phone: str, body: str, n: int) -> None:
    kit.agent.send(
        {
            "type": "inbound",
            "session_id": kit.session_id,
            "from_phone": phone,
            "body": body,
            "wa_message_id": f"in{n}",
            "ts": int(time.time() * 1000),
        }
    )


def test_number_health_in_one_look(kit: Setup, api: Api) -> None:
    fresh = api.get("/api/sessions/health").json["items"]
    assert [(h["label"], h["badge"], h["badge_reason"]) for h in fresh] == [
        ("Shop", "healthy", "Sending normally.")
    ]
    assert fresh[0]["failure_rate_7d"] is None and fresh[0]["warmup_day"] == 1
    phones = add_contacts(api, 25)
    cid = kit.campaign(pacing={"min_gap_s": 0, "max_gap_s": 0, "daily_cap": 200, "warmup": False})[
        "campaign_id"
    ]
    kit.launch(cid)
    batch = sorted(kit.pull(), key=lambda m: m["phone"])
    kit.results(batch[:20])
    kit.results(batch[20:], outcome="failed", reason="not_on_whatsapp")
    _inbound(kit, phones[0], "Quero 2!", 1)
    _inbound(kit, phones[1], "STOP", 2)
    health = api.get("/api/sessions/health").json["items"][0]
    assert (health["sent_today"], health["sent_7d"], health["failed_7d"]) == (20, 20, 5)
    assert health["failure_rate_7d"] == 0.2
    assert health["replies_7d"] == 2 and health["reply_rate_7d"] == 0.1
    assert health["opt_outs_7d"] == 1
    # Nothing runs now: the default pace applies, and the number is on its first day.
    assert (health["daily_limit"], health["daily_room"], health["warmup_day"]) == (20, 0, 1)
    assert health["badge"] == "at_risk" and "20% of its messages" in health["badge_reason"]
    kit.report("banned")
    banned = api.get("/api/sessions/health").json["items"][0]
    assert banned["badge"] == "paused" and banned["badge_reason"] == "WhatsApp banned this number."
    assert banned["last_signal"]["state"] == "banned"


def test_schedule_never_walks_the_audience_itself(
    kit: Setup, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.models.contacts import ContactModel

    add_contacts(api, 3)
    cid = kit.campaign()["campaign_id"]

    def no_walk(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the schedule call read the contacts")

    monkeypatch.setattr(ContactModel, "query", no_walk)
    reply = api.post(f"/api/campaigns/{cid}/schedule")
    assert reply.status == 202, reply.json
    monkeypatch.undo()
    launch_all(kit.client)
    assert api.get(f"/api/campaigns/{cid}").json["counters"]["total"] == 3


def test_a_scheduled_campaign_moved_to_now_starts(kit: Setup, api: Api) -> None:
    from datetime import UTC, datetime, timedelta

    add_contacts(api, 2)
    later = (datetime.now(UTC) + timedelta(hours=2)).replace(tzinfo=None).isoformat()
    cid = kit.campaign(send_at=later, timezone="UTC")["campaign_id"]
    scheduled = kit.launch(cid)
    assert scheduled["status"] == "scheduled" and scheduled["numbers"][0]["state"] == "scheduled"
    assert scheduled["first_message_at"] == scheduled["send_at"]
    assert api.patch(f"/api/campaigns/{cid}", {"send_at": None}).status == 200
    launch_all(kit.client)
    assert api.get(f"/api/campaigns/{cid}").json["status"] == "running"
    assert len(kit.pull()) == 2


def test_cancelling_while_preparing_returns_to_draft(kit: Setup, api: Api) -> None:
    add_contacts(api, 2)
    cid = kit.campaign()["campaign_id"]
    api.post(f"/api/campaigns/{cid}/schedule")
    cancelled = api.post(f"/api/campaigns/{cid}/cancel")
    assert cancelled.status == 200 and cancelled.json["status"] == "draft"
    launch_all(kit.client)  # the walk's job finds nothing to do
    detail = api.get(f"/api/campaigns/{cid}").json
    assert detail["status"] == "draft" and detail["counters"]["total"] == 0
    assert api.get("/api/billing").json["messages"]["reserved"] == 0


def test_template_check_while_typing(kit: Setup, api: Api) -> None:
    api.post(
        "/api/contacts", {"phone": "+14155550101", "first_name": "Ana", "fields": {"code": "X1"}}
    )
    text = "{Hi|Hello} {{first_name|there}}, code {{code}}, {{cupon}}" + "!" * 4100
    check = api.post("/api/campaigns/template-check", {"template": text}).json
    assert check["variables"] == ["first_name", "code", "cupon"]
    assert check["required_variables"] == ["code", "cupon"]
    assert check["unknown_variables"] == ["cupon"] and "code" in check["known_variables"]
    assert check["over_by"] == len(text) - 4096 and check["problem"] is None
    broken = api.post("/api/campaigns/template-check", {"template": "{Hi|Hello"}).json
    assert broken["problem"]


def test_audience_counts_while_composing_never_walk_everything(
    kit: Setup, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.campaigns import planning

    phones = add_contacts(api, 6)
    api.post(f"/api/contacts/{phones[0]}/opt-out", {})
    cid = kit.campaign()["campaign_id"]
    exact = api.get(f"/api/campaigns/{cid}/audience").json
    assert (exact["recipients"], exact["opted_out"], exact["exact"]) == (5, 1, True)
    monkeypatch.setattr(planning, "SAMPLE_CONTACTS", 2)  # a "large" list: 6 > 2
    scaled = api.get(f"/api/campaigns/{cid}/audience").json
    # The tag counter says 6; half of the two sampled opted out: about 3 of 6.
    assert (scaled["recipients"], scaled["opted_out"], scaled["exact"]) == (3, 3, False)


def test_a_number_shared_with_an_older_campaign_sends_that_one_first(kit: Setup, api: Api) -> None:
    add_contacts(api, 3)
    pace = {"min_gap_s": 60, "max_gap_s": 60, "daily_cap": 500, "warmup": False}
    older = kit.campaign(name="Older", pacing=pace)["campaign_id"]
    kit.launch(older)
    newer = kit.campaign(name="Newer", pacing=pace)["campaign_id"]
    kit.launch(newer)
    first = api.get(f"/api/campaigns/{older}").json
    second = api.get(f"/api/campaigns/{newer}").json
    assert first["numbers"][0]["state"] == "waiting_gap"
    assert second["numbers"][0]["state"] == "other_campaign"
    assert second["numbers"][0]["detail"] == "Older"
    # The newer one's 3 go after the older one's 3, a minute apart.
    forecast = api.get(f"/api/campaigns/{newer}/forecast").json
    assert abs(forecast["finish_at"] - first["finish_at"] - 180_000) < 10_000
    assert abs(forecast["first_message_at"] - first["finish_at"] - 60_000) < 10_000


def test_a_message_grown_too_long_after_launch_fails_instead_of_being_cut(
    kit: Setup, api: Api
) -> None:
    from chalicelib.models.campaigns import CampaignMessageModel

    phones = add_contacts(api, 2)
    cid = kit.campaign(template="Hi {{first_name}}")["campaign_id"]
    kit.launch(cid)
    # The details changed between the launch's check and the send.
    CampaignMessageModel(cid, phones[0]).update(
        actions=[CampaignMessageModel.values.set({"first_name": "N" * 4100})]
    )
    batch = kit.pull()
    assert [m["phone"] for m in batch] == [phones[1]]
    failed = api.get(f"/api/campaigns/{cid}/messages?status=failed").json["items"]
    assert [(m["phone"], m["reason"]) for m in failed] == [(phones[0], "too_long")]
    c = api.get(f"/api/campaigns/{cid}").json["counters"]
    assert (c["pending"], c["leased"], c["failed"]) == (0, 1, 1)
    assert api.get("/api/billing").json["messages"]["reserved"] == 1


def test_quiet_hours_are_shown_but_never_notified(kit: Setup, api: Api) -> None:
    from datetime import timedelta

    from chalicelib.campaigns import watch
    from chalicelib.campaigns.planning import now_dt

    add_contacts(api, 2)
    now = now_dt()
    quiet = {
        "quiet_start": (now - timedelta(hours=1)).strftime("%H:%M"),
        "quiet_end": (now + timedelta(hours=3)).strftime("%H:%M"),
    }
    pace = {"min_gap_s": 20, "max_gap_s": 60, "daily_cap": 200, "warmup": False, **quiet}
    cid = kit.campaign(pacing=pace, timezone="UTC")["campaign_id"]
    kit.launch(cid)
    state = api.get(f"/api/campaigns/{cid}").json["numbers"][0]
    assert state["state"] == "quiet_hours" and state["until"] > int(now.timestamp() * 1000)
    assert kit.pull() == []  # the pipeline holds them too
    assert watch.run(now) == 0 and watch.run(now + timedelta(minutes=61)) == 0
    kinds = [n["kind"] for n in api.get("/api/notifications").json["items"]]
    assert "campaign_waiting" not in kinds


def test_a_paused_campaign_can_be_given_a_time_to_resume(
    kit: Setup, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from chalicelib import jobs
    from chalicelib.campaigns import launch

    add_contacts(api, 2)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    api.post(f"/api/campaigns/{cid}/pause")
    later = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    reply = api.patch(f"/api/campaigns/{cid}", {"send_at": later.strftime("%Y-%m-%dT%H:%M:%S")})
    assert reply.status == 200, reply.json
    at = int(later.timestamp() * 1000)
    assert reply.json["status"] == "paused" and reply.json["numbers"][0]["until"] == at
    assert api.get(f"/api/campaigns/{cid}/forecast").json["first_message_at"] == at
    job = jobs.ResumeAt(user_id=user_id(api), campaign_id=cid, at=at)
    launch.handle(job)  # not due yet: chained, still paused
    assert api.get(f"/api/campaigns/{cid}").json["status"] == "paused"
    monkeypatch.setattr(launch, "now_ms", lambda: at + 2_000)
    launch.handle(job)
    assert api.get(f"/api/campaigns/{cid}").json["status"] == "running"
    assert len(kit.pull()) == 2


def test_resuming_by_hand_drops_the_time_it_was_set_to_resume_at(
    kit: Setup, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from chalicelib import jobs
    from chalicelib.campaigns import launch

    add_contacts(api, 2)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    api.post(f"/api/campaigns/{cid}/pause")
    later = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    api.patch(f"/api/campaigns/{cid}", {"send_at": later.strftime("%Y-%m-%dT%H:%M:%S")})
    at = int(later.timestamp() * 1000)
    assert api.post(f"/api/campaigns/{cid}/resume").json["status"] == "running"
    api.post(f"/api/campaigns/{cid}/pause")  # paused again, this time with no time set
    monkeypatch.setattr(launch, "now_ms", lambda: at + 2_000)
    launch.handle(jobs.ResumeAt(user_id=user_id(api), campaign_id=cid, at=at))
    assert api.get(f"/api/campaigns/{cid}").json["status"] == "paused"


def test_a_paused_campaign_takes_an_image_and_its_pending_messages_carry_it(
    kit: Setup, api: Api
) -> None:
    import io

    import requests
    from PIL import Image

    add_contacts(api, 3)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    kit.results(kit.pull(1))
    api.post(f"/api/campaigns/{cid}/pause")
    slot = api.post(f"/api/campaigns/{cid}/media/upload").json
    image = io.BytesIO()
    Image.new("RGB", (40, 40), (200, 120, 0)).save(image, format="PNG")
    posted = requests.post(
        slot["upload_url"],
        data={**slot["upload_fields"], "Content-Type": "image/png"},
        files={"file": ("panettone.png", image.getvalue(), "image/png")},
        timeout=10,
    )
    assert posted.status_code in (200, 201, 204), posted.text
    attached = api.request("PUT", f"/api/campaigns/{cid}/media", {"upload_key": slot["upload_key"]})
    assert attached.status == 200, attached.json
    assert attached.json["has_media"] is True and attached.json["status"] == "paused"
    assert api.post(f"/api/campaigns/{cid}/resume").json["status"] == "running"
    batch = kit.pull()
    assert len(batch) == 2 and all(m["media_url"] for m in batch)
    assert {m["media_filename"] for m in batch} == {"image.jpg"}
