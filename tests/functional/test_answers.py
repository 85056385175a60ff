"""Answering from the app (issue 16): an answer rides the send pipeline on the
conversation's number, ahead of campaign messages, outside the daily cap, inside the
quota; the thread shows it queued → sent → delivered → read. Quick replies."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.functional.agentlink import FakeManagement
from tests.functional.campaignkit import Setup, add_contacts, counters
from tests.functional.conftest import Api, register_and_login


@pytest.fixture
def kit(api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement) -> Setup:
    return Setup(api, chalice_app, fake)


def _inbound(kit: Setup, phone: str, body: str, wa_id: str) -> str:
    kit.agent.send(
        {
            "type": "inbound",
            "session_id": kit.session_id,
            "from_phone": phone,
            "body": body,
            "wa_message_id": wa_id,
            "ts": int(time.time() * 1000),
        }
    )
    items = kit.api.get("/api/conversations").json["items"]
    return str(next(c["conversation_id"] for c in items if c["phone"] == phone))


def _answer(api: Api, cid: str, text: str, client_id: str = "client-0001", **extra: Any) -> Any:
    return api.post(
        f"/api/conversations/{cid}/messages", {"text": text, "client_id": client_id, **extra}
    )


def _answers(api: Api, cid: str) -> list[dict[str, Any]]:
    items = api.get(f"/api/conversations/{cid}/messages").json["items"]
    return [m for m in items if m.get("reply_id")]


def _billing(api: Api) -> dict[str, int]:
    return dict(api.get("/api/billing").json["messages"])


def test_an_answer_goes_out_ahead_of_the_campaign_and_its_status_reaches_read(
    kit: Setup, api: Api
) -> None:
    phones = add_contacts(api, 3)
    campaign_id = kit.campaign(name="Promo")["campaign_id"]
    kit.launch(campaign_id)
    cid = _inbound(kit, phones[0], "How much?", "in-1")
    before = _billing(api)

    queued = _answer(api, cid, "R$ 10, Ana!")
    assert queued.status == 202, queued.json
    assert queued.json["status"] == "queued" and queued.json["text"] == "R$ 10, Ana!"
    assert _billing(api)["reserved"] == before["reserved"] + 1

    # The next pull hands the answer out alone, before the campaign's messages, to the
    # existing chat, with no daily cap of its own.
    batch = kit.pull()
    assert [(m["campaign_id"], m["to"], m["text"]) for m in batch] == [
        (queued.json["reply_id"], f"{phones[0][1:]}@c.us", "R$ 10, Ana!")
    ]
    frames = kit.agent.send({"type": "pull", "session_id": kit.session_id, "max": 100})
    campaign_batch = next(f for f in frames if f["type"] == "batch")
    assert {m["campaign_id"] for m in campaign_batch["messages"]} == {campaign_id}

    wa_ids = kit.results(batch)
    thread = _answers(api, cid)
    assert [(m["direction"], m["text"], m["status"]) for m in thread] == [
        ("out", "R$ 10, Ana!", "sent")
    ]
    kit.acks([wa_ids[phones[0]]], 2)
    assert _answers(api, cid)[0]["status"] == "delivered"
    kit.acks([wa_ids[phones[0]]], 3)
    assert _answers(api, cid)[0]["status"] == "read"

    # One message of the quota used; the campaign's counters never saw it.
    after = _billing(api)
    assert after["used"] == before["used"] + 1 and after["reserved"] == before["reserved"]
    assert counters(api, campaign_id)["total"] == 3
    assert all(c["campaign_id"] == campaign_id for c in api.get("/api/campaigns").json["items"])
    # The number's daily count is for campaigns: the answer did not use it.
    from chalicelib.models.sessions import WaSessionModel

    user_id = api.get("/api/me").json["user_id"]
    assert int(WaSessionModel.get(user_id, kit.session_id).sent_today or 0) == 0


def test_a_retried_answer_is_sent_once(kit: Setup, api: Api) -> None:
    phone = add_contacts(api, 1)[0]
    cid = _inbound(kit, phone, "Hello?", "in-1")
    first = _answer(api, cid, "Hi!", client_id="same-id-123")
    again = _answer(api, cid, "Hi!", client_id="same-id-123")
    assert first.status == again.status == 202
    assert first.json["reply_id"] == again.json["reply_id"]
    assert len(_answers(api, cid)) == 1
    assert _billing(api)["reserved"] == 1
    assert len(kit.pull()) == 1 and kit.pull() == []
    # The Idempotency-Key header works the same way.
    h1 = api.request(
        "POST",
        f"/api/conversations/{cid}/messages",
        {"text": "Second"},
        headers={"Idempotency-Key": "header-key-1"},
    )
    h2 = api.request(
        "POST",
        f"/api/conversations/{cid}/messages",
        {"text": "Second"},
        headers={"Idempotency-Key": "header-key-1"},
    )
    assert h1.json["reply_id"] == h2.json["reply_id"]
    assert len(_answers(api, cid)) == 2


def test_a_failed_answer_gives_its_message_back_and_says_why(kit: Setup, api: Api) -> None:
    phone = add_contacts(api, 1)[0]
    cid = _inbound(kit, phone, "Hello?", "in-1")
    _answer(api, cid, "Hi!")
    kit.results(kit.pull(), outcome="failed", reason="chat_not_found")
    answer = _answers(api, cid)[0]
    assert (answer["status"], answer["reason"]) == ("failed", "chat_not_found")
    left = _billing(api)
    assert (left["used"], left["reserved"]) == (0, 0)


def test_answers_are_refused_in_plain_words(kit: Setup, api: Api) -> None:
    phones = add_contacts(api, 2)
    cid = _inbound(kit, phones[0], "STOP", "in-1")  # an opt-out word
    refused = _answer(api, cid, "Sorry to see you go")
    assert refused.status == 409 and refused.error_code == "contact_opted_out"
    assert "asked not to be messaged" in refused.json["error"]["message"]

    other = _inbound(kit, phones[1], "Hi", "in-2")
    empty = _answer(api, other, "   ")
    assert empty.status == 422 and empty.error_code == "empty_message"

    kit.report("logged_out")
    offline = _answer(api, other, "Hi back")
    assert offline.status == 409 and offline.error_code == "sessions_not_ready"
    assert "not connected" in offline.json["error"]["message"]
    assert _billing(api)["reserved"] == 0


def test_an_answer_needs_quota_left(kit: Setup, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.billing.errors import QuotaExceeded
    from chalicelib.campaigns import quota

    phone = add_contacts(api, 1)[0]
    cid = _inbound(kit, phone, "Hello?", "in-1")

    def spent(user_id: str, n: int, token: str) -> None:
        raise QuotaExceeded("This needs 1 messages but only 0 remain.", {"remaining": 0})

    monkeypatch.setattr(quota, "reserve", spent)
    refused = _answer(api, cid, "Hi!")
    assert refused.status == 409 and refused.error_code == "quota_exceeded"
    assert "answers count too" in refused.json["error"]["message"]
    assert _answers(api, cid) == [] and kit.pull() == []

    monkeypatch.setattr(quota, "sending_allowed", lambda user_id: (False, "payment_failed"))
    held = _answer(api, cid, "Hi!", client_id="client-0002")
    assert held.status == 409 and held.error_code == "sending_on_hold"


def test_another_users_conversation_cannot_be_answered(kit: Setup, api: Api) -> None:
    phone = add_contacts(api, 1)[0]
    cid = _inbound(kit, phone, "Private", "p-1")
    other = register_and_login(api)
    for path in ("/messages", "/media/upload"):
        reply = api.request(
            "POST",
            f"/api/conversations/{cid}{path}",
            {"text": "Hi", "client_id": "client-0001"} if path == "/messages" else None,
            token=other["token"],
        )
        assert reply.status == 404 and reply.error_code == "not_found", path
    listed = api.request("GET", f"/api/quick-replies?conversation_id={cid}", token=other["token"])
    assert listed.status == 404


def test_quick_replies_are_saved_and_filled_for_the_contact(kit: Setup, api: Api) -> None:
    phone = add_contacts(api, 1)[0]
    cid = _inbound(kit, phone, "Price?", "in-1")
    created = api.post(
        "/api/quick-replies", {"name": "Price", "text": "Hi {{first_name|there}}, it is R$ 10."}
    )
    assert created.status == 201, created.json
    qid = created.json["quick_reply_id"]
    duplicate = api.post("/api/quick-replies", {"name": "price", "text": "x"})
    assert duplicate.status == 409 and duplicate.error_code == "duplicate_name"
    broken = api.post("/api/quick-replies", {"name": "Broken", "text": "Hi {there"})
    assert broken.status == 422

    listed = api.get(f"/api/quick-replies?conversation_id={cid}").json["items"]
    assert [(q["name"], q["filled"]) for q in listed] == [("Price", "Hi Ana0, it is R$ 10.")]
    assert api.get("/api/quick-replies").json["items"][0]["filled"] is None

    changed = api.put(f"/api/quick-replies/{qid}", {"name": "Prices", "text": "R$ 12"})
    assert changed.status == 200 and changed.json["name"] == "Prices"
    assert api.delete(f"/api/quick-replies/{qid}").status == 204
    assert api.get("/api/quick-replies").json["items"] == []
    assert api.delete(f"/api/quick-replies/{qid}").status == 404

    other = register_and_login(api)
    mine = api.post("/api/quick-replies", {"name": "Hello", "text": "Hello!"}).json
    theirs = api.request(
        "PUT",
        f"/api/quick-replies/{mine['quick_reply_id']}",
        {"name": "x", "text": "y"},
        token=other["token"],
    )
    assert theirs.status == 404


def test_show_typing_is_a_setting_of_each_number(kit: Setup, api: Api) -> None:
    numbers = api.get("/api/conversations/numbers").json["items"]
    assert [(n["session_id"], n["show_typing"]) for n in numbers] == [(kit.session_id, False)]
    on = api.put(f"/api/conversations/numbers/{kit.session_id}/typing", {"show_typing": True})
    assert on.status == 200 and on.json["show_typing"] is True
    assert api.get("/api/conversations/numbers").json["items"][0]["show_typing"] is True
    other = register_and_login(api)
    theirs = api.request(
        "PUT",
        f"/api/conversations/numbers/{kit.session_id}/typing",
        {"show_typing": False},
        token=other["token"],
    )
    assert theirs.status == 404
    assert api.get("/api/conversations/numbers").json["items"][0]["show_typing"] is True


def _emails() -> list[dict[str, Any]]:
    import json

    from chalicelib import aws, queues

    sqs, url = aws.client("sqs"), queues.queue_url(queues.EMAIL)
    found: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_the_daily_digest_lists_unread_conversations_once_a_day(kit: Setup, api: Api) -> None:
    from datetime import UTC, datetime, timedelta

    from chalicelib.conversations import digest

    phones = add_contacts(api, 2)
    _inbound(kit, phones[0], "Quanto custa?", "d-1")
    read = _inbound(kit, phones[1], "Obrigado", "d-2")
    api.post(f"/api/conversations/{read}/read")
    assert api.get("/api/conversations/settings").json["digest"] == "off"
    _emails()
    morning = datetime.now(UTC).replace(hour=23, minute=0)  # past 08:00 in any zone's day
    assert digest.run(morning) == 0  # off by default: nothing

    on = api.put("/api/conversations/settings", {"retention_days": 180, "digest": "daily"})
    assert on.status == 200 and on.json["digest"] == "daily"
    kept = api.put("/api/conversations/settings", {"retention_days": 90})
    assert kept.json == {"retention_days": 90, "digest": "daily"}  # left out: unchanged

    assert digest.run(morning) == 1
    emails = [e for e in _emails() if e["kind"] == "inbox_digest"]
    assert len(emails) == 1
    assert emails[0]["subject"] == "1 conversation waits for your answer"
    assert "Ana0 (+14155550000): Quanto custa?" in emails[0]["text"]
    assert "Obrigado" not in emails[0]["text"]  # read: not listed
    assert digest.run(morning + timedelta(minutes=30)) == 0  # once a day
    assert digest.run(morning + timedelta(days=1)) == 1  # the next day, still unread

    api.put("/api/conversations/settings", {"retention_days": 90, "digest": "off"})
    assert digest.run(morning + timedelta(days=2)) == 0


def test_media_replies_keep_their_kind_and_caption(kit: Setup, api: Api) -> None:
    phone = add_contacts(api, 1)[0]
    kit.agent.send(
        {
            "type": "inbound",
            "session_id": kit.session_id,
            "from_phone": phone,
            "body": "This one, in blue?",
            "kind": "image",
            "wa_message_id": "m-1",
            "ts": int(time.time() * 1000),
        }
    )
    listed = api.get("/api/conversations").json["items"][0]
    assert (listed["last_kind"], listed["last_text"]) == ("image", "This one, in blue?")
    thread = api.get(f"/api/conversations/{listed['conversation_id']}/messages").json["items"]
    assert [(m["kind"], m["text"]) for m in thread] == [("image", "This one, in blue?")]
    notices = api.get("/api/notifications").json["items"]
    assert notices[0]["body"] == "📷 Photo: This one, in blue?"
    # A text after it: the list shows the text again (no kind); an older agent sends none.
    _inbound(kit, phone, "Or red", "m-2")
    listed = api.get("/api/conversations").json["items"][0]
    assert (listed["last_kind"], listed["last_text"]) == (None, "Or red")


def test_an_image_answer_goes_with_its_caption(kit: Setup, api: Api) -> None:
    import io

    from PIL import Image

    from chalicelib import aws
    from chalicelib.config import settings

    phone = add_contacts(api, 1)[0]
    cid = _inbound(kit, phone, "Photo of the blue one?", "img-1")
    slot = api.post(f"/api/conversations/{cid}/media/upload").json
    png = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 60, 200)).save(png, format="PNG")
    aws.client("s3").put_object(
        Bucket=settings().uploads_bucket, Key=slot["upload_key"], Body=png.getvalue()
    )
    sent = _answer(api, cid, "Here it is", upload_key=slot["upload_key"])
    assert sent.status == 202 and sent.json["has_image"] is True, sent.json
    (message,) = kit.pull()
    assert message["text"] == "Here it is" and message["media_url"].startswith("http")
    assert message["media_filename"] == "image.jpg"
    assert _answers(api, cid)[0]["has_image"] is True

    # Not an image: refused in words, nothing queued.
    aws.client("s3").put_object(
        Bucket=settings().uploads_bucket, Key=slot["upload_key"], Body=b"not an image"
    )
    bad = _answer(api, cid, "Again", client_id="client-0009", upload_key=slot["upload_key"])
    assert bad.status == 422 and bad.error_code == "invalid_image"
    # Someone else's upload key is refused.
    foreign = _answer(
        api, cid, "x", client_id="client-0010", upload_key="users/usr_x/uploads/media/inbox-a/b"
    )
    assert foreign.status == 422 and foreign.error_code == "bad_upload"


def test_an_answer_whose_lease_lapsed_goes_again_without_a_ghost_campaign(
    kit: Setup, api: Api
) -> None:
    from chalicelib.campaigns import sweeps
    from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel

    phone = add_contacts(api, 1)[0]
    cid = _inbound(kit, phone, "Hello?", "lapse-1")
    reply_id = _answer(api, cid, "Hi!").json["reply_id"]
    assert len(kit.pull()) == 1
    CampaignMessageModel(reply_id, phone).update(actions=[CampaignMessageModel.lease_until.set(1)])
    assert sweeps.sweep_leases() == 1
    assert _answers(api, cid)[0]["status"] == "queued"
    user_id = api.get("/api/me").json["user_id"]
    assert [c.campaign_id for c in CampaignModel.query(user_id)] == []
    (again,) = kit.pull()
    assert again["campaign_id"] == reply_id


def test_a_restricted_number_still_answers_existing_chats(kit: Setup, api: Api) -> None:
    phones = add_contacts(api, 2)
    campaign_id = kit.campaign()["campaign_id"]
    kit.launch(campaign_id)
    cid = _inbound(kit, phones[0], "Still there?", "rs-1")
    until = int(time.time() * 1000) + 3 * 3600_000
    kit.report("restricted", restricted_until=until, reason="reachout_timelock")
    queued = _answer(api, cid, "Yes, we are!")
    assert queued.status == 202, queued.json
    # The answer goes into the chat that exists; the campaign waits for the number.
    assert [m["campaign_id"] for m in kit.pull()] == [queued.json["reply_id"]]
    assert kit.pull() == []
