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


def test_next_chunk_takes_this_chunks_pace_aimed_at_the_target() -> None:
    from chalicelib.campaigns import launch

    assert launch.CHUNK_SECONDS == 1.5
    assert launch.next_chunk_size(500, 9.0) == 83  # a slow table: smaller chunks
    assert launch.next_chunk_size(50, 0.05) == launch.CHUNK_CONTACTS  # fast: up to the cap
    assert launch.next_chunk_size(100, 60.0) == 25  # never below 25 a chunk


def test_chunks_sized_by_time_write_every_recipient_once(
    kit: Setup, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.campaigns import launch

    monkeypatch.setattr(launch, "FIRST_CHUNK_CONTACTS", 2)
    monkeypatch.setattr(launch, "CHUNK_CONTACTS", 4)
    chunks: list[tuple[int, int | None]] = []
    enqueue = launch.enqueue

    def recorded(
        user_id: str, campaign_id: str, send_at: int, chunk: int = 0, size: int | None = None
    ) -> None:
        chunks.append((chunk, size))
        enqueue(user_id, campaign_id, send_at, chunk, size)

    monkeypatch.setattr(launch, "enqueue", recorded)
    add_contacts(api, 11)
    cid = kit.campaign()["campaign_id"]
    detail = kit.launch(cid)
    assert detail["status"] == "running" and detail["counters"]["total"] == 11
    assert detail["counters"]["pending"] == 11
    later = [(chunk, size) for chunk, size in chunks if chunk > 0]
    assert [chunk for chunk, _ in later] == list(range(1, len(later) + 1)) and len(later) >= 3
    assert all(size is not None and 1 <= size <= 4 for _, size in later)
    phones = [m["phone"] for m in kit.pull()]
    assert len(phones) == len(set(phones)) == 11
