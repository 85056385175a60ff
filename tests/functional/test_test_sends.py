"""Test sends obey the rules of any send: quota, opt-outs, billing hold, pacing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from tests.functional.agentlink import FakeManagement
from tests.functional.campaignkit import Setup, add_contacts
from tests.functional.conftest import Api


@pytest.fixture
def kit(api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement) -> Setup:
    return Setup(api, chalice_app, fake)


@pytest.fixture
def many_tests_a_day(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from chalicelib.config import reset_settings_cache

    monkeypatch.setenv("WACAST_TEST_SENDS_PER_DAY", "1000")
    reset_settings_cache()
    yield
    reset_settings_cache()


def send_test(kit: Setup, cid: str, phone: str) -> Any:
    return kit.api.post(f"/api/campaigns/{cid}/test", {"session_id": kit.session_id, "to": phone})


def messages_left(api: Api) -> dict[str, int]:
    return dict(api.get("/api/billing").json["messages"])


def test_free_plan_cannot_send_110_tests(kit: Setup, api: Api, many_tests_a_day: None) -> None:
    from chalicelib.models.base import now_ms
    from chalicelib.models.contacts import ContactModel

    user_id = api.get("/api/me").json["user_id"]
    phones = [f"+1415556{i:04d}" for i in range(110)]
    with ContactModel.batch_write() as batch:  # 110 contacts, quicker than 110 POSTs
        for phone in phones:
            batch.save(
                ContactModel(
                    user_id, phone, first_name="Ana", created_at=now_ms(), updated_at=now_ms()
                )
            )
    cid = kit.campaign()["campaign_id"]
    statuses = [(r.status, r.error_code) for r in (send_test(kit, cid, p) for p in phones)]
    assert statuses[:100] == [(202, None)] * 100
    assert set(statuses[100:]) == {(409, "quota_exceeded")}
    left = messages_left(api)
    assert (left["reserved"], left["remaining"]) == (100, 0)
    sent = 0
    while batch_ := kit.pull():  # one per pull: paced like any send
        assert len(batch_) == 1
        kit.results(batch_)
        sent += 1
        if sent == 5:
            break
    left = messages_left(api)
    assert (left["used"], left["reserved"], left["remaining"]) == (5, 95, 0)


def test_daily_test_allowance(kit: Setup, api: Api) -> None:
    phone = add_contacts(api, 1)[0]
    cid = kit.campaign()["campaign_id"]
    said, counts = [], []
    for _ in range(20):
        queued = send_test(kit, cid, phone)
        assert queued.status == 202
        said.append(queued.json["message"])
        counts.append((queued.json["tests_left"], queued.json["tests_per_day"]))
        kit.results(kit.pull())
    # Each answer says how many are left (the composer shows it after a test).
    assert said[0] == "The test message is on its way. 19 of 20 tests left for today."
    assert said[-1] == "The test message is on its way. 0 of 20 tests left for today."
    assert (counts[0], counts[-1]) == ((19, 20), (0, 20))
    refused = send_test(kit, cid, phone)
    assert refused.status == 429 and refused.error_code == "rate_limited"
    assert "20 test messages a day" in refused.json["error"]["message"]
    assert int(refused.headers["Retry-After"]) > 0
    assert messages_left(api)["used"] == 20


def test_failed_test_gives_its_message_back_and_one_in_flight_per_contact(
    kit: Setup, api: Api
) -> None:
    phone = add_contacts(api, 1)[0]
    cid = kit.campaign()["campaign_id"]
    assert send_test(kit, cid, phone).status == 202
    assert messages_left(api)["reserved"] == 1
    again = send_test(kit, cid, phone)
    assert again.status == 409 and again.error_code == "test_in_progress"
    kit.results(kit.pull(), outcome="failed", reason="not_on_whatsapp")
    left = messages_left(api)
    assert (left["used"], left["reserved"], left["remaining"]) == (0, 0, 100)
    assert send_test(kit, cid, phone).status == 202  # finished: a new one may go


def test_opted_out_contact_is_refused(kit: Setup, api: Api) -> None:
    phone = add_contacts(api, 1)[0]
    cid = kit.campaign()["campaign_id"]
    assert api.post(f"/api/contacts/{quote(phone)}/opt-out").status in (200, 204)
    refused = send_test(kit, cid, phone)
    assert refused.status == 409 and refused.error_code == "contact_opted_out"
    assert "asked not to be messaged" in refused.json["error"]["message"]
    assert kit.pull() == []
    assert messages_left(api)["reserved"] == 0


def test_billing_hold_stops_tests(kit: Setup, api: Api) -> None:
    from chalicelib.billing import accounts
    from chalicelib.models.base import now_ms

    phones = add_contacts(api, 2)
    cid = kit.campaign()["campaign_id"]
    assert send_test(kit, cid, phones[0]).status == 202  # queued before the hold
    user_id = api.get("/api/me").json["user_id"]
    accounts.mark_past_due(user_id, now=now_ms() - 4 * 86_400_000)
    refused = send_test(kit, cid, phones[1])
    assert refused.status == 409 and refused.error_code == "sending_on_hold"
    assert kit.pull() == []  # the queued one waits too
    accounts.clear_past_due(user_id)
    assert [m["phone"] for m in kit.pull()] == [phones[0]]


def test_tests_are_paced_and_count_against_the_daily_cap(kit: Setup, api: Api) -> None:
    phones = add_contacts(api, 3)
    pacing = {"min_gap_s": 30, "max_gap_s": 90, "daily_cap": 2, "warmup": False}
    cid = kit.campaign(pacing=pacing)["campaign_id"]
    assert send_test(kit, cid, phones[0]).status == 202
    assert send_test(kit, cid, phones[1]).status == 202
    frames = kit.agent.send({"type": "pull", "session_id": kit.session_id, "max": 100})
    batch = next(f for f in frames if f["type"] == "batch")
    assert len(batch["messages"]) == 1  # one test per pull, then the gap
    assert (batch["pacing"]["min_gap_s"], batch["pacing"]["max_gap_s"]) == (30, 90)
    assert batch["pacing"]["daily_cap"] == 2
    kit.results(batch["messages"])
    second = kit.pull()
    assert len(second) == 1
    kit.results(second)
    refused = send_test(kit, cid, phones[2])
    assert refused.status == 409 and refused.error_code == "daily_cap_reached"


def test_a_queued_test_is_dropped_when_its_contact_opts_out(kit: Setup, api: Api) -> None:
    phone = add_contacts(api, 1)[0]
    cid = kit.campaign()["campaign_id"]
    assert send_test(kit, cid, phone).status == 202
    assert messages_left(api)["reserved"] == 1
    assert api.post(f"/api/contacts/{quote(phone)}/opt-out").status in (200, 204)
    assert kit.pull() == []
    left = messages_left(api)
    assert (left["used"], left["reserved"], left["remaining"]) == (0, 0, 100)


def test_a_test_sends_the_chosen_variants_message(kit: Setup, api: Api) -> None:
    phones = add_contacts(api, 2)
    cid = kit.campaign(
        template="Main for {{first_name}}", variants=[{"template": "Second for {{first_name}}"}]
    )["campaign_id"]
    body = {"session_id": kit.session_id, "to": phones[0], "variant": "B"}
    assert api.post(f"/api/campaigns/{cid}/test", body).status == 202
    (leased,) = kit.pull()
    assert leased["text"] == "Second for Ana0"
    # No variant named: the main message (A). A letter the campaign lacks: refused in words.
    assert send_test(kit, cid, phones[1]).status == 202
    assert [m["text"] for m in kit.pull()] == ["Main for Ana1"]
    refused = api.post(f"/api/campaigns/{cid}/test", {**body, "variant": "C"})
    assert refused.status == 422 and refused.error_code == "no_such_variant"
    assert "has no variant C: it has A, B" in refused.json["error"]["message"]
