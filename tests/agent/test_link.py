"""The link against a real in-test websockets server that drops connections."""

from __future__ import annotations

from pathlib import Path

from agent.journal import Journal
from agent.link import Link
from tests.agent.conftest import FakeCloud, wait_for
from wacast_protocol import Heartbeat, Hello, Inbound, Pull


def _link(
    cloud: FakeCloud,
    journal: Journal,
    received: list[object] | None = None,
    token: str = "tok",
    **kw: float,
) -> Link:
    return Link(
        cloud.url,
        token,
        journal,
        hello=lambda: Hello(agent_version="test", max_sessions=2),
        heartbeat=lambda: Heartbeat(sessions_running=0, rss_bytes=1, cpu_percent=0, uptime_s=1),
        on_frame=(received.append if received is not None else lambda f: None),
        backoff_base_s=0.02,
        backoff_cap_s=0.2,
        **kw,
    )


def _frame(i: int) -> Inbound:
    return Inbound(
        session_id="s1", from_phone="+447700900001", body=f"m{i}", wa_message_id=f"id{i}", ts=i
    )


async def test_reconnect_nothing_lost_order_kept(cloud: FakeCloud, tmp_path: Path) -> None:
    cloud.drop_every = 7
    journal = Journal(tmp_path / "j.sqlite3")
    link = _link(cloud, journal)
    link.start()
    for i in range(1, 41):
        link.send(_frame(i))
    await wait_for(lambda: set(cloud.seqs()) >= set(range(1, 41)), what="all seqs")
    await wait_for(lambda: journal.outbox_size() == 0, what="outbox pruned by receipts")
    assert len(cloud.connections) >= 3 and link.connections >= 3
    # within each connection, seqs arrive strictly increasing; first sightings are in order
    first_seen: list[int] = []
    for s in cloud.seqs():
        if s not in first_seen:
            first_seen.append(s)
    assert first_seen == list(range(1, 41))
    bodies = {f["seq"]: f["body"] for f in cloud.of_type("inbound")}
    assert all(bodies[i] == f"m{i}" for i in range(1, 41))
    # hello opens every connection
    assert len(cloud.of_type("hello")) == len(cloud.connections)
    assert all(h["authorization"] == "Bearer tok" for h in cloud.headers)
    await link.stop()
    journal.close()


async def test_agent_restart_resends_unreceipted(cloud: FakeCloud, tmp_path: Path) -> None:
    cloud.receipts = False
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    link = _link(cloud, journal)
    link.start()
    for i in range(1, 6):
        link.send(_frame(i))
    await wait_for(lambda: sorted(cloud.seqs()) == [1, 2, 3, 4, 5])
    await link.stop()
    journal.close()
    cloud.frames.clear()
    cloud.receipts = True
    journal2 = Journal(path)
    assert journal2.outbox_size() == 5
    link2 = _link(cloud, journal2)
    link2.start()
    await wait_for(lambda: cloud.seqs() == [1, 2, 3, 4, 5], what="re-sent in order")
    assert link2.send(_frame(6)) == 6  # seqs keep growing across restarts
    await wait_for(lambda: journal2.outbox_size() == 0)
    assert cloud.frames[0]["type"] == "hello"
    await link2.stop()
    journal2.close()


async def test_query_token_fallback_and_heartbeats(cloud: FakeCloud, tmp_path: Path) -> None:
    cloud.require_query_token = True
    journal = Journal(tmp_path / "j.sqlite3")
    received: list[object] = []
    link = _link(cloud, journal, received, heartbeat_interval_s=0.1)
    link.start()
    await wait_for(lambda: link.connected.is_set(), what="connected via ?token=")
    assert any("token=tok" in p for p in cloud.paths)
    await wait_for(lambda: len(cloud.of_type("heartbeat")) >= 2, what="heartbeats")
    assert link.send_ephemeral(Pull(session_id="s1", max=5))
    await wait_for(lambda: cloud.of_type("pull"))
    await cloud.send(Hello(agent_version="x", max_sessions=1))  # not a cloud frame: ignored
    from wacast_protocol import Wake

    await cloud.send(Wake(session_ids=["s1"]))
    await wait_for(lambda: received, what="wake delivered")
    assert received[0].type == "wake"  # type: ignore[attr-defined]
    await link.stop()
    journal.close()


async def test_ephemeral_dropped_when_offline(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    link = Link(
        "ws://127.0.0.1:9/ws",
        "t",
        journal,
        hello=lambda: Hello(agent_version="x", max_sessions=1),
        heartbeat=lambda: Hello(agent_version="x", max_sessions=1),
        on_frame=lambda f: None,
    )
    assert link.send_ephemeral(Pull(session_id="s1", max=1)) is False
    assert link.send(_frame(1)) == 1 and journal.outbox_size() == 1
    journal.close()
