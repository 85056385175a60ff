"""A/B variants: the sticky split, per-variant results through the normal frames, the
winner rollout, and validation that names the variant."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

from tests.functional.agentlink import FakeManagement
from tests.functional.campaignkit import Setup, add_contacts, counters, launch_all
from tests.functional.conftest import Api

TEXTS = [
    "Hi {{first_name|there}}, B",
    "Hello {{first_name|there}}, C",
    "Hey {{first_name|there}}, D",
]


@pytest.fixture
def kit(api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement) -> Setup:
    return Setup(api, chalice_app, fake)


def _contacts(user_id: str, count: int) -> list[str]:
    """Many contacts at once, straight into the table (the API would take minutes)."""
    from chalicelib.models.contacts import ContactModel

    phones = [f"+1555{i:07d}" for i in range(count)]
    now = int(time.time() * 1000)
    with ContactModel.batch_write() as batch:
        for i, phone in enumerate(phones):
            batch.save(
                ContactModel(
                    user_id,
                    phone,
                    first_name=f"Bea{i}",
                    tags={"vip"},
                    created_at=now,
                    updated_at=now,
                )
            )
    return phones


def _user_id(api: Api) -> str:
    return str(api.get("/api/me").json["user_id"])


def _unlimited(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.campaigns import quota

    monkeypatch.setattr(quota, "reserve", quota._reserve)
    monkeypatch.setattr(quota, "consume", quota._move)
    monkeypatch.setattr(quota, "release", quota._move)


def _stored_variants(campaign_id: str) -> dict[str, str | None]:
    from chalicelib.models.campaigns import CampaignMessageModel

    return {m.phone: m.variant for m in CampaignMessageModel.query(campaign_id)}


@pytest.mark.parametrize("extra", [1, 3])
def test_split_of_1000_is_even_and_sticky_across_rematerialisation(
    kit: Setup, api: Api, monkeypatch: pytest.MonkeyPatch, extra: int
) -> None:
    from chalicelib.campaigns import service, variants
    from chalicelib.models.campaigns import CampaignModel

    _unlimited(monkeypatch)
    # A fixed id makes the (hash) split, and so this test, the same on every run.
    monkeypatch.setattr(service, "new_campaign_id", lambda: f"cmp_split{extra}")
    phones = _contacts(_user_id(api), 1000)
    cid = kit.campaign(variants=[{"template": t} for t in TEXTS[:extra]])["campaign_id"]
    # The launch worker dies after writing two chunks, before committing them: the
    # redelivered chunks are written again and must give everyone the same letter.
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
    assert crashes["left"] == 0
    stored = _stored_variants(cid)
    assert len(stored) == 1000
    letters = variants.LETTERS[: extra + 1]
    split = Counter(stored.values())
    assert set(split) == set(letters)
    even = 1000 / len(letters)
    for letter in letters:
        assert abs(split[letter] - even) <= 50, split  # within ±5 % of the audience
    assert all(stored[p] == variants.assign(cid, p, len(letters)) for p in phones)
    detail = api.get(f"/api/campaigns/{cid}").json
    assert {r["variant"]: r["recipients"] for r in detail["variant_results"]} == dict(split)
    assert [v["variant"] for v in detail["variants"]] == list(letters[1:])


def test_the_pick_is_sticky_and_even_for_any_campaign() -> None:
    from chalicelib.campaigns import variants

    phones = [f"+5511{i:09d}" for i in range(1000)]
    for count in (2, 4):
        for campaign in ("cmp_a", "cmp_b", "cmp_c"):
            picks = [variants.assign(campaign, p, count) for p in phones]
            assert picks == [variants.assign(campaign, p, count) for p in phones]
            shares = Counter(picks)
            assert all(abs(shares[x] - 1000 / count) <= 50 for x in variants.LETTERS[:count])


def test_each_variant_is_sent_with_its_own_text_and_counted(kit: Setup, api: Api) -> None:
    from chalicelib.campaigns import variants

    phones = add_contacts(api, 12)
    cid = kit.campaign(template="A {{first_name}}", variants=[{"template": "B {{first_name}}"}])[
        "campaign_id"
    ]
    preview = api.post(f"/api/campaigns/{cid}/preview", {"phone": phones[0], "variant": "B"})
    assert preview.status == 200 and preview.json["text"] == "B Ana0"
    assert api.post(f"/api/campaigns/{cid}/preview", {"phone": phones[0]}).json["text"] == "A Ana0"
    missing = api.post(f"/api/campaigns/{cid}/preview", {"phone": phones[0], "variant": "D"})
    assert missing.status == 404
    kit.launch(cid)
    batch = kit.pull(100)
    by_phone = {m["phone"]: m for m in batch}
    assert sorted(by_phone) == phones
    letters = {p: variants.assign(cid, p, 2) for p in phones}
    for phone, message in by_phone.items():
        assert message["text"].startswith(f"{letters[phone]} Ana")
    listed = api.get(f"/api/campaigns/{cid}/messages").json["items"]
    assert {m["phone"]: m["variant"] for m in listed} == letters
    export = api.get(f"/api/campaigns/{cid}/export")
    header, *rows = export.body.decode().strip().splitlines()
    column = header.split(",").index("variant")
    assert sorted(r.split(",")[column] for r in rows) == sorted(letters.values())

    # Results, acks and replies through the normal frames.
    a = [p for p in phones if letters[p] == "A"]
    b = [p for p in phones if letters[p] == "B"]
    assert a and b
    failed = [by_phone[a[0]]]
    ids = kit.results([by_phone[p] for p in phones if p != a[0]])
    kit.results(failed, outcome="failed", reason="not_on_whatsapp")
    kit.results([by_phone[p] for p in phones if p != a[0]])  # re-sent: no change
    kit.acks([ids[p] for p in a[1:] + b], 2)
    kit.acks([ids[p] for p in b], 3)  # every B is read
    kit.acks([ids[p] for p in b], 3)  # again: no change
    for n, phone in enumerate(b[:2]):
        _reply(kit, phone, n)
    _reply(kit, b[0], 9)  # a second reply of the same person counts once
    detail = api.get(f"/api/campaigns/{cid}").json
    rows = {r["variant"]: r for r in detail["variant_results"]}
    assert rows["A"] | {} == rows["A"]
    sent_a = len(a) - 1
    assert (rows["A"]["sent"], rows["A"]["delivered"], rows["A"]["read"]) == (sent_a, sent_a, 0)
    assert (rows["A"]["failed"], rows["A"]["replied"]) == (1, 0)
    assert (rows["B"]["sent"], rows["B"]["delivered"], rows["B"]["read"]) == (len(b),) * 3
    assert rows["B"]["replied"] == 2
    assert rows["B"]["reply_rate"] == round(2 / len(b), 4)
    assert rows["B"]["read_rate"] == 1.0 and rows["A"]["read_rate"] == 0.0
    assert rows["A"]["failed_rate"] == round(1 / len(a), 4)
    assert counters(api, cid)["replies"] == 2


def _reply(kit: Setup, phone: str, n: int) -> None:
    kit.agent.send(
        {
            "type": "inbound",
            "session_id": kit.session_id,
            "from_phone": phone,
            "body": "Sounds good",
            "wa_message_id": f"in{phone}{n}",
            "ts": int(time.time() * 1000),
        }
    )


def test_winner_rollout_sends_the_rest_with_the_best_reply_rate(kit: Setup, api: Api) -> None:
    from chalicelib.campaigns import service, variants

    phones = add_contacts(api, 30)
    cid = kit.campaign(
        template="A {{first_name}}",
        variants=[{"template": "B {{first_name}}"}, {"template": "C {{first_name}}"}],
        rollout={"test_size": 12, "wait_hours": 0},
    )["campaign_id"]
    detail = kit.launch(cid)
    assert detail["rollout"] == {
        "test_size": 12,
        "wait_hours": 0.0,
        "waiting": 18,
        "decision": None,
    }
    test_group = kit.pull(100)
    assert len(test_group) == 12  # only the test group goes out before the decision
    assert kit.pull(100) == []
    letters = {m["phone"]: variants.assign(cid, m["phone"], 3) for m in test_group}
    assert all(m["text"].startswith(letters[m["phone"]]) for m in test_group)
    waiting = [p for p in phones if p not in letters]
    assert set(_stored_variants(cid)[p] for p in waiting) == {None}
    assert variants.sweep() == 0  # the test group is not done yet: nothing decided

    ids = kit.results(test_group)
    kit.acks(list(ids.values()), 3)
    # Everyone read it; only C's recipients answered: C has the best reply rate.
    group = {x: [p for p in letters if letters[p] == x] for x in "ABC"}
    assert all(group.values()), group
    for phone in group["C"]:
        _reply(kit, phone, 0)
    rows = {r["variant"]: r for r in api.get(f"/api/campaigns/{cid}").json["variant_results"]}
    assert rows["C"]["reply_rate"] == 1.0

    assert variants.sweep() == 18
    assert variants.sweep() == 0  # twice: nothing moves again, the decision stands
    assert variants.roll_out(service.get(_user_id(api), cid, consistent=True)) == 0
    detail = api.get(f"/api/campaigns/{cid}").json
    decision = detail["rollout"]["decision"]
    assert decision["winner"] == "C" and detail["rollout"]["waiting"] == 0
    assert {f["variant"]: f["replied"] for f in decision["figures"]} == {
        "A": 0,
        "B": 0,
        "C": len(group["C"]),
    }
    stored = _stored_variants(cid)
    assert all(stored[p] == "C" for p in waiting)
    assert all(stored[p] == letters[p] for p in letters)  # the test group keeps its letter
    rest = kit.pull(100)
    assert sorted(m["phone"] for m in rest) == sorted(waiting)
    assert all(m["text"].startswith("C Ana") for m in rest)
    results = {r["variant"]: r for r in detail["variant_results"]}
    assert results["C"]["recipients"] == len(group["C"]) + 18


def test_rollout_waits_for_its_hours(kit: Setup, api: Api) -> None:
    from chalicelib.campaigns import variants

    add_contacts(api, 6)
    cid = kit.campaign(variants=[{"template": "B"}], rollout={"test_size": 2, "wait_hours": 2})[
        "campaign_id"
    ]
    kit.launch(cid)
    kit.results(kit.pull(100))
    assert variants.sweep() == 0
    later = int(time.time() * 1000) + 2 * 3_600_000 + 1000
    assert variants.sweep(now=later) == 4
    assert len(kit.pull(100)) == 4


def test_ties_go_to_read_rate_then_variant_order() -> None:
    from chalicelib.campaigns import variants

    def row(x: str, reply: float, read: float) -> dict[str, Any]:
        return {"variant": x, "reply_rate": reply, "read_rate": read}

    assert variants.best([row("A", 0.1, 0.5), row("B", 0.2, 0.1)]) == "B"
    assert variants.best([row("A", 0.2, 0.5), row("B", 0.2, 0.6)]) == "B"
    assert variants.best([row("A", 0.2, 0.6), row("B", 0.2, 0.6), row("C", 0.2, 0.6)]) == "A"


def test_variant_validation_names_the_variant(kit: Setup, api: Api) -> None:
    add_contacts(api, 2)
    body = {
        "name": "AB",
        "template": "Hi {{first_name}}",
        "audience": {"tags": ["vip"]},
        "session_ids": [kit.session_id],
    }
    bad = api.post("/api/campaigns", {**body, "variants": [{"template": "ok"}, {"template": "{x"}]})
    assert bad.status == 422 and bad.error_code == "validation_error"
    assert bad.json["error"]["message"].startswith("Variant C:")
    assert bad.json["error"]["details"][0]["loc"] == ["variants", 1, "template"]
    empty = api.post("/api/campaigns", {**body, "variants": [{"template": "  "}]})
    assert empty.status == 422 and "Variant B" in empty.json["error"]["message"]
    five = api.post("/api/campaigns", {**body, "variants": [{"template": "x"}] * 4})
    assert five.status == 422
    lonely = api.post("/api/campaigns", {**body, "rollout": {"test_size": 10}})
    assert lonely.status == 422 and "two variants" in lonely.json["error"]["message"]

    # Too long for WhatsApp: refused at launch, naming the variant.
    cid = kit.campaign(variants=[{"template": "x" * 4097}])["campaign_id"]
    launch = api.post(f"/api/campaigns/{cid}/schedule")
    assert launch.status == 422 and launch.error_code == "message_too_long"
    assert launch.json["error"]["message"].startswith("Variant B:")

    # A variable missing for a recipient: the launch problem says which variant needs it.
    cid = kit.campaign(template="Hi {{first_name|there}}", variants=[{"template": "Hi {{city}}"}])[
        "campaign_id"
    ]
    assert api.post(f"/api/campaigns/{cid}/schedule").status == 202
    launch_all(kit.client)
    detail = api.get(f"/api/campaigns/{cid}").json
    assert detail["status"] == "draft"
    problem = detail["launch_problem"]
    assert problem["code"] == "missing_variables"
    assert problem["details"]["affected"][0]["variants"] == ["B"]

    # Once launched, variants are fixed (an unchanged form is no change).
    cid = kit.campaign(variants=[{"template": "B {{first_name|x}}"}])["campaign_id"]
    kit.launch(cid)
    assert api.post(f"/api/campaigns/{cid}/pause").status == 200
    same = api.patch(f"/api/campaigns/{cid}", {"variants": [{"template": "B {{first_name|x}}"}]})
    assert same.status == 200, same.json
    changed = api.patch(f"/api/campaigns/{cid}", {"variants": [{"template": "other"}]})
    assert changed.status == 422 and changed.error_code == "not_editable"


def test_per_variant_figures_add_no_writes(
    kit: Setup, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15's budget: the variant counters ride the writes a message already costs."""
    from pynamodb.connection.base import Connection

    from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel

    add_contacts(api, 6)
    writes: Counter[str] = Counter()
    original = Connection.update_item

    def counted(self: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
        writes[table_name] += 1
        return original(self, table_name, *args, **kwargs)

    def frames(cid: str) -> Counter[str]:
        writes.clear()
        batch = kit.pull(100)
        ids = kit.results(batch)
        kit.acks(list(ids.values()), 2)
        kit.acks(list(ids.values()), 3)
        for n, message in enumerate(batch[:2]):
            _reply(kit, message["phone"], n)
        return Counter(writes)

    monkeypatch.setattr(Connection, "update_item", counted)
    plain_cid = kit.campaign(name="plain")["campaign_id"]
    kit.launch(plain_cid)
    without = frames(plain_cid)
    ab_cid = kit.campaign(name="ab", variants=[{"template": "B"}, {"template": "C"}])["campaign_id"]
    kit.launch(ab_cid)
    with_variants = frames(ab_cid)
    assert sum(r["sent"] for r in api.get(f"/api/campaigns/{ab_cid}").json["variant_results"]) == 6
    # The number's day counter is created on the first send of the day: compare the
    # campaign tables only.
    tables = (CampaignModel.Meta.table_name, CampaignMessageModel.Meta.table_name)
    assert [with_variants[t] for t in tables] == [without[t] for t in tables] != [0, 0]
