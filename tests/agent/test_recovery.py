"""Agent-side recovery: what hello lists as in flight, a stale sync against a fresh start,
and acks caught up from OpenWA (the simulator process) after a restart."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from agent.journal import Journal
from agent.recovery import Recovery, ack_of
from agent.runtime import Agent
from tests.agent.conftest import PY, FakeCloud, make_config, wait_for
from wacast_protocol import (
    Batch,
    BatchMessage,
    DesiredSession,
    Pacing,
    StartSession,
    Sync,
    Wake,
)

PACING = Pacing(min_gap_s=0.01, max_gap_s=0.02, daily_cap=100)


def _now() -> int:
    return int(time.time() * 1000)


def _msg(i: int) -> BatchMessage:
    return BatchMessage(
        campaign_id="c1",
        phone=f"+4477009001{i:02d}",
        to=f"4477009001{i:02d}@c.us",
        text=f"Hi {i}",
        lease_until=_now() + 300_000,
    )


def test_in_flight_lists_every_send_without_a_receipted_result(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    recovery = Recovery(journal)
    assert recovery.in_flight({}) == []
    journal.journal_send("c1", "+447700900101", "s1", "447700900101@c.us")  # mid-send
    journal.journal_send("c1", "+447700900102", "s1", "447700900102@c.us")
    journal.finish_send("c1", "+447700900102", "sent", "true_x_1")  # done, not packed
    journal.journal_send("c1", "+447700900103", "s1", "447700900103@c.us")
    journal.finish_send("c1", "+447700900103", "failed", reason="not_on_whatsapp")
    journal.pack_results(1)  # one packed into a results frame, not yet receipted

    class Sender:
        queue = [_msg(4)]  # leased, queued, not yet attempted: it will be

    phones = {ref.phone for ref in recovery.in_flight({"s1": Sender()}) or []}
    assert phones == {"+447700900101", "+447700900102", "+447700900103", "+447700900104"}
    journal.pack_results(10)
    journal.receipt([seq for seq, _ in journal.outbox_after(0)])  # the cloud applied them
    phones = {ref.phone for ref in recovery.in_flight({}) or []}
    assert phones == {"+447700900101"}  # only the send still journalled
    journal.close()


def test_a_sync_never_stops_a_session_started_after_it_was_computed(tmp_path: Path) -> None:
    recovery = Recovery(Journal(tmp_path / "j.sqlite"))
    recovery.in_flight({})  # the hello went out
    now = _now()
    assert recovery.sync_may_stop("s1", Sync(sessions=[], computed_at=now))  # never started
    recovery.note_start(StartSession(session_id="s1", issued_at=now + 5))
    assert not recovery.sync_may_stop("s1", Sync(sessions=[], computed_at=now))
    assert recovery.sync_may_stop("s1", Sync(sessions=[], computed_at=now + 10))
    # no stamps (an older cloud): a start received after our hello is newer than its answer
    recovery.note_start(StartSession(session_id="s2"))
    assert not recovery.sync_may_stop("s2", Sync(sessions=[]))
    recovery.hello_sent_ms = recovery.starts["s2"][1] + 1  # a new hello: the next sync answers it
    assert recovery.sync_may_stop("s2", Sync(sessions=[]))


def test_ack_of_reads_the_serialized_message() -> None:
    assert ack_of({"id": "x", "ack": 3, "fromMe": True}) == 3
    assert ack_of(False) is None  # not in OpenWA's store
    assert ack_of({"id": "x"}) is None
    assert ack_of({"ack": True}) is None


async def test_stale_sync_after_a_fresh_start_leaves_the_session_running(
    cloud: FakeCloud, tmp_path: Path
) -> None:
    async def play(c: FakeCloud, ws: Any, frame: dict[str, Any]) -> None:
        if frame["type"] == "hello":
            computed = _now()  # read before the number existed...
            await c.send(StartSession(session_id="fresh", issued_at=computed + 1))
            await c.send(Sync(sessions=[], computed_at=computed))  # ...and answered late

    cloud.on_frame = play
    cfg = make_config(
        tmp_path,
        server_url=cloud.url,
        openwa_command=[PY, "-m", "agent.openwa_sim", "--sim-auto-scan", "0.2"],
        heartbeat_interval_s=0.3,
    )
    agent = Agent(cfg)
    await agent.start()
    try:
        await wait_for(
            lambda: any(f["state"] == "connected" for f in cloud.of_type("session_state")),
            timeout=30,
            what="the fresh session to connect",
        )
        await wait_for(
            lambda: (
                cloud.of_type("heartbeat")
                and cloud.of_type("heartbeat")[-1].get("sessions")
                == [{"session_id": "fresh", "state": "connected"}]
            ),
            what="a heartbeat reporting it running",
        )
        states = [f["state"] for f in cloud.of_type("session_state")]
        assert "stopped" not in states
        # a later sync that does not list it still stops it (it was deleted since)
        await cloud.send(
            Sync(
                sessions=[DesiredSession(session_id="other", desired="stopped")],
                computed_at=_now() + 1000,
            )
        )
        await wait_for(lambda: "fresh" not in agent.sessions, what="the session stopped")
    finally:
        await agent.stop()


def _acks(cloud: FakeCloud) -> dict[str, int]:
    out: dict[str, int] = {}
    for frame in cloud.of_type("results"):
        for item in frame["items"]:
            if "ack" in item:
                out[item["wa_message_id"]] = max(out.get(item["wa_message_id"], -1), item["ack"])
    for frame in cloud.of_type("acks"):
        for item in frame["items"]:
            out[item["wa_message_id"]] = max(out.get(item["wa_message_id"], -1), item["ack"])
    return out


async def test_acks_lost_while_the_agent_was_down_are_caught_up(
    cloud: FakeCloud, tmp_path: Path
) -> None:
    messages = [_msg(i) for i in range(3)]
    served: dict[str, bool] = {"done": False}

    async def play(c: FakeCloud, ws: Any, frame: dict[str, Any]) -> None:
        if frame["type"] == "hello":
            await c.send(StartSession(session_id="s1", issued_at=_now()))
        elif frame["type"] == "session_state" and frame["state"] == "connected":
            await c.send(Wake(session_ids=["s1"]))
        elif frame["type"] == "pull":
            batch = [] if served["done"] else messages
            served["done"] = True
            await c.send(Batch(session_id="s1", messages=batch, pacing=PACING))

    cloud.on_frame = play
    # the phone delivers after 4 s and reads after 5 s: by then the agent is down
    cfg = make_config(
        tmp_path,
        server_url=cloud.url,
        results_flush_s=0.1,
        openwa_command=[
            PY,
            "-m",
            "agent.openwa_sim",
            "--sim-auto-scan",
            "0",
            "--sim-ack-delays",
            "1:0.05,2:4,3:5",
        ],
    )
    agent = Agent(cfg)
    await agent.start()
    try:
        await wait_for(
            lambda: sum(len(f["items"]) for f in cloud.of_type("results")) == 3,
            timeout=30,
            what="three results",
        )
    finally:
        await agent.stop()
    ids = [i["wa_message_id"] for f in cloud.of_type("results") for i in f["items"]]
    assert len(ids) == 3 and all(_acks(cloud).get(i, 0) < 2 for i in ids)
    sim_log = tmp_path / "agent" / "sessions" / "s1" / "s1.messages.jsonl"
    last_sent = max(json.loads(line)["sent_ms"] for line in sim_log.read_text().splitlines())
    await wait_for(lambda: _now() > last_sent + 5_200, timeout=15, what="the phone to read them")

    agent = Agent(cfg)  # the agent comes back; OpenWA reconnects from its saved session
    await agent.start()
    try:
        await wait_for(
            lambda: all(_acks(cloud).get(i) == 3 for i in ids),
            timeout=30,
            what="read acks caught up",
        )
        assert agent.journal is not None
        assert agent.journal.unread_sends("s1", 0) == []
        before = len(cloud.of_type("acks"))
        # a reconnect of the same session in the same agent run does not ask again
        assert agent.recovery.caught_up == {"s1"}
        assert len(cloud.of_type("acks")) == before
    finally:
        await agent.stop()


def test_ack_buffer_sends_the_highest_ack_once_and_holds_a_fresh_delivered() -> None:
    from agent.acks import AckBuffer
    from wacast_protocol import AckItem

    def ack(wa_id: str, level: int) -> AckItem:
        return AckItem(session_id="s1", wa_message_id=wa_id, ack=level, ts=_now())

    buffer = AckBuffer(hold_s=3600)
    for item in (ack("m1", 1), ack("m1", 2), ack("m2", 2), ack("m1", 3), ack("m1", 2)):
        buffer.add(item)
    assert [(a.wa_message_id, a.ack) for a in buffer.take()] == [("m1", 3)]  # m2 may be read soon
    assert [(a.wa_message_id, a.ack) for a in buffer.take(force=True)] == [("m2", 2)]
    assert len(buffer) == 0
    patient = AckBuffer(hold_s=0)  # held long enough: goes out as it is
    patient.add(ack("m3", 2))
    assert [(a.wa_message_id, a.ack) for a in patient.take()] == [("m3", 2)]


def test_an_ack_before_the_result_is_packed_rides_in_it(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    for i, phone in enumerate(("+447700900201", "+447700900202")):
        journal.journal_send("c1", phone, "s1", f"{phone[1:]}@c.us")
        journal.finish_send("c1", phone, "sent", f"wa_{i}")
    assert journal.fold_ack("wa_0", 2) and journal.fold_ack("wa_0", 3)
    assert journal.fold_ack("wa_0", 2)  # never lowers it
    assert not journal.fold_ack("wa_unknown", 3)
    journal.pack_results(10)
    (_, raw), *_ = journal.outbox_after(0)
    items = {i["wa_message_id"]: i for i in json.loads(raw)["items"]}
    assert items["wa_0"]["ack"] == 3 and "ack" not in items["wa_1"]
    assert not journal.fold_ack("wa_1", 3)  # packed: it goes as an ack of its own
    assert journal.unread_sends("s1", 0) == [("wa_1", 0)]
    journal.close()


def test_too_many_in_flight_says_unknown(tmp_path: Path, monkeypatch: Any) -> None:
    import agent.recovery as recovery_module

    monkeypatch.setattr(recovery_module, "IN_FLIGHT_MAX", 2)
    journal = Journal(tmp_path / "j.sqlite")
    for i in range(3):
        journal.journal_send("c1", f"+4477009003{i:02d}", "s1", f"4477009003{i:02d}@c.us")
    assert Recovery(journal).in_flight({}) is None  # the cloud then waits for lease expiry
    journal.close()
