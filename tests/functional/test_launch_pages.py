"""The preparing walk's pages are sized by time, so no launch_worker invocation grows
with the audience or with a slow table (issue 15: a 100,000-contact launch with no
request or invocation over 5 s; figures: ``python -m bench launch``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.billing.fixtures import billing_fixture  # noqa: F401  (fixture)
from tests.functional.agentlink import FakeManagement
from tests.functional.campaignkit import Setup, add_contacts, launch_all
from tests.functional.conftest import Api


@pytest.fixture
def kit(api: Api, user: dict[str, Any], chalice_app: Any, fake: FakeManagement) -> Setup:
    return Setup(api, chalice_app, fake)


def test_next_page_takes_this_pages_pace_aimed_at_the_target() -> None:
    from chalicelib.campaigns import prepare

    assert prepare.PAGE_SECONDS == 1.5
    assert prepare.next_page_size(2000, 10.0) == 300  # a slow table: smaller pages
    assert prepare.next_page_size(250, 0.1) == prepare.PAGE_CONTACTS  # fast: up to the cap
    assert prepare.next_page_size(100, 60.0) == 50  # never below 50 a page
    assert prepare.next_page_size(10, 0.0) == prepare.PAGE_CONTACTS


def test_a_walk_in_time_sized_pages_still_checks_everyone_once(
    kit: Setup, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.campaigns import prepare

    monkeypatch.setattr(prepare, "FIRST_PAGE", 3)
    sizes: list[tuple[int, int]] = []
    enqueue = prepare.enqueue

    def recorded(
        user_id: str, campaign_id: str, token: str, page: int, size: int | None = None
    ) -> None:
        size = prepare.FIRST_PAGE if size is None else size
        sizes.append((page, size))
        enqueue(user_id, campaign_id, token, page, size)

    monkeypatch.setattr(prepare, "enqueue", recorded)
    add_contacts(api, 11)
    cid = kit.campaign()["campaign_id"]
    assert api.post(f"/api/campaigns/{cid}/schedule").status == 202
    launch_all(kit.client)
    detail = api.get(f"/api/campaigns/{cid}").json
    assert detail["status"] == "running"
    assert detail["launch_progress"]["checked"] == 11
    assert detail["counters"]["total"] == 11
    assert sizes[0] == (0, 3)  # the first page is small
    assert [page for page, _ in sizes] == list(range(len(sizes))) and len(sizes) >= 2
    assert all(50 <= size <= prepare.PAGE_CONTACTS for _, size in sizes[1:])
    assert len(kit.pull()) == 11
