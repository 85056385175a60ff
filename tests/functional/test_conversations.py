"""The reply inbox (issue 16, first part): replies stored as conversations, attributed
to the campaign the contact last received from that number, listed, read and polled."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.contacts.fixtures import drain_contacts_queue
from tests.functional.agentlink import FakeManagement
from tests.functional.campaignkit import Setup, add_contacts, counters
from tests.functional.conftest import Api, register_and_login


@pytest.fixture
def kit(api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement) -> Setup:
    return Setup(api, chalice_app, fake)


def _inbound(
    kit: Setup, phone: str, body: str, wa_id: str, session_id: str | None = None, **extra: Any
) -> None:
    kit.agent.send(
        {
            "type": "inbound",
            "session_id": session_id or kit.session_id,
            "from_phone": phone,
            "body": body,
            "wa_message_id": wa_id,
            "ts": int(time.time() * 1000),
            **extra,
        }
    )


def _send_campaign(kit: Setup, name: str, tag: str, session_id: str) -> str:
    """Launch a campaign on one number and report every message sent."""
    original = kit.session_id
    kit.session_id = session_id
    try:
        cid = kit.campaign(name=name, audience={"tags": [tag]}, session_ids=[session_id])[
            "campaign_id"
        ]
        kit.launch(cid)
        batch = kit.pull()
        assert batch
        kit.results(batch)
    finally:
        kit.session_id = original
    return cid


def _second_number(kit: Setup, api: Api, monkeypatch: pytest.MonkeyPatch) -> str:
    from chalicelib.sessions import limits

    monkeypatch.setattr(limits, "check", lambda user_id, current: None)  # plan allows one
    created = api.post("/api/sessions", {"label": "Second shop"})
    assert created.status == 201, created.json
    session_id = created.json["session_id"]
    original = kit.session_id
    kit.session_id = session_id
    kit.report("connected", phone="+14155550001")
    kit.session_id = original
    return str(session_id)


def test_the_inbox_lists_replies_with_text_and_campaign(kit: Setup, api: Api) -> None:
    phones = add_contacts(api, 2)
    cid = _send_campaign(kit, "Black Friday", "vip", kit.session_id)
    _inbound(kit, phones[0], "Quero 2, por favor!", "in-1")
    _inbound(kit, "+14155559999", "Who is this?", "in-2", push_name="Bea Stranger")

    page = api.get("/api/conversations")
    assert page.status == 200, page.json
    items = page.json["items"]
    assert [c["phone"] for c in items] == ["+14155559999", phones[0]]  # newest first
    ana = items[1]
    assert ana["last_text"] == "Quero 2, por favor!" and ana["campaign_id"] == cid
    assert ana["name"] == "Ana0" and ana["unread"] == 1 and ana["session_id"] == kit.session_id
    stranger = items[0]
    assert stranger["campaign_id"] is None and stranger["name"] == "Bea Stranger"
    # An unknown sender becomes a contact, named as WhatsApp shows them.
    assert api.get("/api/contacts/+14155559999").json["name"] == "Bea Stranger"
    assert page.json["unread_conversations"] == 2

    # Filters: by campaign, by number, unread, search by text and by name.
    assert [c["phone"] for c in api.get(f"/api/conversations?campaign_id={cid}").json["items"]] == [
        phones[0]
    ]
    assert len(api.get(f"/api/conversations?session_id={kit.session_id}").json["items"]) == 2
    assert [c["phone"] for c in api.get("/api/conversations?q=por%20favor").json["items"]] == [
        phones[0]
    ]
    assert [c["phone"] for c in api.get("/api/conversations?q=bea").json["items"]] == [
        "+14155559999"
    ]

    # The thread: the campaign message sent (with its status), then the reply.
    thread = api.get(f"/api/conversations/{ana['conversation_id']}/messages").json
    assert [(m["direction"], m["campaign_name"]) for m in thread["items"]] == [
        ("out", "Black Friday"),
        ("in", "Black Friday"),
    ]
    assert thread["items"][0]["status"] == "sent"
    assert thread["items"][0]["text"] in ("Hi Ana0!", "Hello Ana0!")
    assert thread["items"][1]["text"] == "Quero 2, por favor!"

    # Mark read: the conversation and the badge count move once.
    read = api.post(f"/api/conversations/{ana['conversation_id']}/read")
    assert read.status == 200 and read.json["unread"] == 0
    api.post(f"/api/conversations/{ana['conversation_id']}/read")
    assert api.get("/api/conversations/summary").json["unread_conversations"] == 1
    unread = api.get("/api/conversations?unread=true").json["items"]
    assert [c["phone"] for c in unread] == ["+14155559999"]

    # The campaign view: the funnel counts the reply; "replied" shows its text.
    campaign = api.get(f"/api/campaigns/{cid}").json
    assert campaign["funnel"]["replied"] == 1 == counters(api, cid)["replies"]
    replied = api.get(f"/api/campaigns/{cid}/messages?replied=true").json["items"]
    assert [(m["phone"], m["reply_text"]) for m in replied] == [(phones[0], "Quero 2, por favor!")]
    not_replied = api.get(f"/api/campaigns/{cid}/messages?replied=false").json["items"]
    assert [m["phone"] for m in not_replied] == [phones[1]]


def test_replies_go_to_the_campaign_last_received_on_that_number(
    kit: Setup, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    phones = add_contacts(api, 2, tag="spring")
    second = _second_number(kit, api, monkeypatch)
    on_first = _send_campaign(kit, "Spring on shop", "spring", kit.session_id)
    on_second = _send_campaign(kit, "Spring on second", "spring", second)
    _inbound(kit, phones[0], "From the first", "in-a")
    _inbound(kit, phones[0], "From the second", "in-b", session_id=second)

    items = {c["session_id"]: c for c in api.get("/api/conversations").json["items"]}
    assert items[kit.session_id]["campaign_id"] == on_first
    assert items[second]["campaign_id"] == on_second
    assert counters(api, on_first)["replies"] == 1 and counters(api, on_second)["replies"] == 1

    # A later campaign on the first number takes the next reply on that number.
    later = _send_campaign(kit, "Summer on shop", "spring", kit.session_id)
    _inbound(kit, phones[1], "Summer!", "in-c")
    latest = api.get(f"/api/conversations?campaign_id={later}").json["items"]
    assert [c["phone"] for c in latest] == [phones[1]]


def test_a_reply_after_seven_days_belongs_to_no_campaign(kit: Setup, api: Api) -> None:
    from chalicelib.models.campaigns import CampaignMessageModel

    phones = add_contacts(api, 1)
    cid = _send_campaign(kit, "Old news", "vip", kit.session_id)
    eight_days_ago = int(time.time() * 1000) - 8 * 86_400_000
    CampaignMessageModel(cid, phones[0]).update(
        actions=[CampaignMessageModel.sent_at.set(eight_days_ago)]
    )
    _inbound(kit, phones[0], "Still on?", "in-old")
    assert api.get("/api/conversations").json["items"][0]["campaign_id"] is None
    assert counters(api, cid)["replies"] == 0


def test_redelivered_replies_are_stored_and_counted_once(kit: Setup, api: Api) -> None:
    from chalicelib.models.conversations import ConversationMessageModel

    phones = add_contacts(api, 1)
    cid = _send_campaign(kit, "Once", "vip", kit.session_id)
    frame = {
        "type": "inbound",
        "session_id": kit.session_id,
        "from_phone": phones[0],
        "body": "Yes please",
        "wa_message_id": "in-dup",
        "ts": int(time.time() * 1000),
    }
    kit.agent.send(frame)
    summary = api.get("/api/conversations/summary").json
    kit.agent.send(frame)  # the agent re-sends after a reconnect
    (conversation,) = api.get("/api/conversations").json["items"]
    assert conversation["unread"] == 1 and counters(api, cid)["replies"] == 1
    assert api.get("/api/conversations/summary").json == summary  # nothing changed
    stored = list(ConversationMessageModel.query(conversation["conversation_id"]))
    assert len(stored) == 1
    notices = [
        n for n in api.get("/api/notifications").json["items"] if n["kind"] == "conversation_reply"
    ]
    assert len(notices) == 1


def test_one_notification_per_conversation_until_it_is_read(kit: Setup, api: Api) -> None:
    phones = add_contacts(api, 1)
    _inbound(kit, phones[0], "Hi", "n-1")
    _inbound(kit, phones[0], "Are you there?", "n-2")

    def notices() -> list[dict[str, Any]]:
        items = api.get("/api/notifications").json["items"]
        return [n for n in items if n["kind"] == "conversation_reply"]

    assert len(notices()) == 1 and notices()[0]["title"] == "New reply from Ana0"
    (conversation,) = api.get("/api/conversations").json["items"]
    assert conversation["unread"] == 2 and conversation["last_text"] == "Are you there?"
    api.post(f"/api/conversations/{conversation['conversation_id']}/read")
    _inbound(kit, phones[0], "Hello again", "n-3")
    assert len(notices()) == 2


def test_another_users_conversation_is_not_found(kit: Setup, api: Api) -> None:
    phones = add_contacts(api, 1)
    _inbound(kit, phones[0], "Private", "p-1")
    conversation_id = api.get("/api/conversations").json["items"][0]["conversation_id"]
    other = register_and_login(api)
    for method, path in (("GET", "/messages"), ("POST", "/read")):
        reply = api.request(
            method, f"/api/conversations/{conversation_id}{path}", token=other["token"]
        )
        assert reply.status == 404, (method, path)
        assert reply.error_code == "not_found"
    assert api.get("/api/conversations", token=other["token"]).json["items"] == []
    assert api.get("/api/conversations/%23state/messages").status == 404


def _etag(reply: Any) -> str:
    return str({k.lower(): v for k, v in reply.headers.items()}["etag"])


def test_the_list_answers_304_until_something_changes(kit: Setup, api: Api) -> None:
    phones = add_contacts(api, 2)
    _inbound(kit, phones[0], "First", "e-1")
    first = api.get("/api/conversations")
    etag = _etag(first)
    again = api.get("/api/conversations", headers={"If-None-Match": etag})
    assert again.status == 304 and again.body in (b"", "")
    # Another filter is another tag.
    assert api.get("/api/conversations?unread=true", headers={"If-None-Match": etag}).status == 200
    _inbound(kit, phones[1], "Second", "e-2")
    changed = api.get("/api/conversations", headers={"If-None-Match": etag})
    assert changed.status == 200 and len(changed.json["items"]) == 2
    etag = _etag(changed)
    conversation_id = changed.json["items"][0]["conversation_id"]
    api.post(f"/api/conversations/{conversation_id}/read")
    assert api.get("/api/conversations", headers={"If-None-Match": etag}).status == 200


def test_reply_texts_expire_after_the_accounts_retention(kit: Setup, api: Api) -> None:
    from chalicelib.models.conversations import ConversationMessageModel

    phones = add_contacts(api, 2)
    assert api.get("/api/conversations/settings").json == {"retention_days": 180, "digest": "off"}
    _inbound(kit, phones[0], "Kept 180 days", "r-1")
    assert api.put("/api/conversations/settings", {"retention_days": 30}).status == 200
    _inbound(kit, phones[1], "Kept 30 days", "r-2")
    assert api.put("/api/conversations/settings", {"retention_days": 0}).status == 422

    now = time.time()
    expiries = {}
    for c in api.get("/api/conversations").json["items"]:
        (message,) = ConversationMessageModel.query(c["conversation_id"])
        expiries[message.body] = message.expires_at.timestamp() - now
    assert abs(expiries["Kept 180 days"] - 180 * 86_400) < 120
    assert abs(expiries["Kept 30 days"] - 30 * 86_400) < 120


def test_an_opted_out_replier_is_flagged_and_filterable(kit: Setup, api: Api) -> None:
    phones = add_contacts(api, 2)
    _inbound(kit, phones[0], "STOP", "o-1")
    _inbound(kit, phones[1], "Thanks", "o-2")
    opted = api.get("/api/conversations?opted_out=true").json["items"]
    assert [c["phone"] for c in opted] == [phones[0]]
    assert [c["phone"] for c in api.get("/api/conversations?opted_out=false").json["items"]] == [
        phones[1]
    ]


def test_an_older_reply_delivered_late_keeps_the_newest_on_top(kit: Setup, api: Api) -> None:
    phones = add_contacts(api, 1)
    now = int(time.time() * 1000)
    for wa_id, body, ts in (("l-2", "Newest", now), ("l-1", "Older, delivered late", now - 60_000)):
        kit.agent.send(
            {
                "type": "inbound",
                "session_id": kit.session_id,
                "from_phone": phones[0],
                "body": body,
                "wa_message_id": wa_id,
                "ts": ts,
            }
        )
    (conversation,) = api.get("/api/conversations").json["items"]
    assert conversation["last_text"] == "Newest" and conversation["last_at"] == now
    assert conversation["unread"] == 2
    thread = api.get(f"/api/conversations/{conversation['conversation_id']}/messages").json
    assert [m["text"] for m in thread["items"]] == ["Older, delivered late", "Newest"]


def test_deleting_a_contact_erases_their_conversations(kit: Setup, api: Api) -> None:
    from chalicelib.models.conversations import ConversationMessageModel

    phones = add_contacts(api, 2)
    _inbound(kit, phones[0], "Forget me", "x-1")
    _inbound(kit, phones[0], "Please", "x-2")
    _inbound(kit, phones[1], "Keep me", "x-3")
    gone = next(
        c["conversation_id"]
        for c in api.get("/api/conversations").json["items"]
        if c["phone"] == phones[0]
    )
    assert api.get("/api/conversations/summary").json["unread_conversations"] == 2
    assert api.delete(f"/api/contacts/{phones[0]}").status == 204
    assert [c["phone"] for c in api.get("/api/conversations").json["items"]] == [phones[1]]
    assert api.get(f"/api/conversations/{gone}/messages").status == 404
    assert list(ConversationMessageModel.query(gone)) == []
    assert api.get("/api/conversations/summary").json["unread_conversations"] == 1


def test_a_bulk_delete_by_tag_erases_their_conversations(kit: Setup, api: Api) -> None:
    phones = add_contacts(api, 2, tag="old") + add_contacts(api, 1, tag="new", start=5)
    for i, phone in enumerate(phones):
        _inbound(kit, phone, f"Hello {i}", f"b-{i}")
    assert api.post("/api/contacts/bulk-delete", {"tag": "old"}).status == 202
    drain_contacts_queue()
    assert [c["phone"] for c in api.get("/api/conversations").json["items"]] == [phones[2]]
    assert api.get("/api/conversations/summary").json["unread_conversations"] == 1


def test_a_contacts_data_export_includes_their_conversations(kit: Setup, api: Api) -> None:
    phones = add_contacts(api, 2)
    _inbound(kit, phones[0], "Do you deliver on Sunday?", "d-1")
    _inbound(kit, phones[0], "Thanks!", "d-2")
    _inbound(kit, phones[1], "Not mine", "d-3")
    data = api.get(f"/api/contacts/{phones[0]}/data")
    assert data.status == 200, data.json
    assert data.json["contact"]["phone"] == phones[0]
    (conversation,) = data.json["conversations"]
    texts = [m["text"] for m in conversation["messages"] if m["direction"] == "in"]
    assert texts == ["Do you deliver on Sunday?", "Thanks!"]
    # another account's contact reads as unknown, and so does a number never added
    other = register_and_login(api)
    assert api.get(f"/api/contacts/{phones[0]}/data", token=other["token"]).status == 404
    assert api.get("/api/contacts/+447700900999/data").status == 404
