"""Billing's rules where campaigns and numbers meet them: quota, number limit, dunning."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.agentlink import FakeManagement
from tests.functional.campaignkit import Setup, add_contacts, launch_all
from tests.functional.conftest import Api


@pytest.fixture
def kit(api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement) -> Setup:
    return Setup(api, chalice_app, fake)


def billing(api: Api) -> dict[str, Any]:
    reply = api.get("/api/billing")
    assert reply.status == 200, reply.json
    return dict(reply.json)


def test_launch_reserves_sends_consume_and_completion_releases(kit: Setup, api: Api) -> None:
    add_contacts(api, 6)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    assert billing(api)["messages"]["reserved"] == 6
    batch = kit.pull()
    kit.results(batch[:4])
    kit.results(batch[4:], outcome="failed", reason="not_on_whatsapp")
    after = billing(api)["messages"]
    assert (after["used"], after["reserved"], after["remaining"]) == (4, 0, 96)


def test_launch_over_the_free_quota_is_refused_with_the_overage(kit: Setup, api: Api) -> None:
    from chalicelib.billing import quota

    add_contacts(api, 10)
    quota.reserve(api.get("/api/me").json["user_id"], 95, "other-campaign")
    cid = kit.campaign()["campaign_id"]
    assert api.post(f"/api/campaigns/{cid}/schedule").status == 202
    launch_all(kit.client)
    back = api.get(f"/api/campaigns/{cid}").json
    assert back["status"] == "draft"
    problem = back["launch_problem"]
    assert problem["code"] == "quota_short" and problem["details"]["over_by"] == 5
    assert "only 5 remain" in problem["message"]


def test_number_limit_of_the_plan(kit: Setup, api: Api) -> None:
    from chalicelib.billing import accounts

    second = api.post("/api/sessions", {"label": "Second"})
    assert second.status == 409  # free plan: one number
    accounts.grant_plan(api.get("/api/me").json["user_id"], "starter")
    assert api.post("/api/sessions", {"label": "Second"}).status == 201


def test_payment_failed_past_grace_pauses_running_campaigns(kit: Setup, api: Api) -> None:
    from chalicelib.billing import accounts, dunning
    from chalicelib.models.base import now_ms

    add_contacts(api, 3)
    cid = kit.campaign()["campaign_id"]
    kit.launch(cid)
    user_id = api.get("/api/me").json["user_id"]
    accounts.mark_past_due(user_id, now=now_ms() - 4 * 86_400_000)
    dunning.enforce_grace()
    detail = api.get(f"/api/campaigns/{cid}").json
    assert detail["status"] == "paused" and detail["pause_reason"] == "payment_failed"
    assert api.post(f"/api/campaigns/{cid}/resume").error_code == "sending_on_hold"
    accounts.clear_past_due(user_id)
    assert api.post(f"/api/campaigns/{cid}/resume").json["status"] == "running"
