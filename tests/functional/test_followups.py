"""Follow-ups, duplicates and the frequency cap (issue 16): through the API, the launch
worker and the agent link, as a user would drive them."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.functional.agentlink import FakeManagement
from tests.functional.campaignkit import Setup, add_contacts, launch_all
from tests.functional.conftest import Api, register_and_login

HOUR_MS = 3_600_000


@pytest.fixture
def kit(api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement) -> Setup:
    return Setup(api, chalice_app, fake)


@pytest.fixture
def uid(user: dict[str, Any]) -> str:
    return str(user["user"]["user_id"])


def _reply(kit: Setup, phone: str, body: str, wa_id: str) -> None:
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


def _origin(kit: Setup, api: Api) -> tuple[str, list[str]]:
    """Seven recipients: p0 and p5 only received it, p1 and p3 read it, p2 read and
    replied, p4 replied without a read receipt, p6's send failed; then p5 opted out."""
    phones = add_contacts(api, 7)
    cid = kit.campaign(name="Black Friday")["campaign_id"]
    kit.launch(cid)
    batch = kit.pull()
    assert sorted(m["phone"] for m in batch) == phones
    ids = kit.results([m for m in batch if m["phone"] != phones[6]])
    kit.results([m for m in batch if m["phone"] == phones[6]], "failed", "not_on_whatsapp")
    kit.acks([ids[p] for p in (phones[1], phones[2], phones[3])], 3)
    _reply(kit, phones[2], "Quero!", "in-2")
    _reply(kit, phones[4], "How much?", "in-4")
    assert api.post(f"/api/contacts/{phones[5]}/opt-out", {}).status == 200
    return cid, phones


def _send_now(kit: Setup, api: Api, cid: str, template: str = "Still interested?") -> None:
    patched = api.patch(f"/api/campaigns/{cid}", {"template": template, "send_at": None})
    assert patched.status == 200, patched.json


def test_follow_up_audiences_are_exactly_those_recipients(kit: Setup, api: Api) -> None:
    cid, p = _origin(kit, api)
    origin = api.get(f"/api/campaigns/{cid}").json

    preview = api.get(f"/api/campaigns/{cid}/follow-up")
    assert preview.status == 200, preview.json
    # Counted over the origin's messages (opt-outs are left out when it is prepared).
    assert preview.json == {"not_read": 2, "not_replied": 4, "read_not_replied": 2, "exact": True}

    expected = {
        "not_read": {p[0]},
        "not_replied": {p[0], p[1], p[3]},
        "read_not_replied": {p[1], p[3]},
    }
    for kind, phones in expected.items():
        # Each follow-up here sends at once to some of the same people: the cap (which
        # ignores the origin, but not the other follow-ups) would leave those out.
        created = api.post(
            f"/api/campaigns/{cid}/follow-up", {"kind": kind, "frequency_cap_hours": 0}
        )
        assert created.status == 201, created.json
        draft = created.json
        assert draft["status"] == "draft" and draft["template"] == ""
        assert draft["follow_up"] == {"campaign_id": cid, "kind": kind, "after_days": 2}
        assert draft["session_ids"] == origin["session_ids"]
        assert draft["name"] == "Black Friday — follow-up"
        assert draft["counters"]["total"] == 0
        # The origin's first send plus two days (the account's zone is UTC here).
        first = int(origin["launched_at"])
        assert abs(draft["send_at"] - (first + 2 * 24 * HOUR_MS)) < 5_000

        # The composer's count: the origin's matching recipients, less opt-outs.
        check = api.get(f"/api/campaigns/{draft['campaign_id']}/audience").json
        assert check["recipients"] == len(phones) and check["exact"] is True
        assert check["opted_out"] == (1 if kind != "read_not_replied" else 0)  # p5

        # It needs its own message before it can go.
        refused = api.post(f"/api/campaigns/{draft['campaign_id']}/schedule")
        assert refused.status == 422 and refused.error_code == "empty_message"

        _send_now(kit, api, draft["campaign_id"])
        launched = kit.launch(draft["campaign_id"])
        assert launched["status"] == "running", launched
        batch = kit.pull()
        assert {m["phone"] for m in batch} == phones, kind
        assert all(m["text"] == "Still interested?" for m in batch)
        kit.results(batch)


def test_a_reply_after_the_follow_up_was_prepared_still_counts(
    kit: Setup, api: Api, uid: str
) -> None:
    from chalicelib import jobs
    from chalicelib.campaigns import launch
    from chalicelib.models.campaigns import CampaignModel

    cid, p = _origin(kit, api)
    draft = api.post(
        f"/api/campaigns/{cid}/follow-up",
        {"kind": "read_not_replied", "template": "Any questions?", "after_days": 3},
    ).json
    fid = draft["campaign_id"]
    scheduled = kit.launch(fid)  # prepared now, sends in three days
    assert scheduled["status"] == "scheduled"
    assert scheduled["launch_progress"]["recipients"] == 2  # p1 and p3
    _reply(kit, p[1], "Yes, one question", "in-late")
    # Three days later: the launch worker writes its messages.
    CampaignModel(uid, fid).update(actions=[CampaignModel.send_at.set(0)])
    launch.handle(jobs.LaunchChunk(user_id=uid, campaign_id=fid))
    launch_all(kit.client)
    assert [m["phone"] for m in kit.pull()] == [p[3]]


def test_only_a_campaign_that_sent_can_be_followed_up(kit: Setup, api: Api) -> None:
    add_contacts(api, 2)
    cid = kit.campaign()["campaign_id"]
    for body in ({"kind": "not_replied"}, None):
        method = "POST" if body else "GET"
        reply = api.request(method, f"/api/campaigns/{cid}/follow-up", body)
        assert reply.status == 409 and reply.error_code == "not_sent_yet", reply.json
        assert "sent messages" in reply.json["error"]["message"]
    bad = api.post(f"/api/campaigns/{cid}/follow-up", {"kind": "maybe"})
    assert bad.status == 422


def test_duplicate_copies_the_campaign_not_its_stats(kit: Setup, api: Api, uid: str) -> None:
    from chalicelib.models.campaigns import CampaignModel

    add_contacts(api, 3)
    original = kit.campaign(
        name="Spring sale",
        template="Hi {{first_name|there}}",
        frequency_cap_hours=12,
        send_at="2099-03-01T10:00:00",
        timezone="Europe/Lisbon",
        pacing={"min_gap_s": 5, "max_gap_s": 9, "daily_cap": 77, "warmup": False},
    )
    cid = original["campaign_id"]
    CampaignModel(uid, cid).update(actions=[CampaignModel.media_key.set("m/1.jpg")])
    _send_now(kit, api, cid, "Hi {{first_name|there}}")
    kit.launch(cid)
    kit.results(kit.pull())

    copy = api.post(f"/api/campaigns/{cid}/duplicate")
    assert copy.status == 201, copy.json
    c = copy.json
    assert c["campaign_id"] != cid and c["status"] == "draft"
    assert c["name"] == "Spring sale (copy)"
    assert c["template"] == "Hi {{first_name|there}}" and c["has_media"] is True
    assert c["audience"] == {"all": False, "tags": ["vip"]}
    assert c["session_ids"] == [kit.session_id]
    assert c["pacing"] == api.get(f"/api/campaigns/{cid}").json["pacing"]
    assert c["pacing"]["daily_cap"] == 77 and c["timezone"] == "Europe/Lisbon"
    assert c["frequency_cap_hours"] == 12
    assert c["send_at"] is None and c["launched_at"] is None
    assert all(v == 0 for v in c["counters"].values())
    assert c["funnel"] == {"sent": 0, "delivered": 0, "read": 0, "replied": 0}
    assert api.get(f"/api/campaigns/{c['campaign_id']}/messages").json["items"] == []


def test_another_tenants_campaign_is_not_found(kit: Setup, api: Api) -> None:
    cid, _ = _origin(kit, api)
    other = register_and_login(api)
    for method, path, body in (
        ("POST", "/follow-up", {"kind": "not_replied"}),
        ("GET", "/follow-up", None),
        ("POST", "/duplicate", None),
    ):
        reply = api.request(method, f"/api/campaigns/{cid}{path}", body, token=other["token"])
        assert reply.status == 404, (method, path, reply.status)


def _sent_at(campaign_id: str, phone: str, at: int) -> None:
    from chalicelib.models.campaigns import CampaignMessageModel

    CampaignMessageModel(campaign_id, phone).update(actions=[CampaignMessageModel.sent_at.set(at)])


def test_frequency_cap_leaves_out_those_messaged_recently(kit: Setup, api: Api) -> None:
    from chalicelib.models.base import now_ms

    phones = add_contacts(api, 3)
    earlier = kit.campaign(name="Earlier", audience={"all": True})["campaign_id"]
    kit.launch(earlier)
    kit.results([m for m in kit.pull() if m["phone"] != phones[2]])  # p2 was never messaged
    _sent_at(earlier, phones[0], now_ms() - 1 * HOUR_MS)
    _sent_at(earlier, phones[1], now_ms() - 25 * HOUR_MS)

    # New campaigns cap at 24 h unless told otherwise.
    created = api.post(
        "/api/campaigns",
        {
            "name": "Capped",
            "template": "Hello",
            "audience": {"tags": ["vip"]},
            "session_ids": [kit.session_id],
        },
    )
    assert created.status == 201 and created.json["frequency_cap_hours"] == 24
    capped = created.json["campaign_id"]
    launched = kit.launch(capped)
    assert launched["frequency_capped"] == 1
    assert launched["counters"]["total"] == 3 and launched["counters"]["skipped"] == 1
    skipped = api.get(f"/api/campaigns/{capped}/messages?status=skipped").json["items"]
    assert [(m["phone"], m["reason"]) for m in skipped] == [(phones[0], "frequency_cap")]
    assert sorted(m["phone"] for m in kit.pull()) == [phones[1], phones[2]]

    # 0 turns it off: everyone, including the one messaged an hour ago.
    off = kit.campaign(name="Uncapped", frequency_cap_hours=0)["campaign_id"]
    assert kit.launch(off)["frequency_capped"] == 0
    assert sorted(m["phone"] for m in kit.pull()) == phones

    # Editable on a draft; a cap that leaves no one is refused in words.
    only_recent = kit.campaign(name="Only p0", audience={"tags": ["solo"]})["campaign_id"]
    api.patch(f"/api/contacts/{phones[0]}", {"tags": ["vip", "solo"]})
    patched = api.patch(f"/api/campaigns/{only_recent}", {"frequency_cap_hours": 48})
    assert patched.status == 200 and patched.json["frequency_cap_hours"] == 48
    refused = kit.launch(only_recent)
    assert refused["status"] == "draft"
    assert refused["launch_problem"]["code"] == "empty_audience"
    assert "frequency cap" in refused["launch_problem"]["message"]
    assert refused["launch_problem"]["details"]["frequency_capped"] == 1
    too_long = api.patch(f"/api/campaigns/{only_recent}", {"frequency_cap_hours": 10_000})
    assert too_long.status == 422
