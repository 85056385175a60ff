"""The sender end to end: a fake cloud (real websockets server), the agent, real simulators."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import signal
from pathlib import Path
from typing import Any

import aiohttp

from agent.runtime import Agent
from tests.agent.conftest import PY, FakeCloud, child_env, make_config, wait_for
from wacast_protocol import Batch, BatchMessage, Pacing, StartSession, Wake

PACING = Pacing(min_gap_s=0.01, max_gap_s=0.03, daily_cap=100, timezone="Europe/London")


def _msg(i: int, lease_s: float = 300) -> BatchMessage:
    import time

    return BatchMessage(
        campaign_id="c1",
        phone=f"+4477009000{i:02d}",
        to=f"4477009000{i:02d}@c.us",
        text=f"Hello {i}",
        lease_until=int((time.time() + lease_s) * 1000),
    )


def _results(cloud: FakeCloud) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for frame in cloud.of_type("results"):
        for item in frame["items"]:
            out[item["phone"]] = item
    return out


def _acks(cloud: FakeCloud) -> dict[str, int]:
    out: dict[str, int] = {}
    for frame in cloud.of_type("results"):  # an ack that came before its result rides in it
        for item in frame["items"]:
            if "ack" in item:
                out[item["wa_message_id"]] = max(out.get(item["wa_message_id"], -1), item["ack"])
    for frame in cloud.of_type("acks"):
        for item in frame["items"]:
            out[item["wa_message_id"]] = max(out.get(item["wa_message_id"], -1), item["ack"])
    return out


def _control(data_dir: Path, sid: str) -> str:
    return str(
        json.loads((data_dir / "sessions" / sid / "sim-control.json").read_text())["control_url"]
    )


async def _post(url: str, body: dict[str, Any]) -> None:
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as r:
        assert r.status == 200, await r.text()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _records(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [json.loads(line)["to"] for line in path.read_text().splitlines()]


async def test_batch_sent_acks_and_not_on_whatsapp(cloud: FakeCloud, tmp_path: Path) -> None:
    record = tmp_path / "sent.jsonl"
    data_dir = tmp_path / "agent"
    messages = [_msg(i) for i in range(1, 6)]
    state: dict[str, Any] = {"fault_set": False, "served": False}

    async def play(c: FakeCloud, ws: Any, frame: dict[str, Any]) -> None:
        if frame["type"] == "hello":
            await c.send(StartSession(session_id="s1"))
        elif frame["type"] == "session_state" and frame["state"] == "connected":
            await _post(
                _control(data_dir, "s1") + "/sim/fault",
                {"kind": "not_on_whatsapp", "numbers": [messages[2].phone]},
            )
            state["fault_set"] = True
            await c.send(Wake(session_ids=["s1"]))
        elif frame["type"] == "pull":
            batch = messages if state["fault_set"] and not state["served"] else []
            state["served"] = state["served"] or bool(batch)
            await c.send(Batch(session_id="s1", messages=batch[: frame["max"]], pacing=PACING))

    cloud.on_frame = play
    cfg = make_config(
        tmp_path,
        server_url=cloud.url,
        results_flush_s=0.2,
        openwa_command=[
            PY,
            "-m",
            "agent.openwa_sim",
            "--sim-auto-scan",
            "0",
            "--sim-record",
            str(record),
            "--sim-ack-delays",
            "1:0.05,2:0.1,3:0.2",
        ],
    )
    agent = Agent(cfg)
    await agent.start()
    try:
        await wait_for(lambda: len(_results(cloud)) == 5, timeout=30, what="5 results")
        results = _results(cloud)
        sent = {p: r for p, r in results.items() if r["outcome"] == "sent"}
        assert len(sent) == 4
        assert results[messages[2].phone]["outcome"] == "failed"
        assert results[messages[2].phone]["reason"] == "not_on_whatsapp"
        ids = {r["wa_message_id"] for r in sent.values()}
        await wait_for(lambda: all(_acks(cloud).get(i) == 3 for i in ids), what="read acks")
        assert sorted(_records(record)) == sorted(m.to for m in messages if m != messages[2])
        states = [f["state"] for f in cloud.of_type("session_state")]
        assert states[0] == "starting" and "connected" in states
        assert all("seq" in f for f in cloud.of_type("results") + cloud.of_type("acks"))
        await wait_for(
            lambda: agent.journal is not None and agent.journal.outbox_size() == 0,
            what="outbox drained by receipts",
        )
        sim_pid = int((data_dir / "sessions" / "s1" / "openwa.pid").read_text())
    finally:
        await agent.stop()
    assert not _pid_alive(sim_pid)


async def test_crash_mid_batch_reports_unknown_never_resends(
    cloud: FakeCloud, tmp_path: Path
) -> None:
    record = tmp_path / "sent.jsonl"
    data_dir = tmp_path / "agent"
    m1, m2 = _msg(1), _msg(2)
    phase = {"n": 1, "stalled": False}

    async def play(c: FakeCloud, ws: Any, frame: dict[str, Any]) -> None:
        if frame["type"] == "hello":
            # the number's own licence key: the simulator opens new chats only with one
            await c.send(StartSession(session_id="s1", license_key="LK-e2e"))
        elif frame["type"] == "session_state" and frame["state"] == "connected":
            if phase["n"] == 1 and not phase["stalled"]:
                await _post(
                    _control(data_dir, "s1") + "/sim/fault", {"kind": "stall", "seconds": 120}
                )
                phase["stalled"] = True
            await c.send(Wake(session_ids=["s1"]))
        elif frame["type"] == "pull":
            # phase 2 re-offers m1 as if its lease had been handed out again
            ready = phase["stalled"]
            await c.send(Batch(session_id="s1", messages=[m1, m2] if ready else [], pacing=PACING))

    cloud.on_frame = play
    conf = tmp_path / "agent.json"
    conf.write_text(json.dumps({"startsecs": 0.5, "results_flush_s": 0.2, "idle_poll_s": 5}))
    env = child_env() | {
        "WACAST_SERVER_URL": cloud.url,
        "WACAST_AGENT_TOKEN": "tok",
        "WACAST_AGENT_DATA_DIR": str(data_dir),
        "WACAST_AGENT_CONFIG": str(conf),
        "WACAST_OPENWA_COMMAND": shlex.join(
            [PY, "-m", "agent.openwa_sim", "--sim-auto-scan", "0", "--sim-record", str(record)]
        ),
    }

    async def run_agent(n: int) -> asyncio.subprocess.Process:
        log = open(tmp_path / f"agent-{n}.log", "wb")  # noqa: SIM115
        proc = await asyncio.create_subprocess_exec(
            PY, "-m", "agent", env=env, stdout=log, stderr=log, cwd=tmp_path
        )
        log.close()
        return proc

    agent1 = await run_agent(1)
    try:
        await wait_for(lambda: _records(record) == [m1.to], timeout=30, what="m1 in flight")
        sim_pid = int((data_dir / "sessions" / "s1" / "openwa.pid").read_text())
        agent1.send_signal(signal.SIGKILL)  # the agent dies with m1 sent but unconfirmed
        await agent1.wait()
        assert _pid_alive(sim_pid)  # an orphan OpenWA, still stalled
        phase["n"] = 2
        agent2 = await run_agent(2)
        try:
            await wait_for(
                lambda: {m1.phone, m2.phone} <= set(_results(cloud)),
                timeout=40,
                what="results after restart",
            )
            results = _results(cloud)
            assert results[m1.phone]["outcome"] == "unknown"
            assert results[m2.phone]["outcome"] == "sent"
            assert sorted(_records(record)) == sorted([m1.to, m2.to])  # m1 never re-sent
            assert not _pid_alive(sim_pid)  # the restarted agent reaped the orphan
            new_pid = int((data_dir / "sessions" / "s1" / "openwa.pid").read_text())
        finally:
            agent2.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(agent2.wait(), 30) == 0
        await wait_for(lambda: not _pid_alive(new_pid), what="no OpenWA left behind")
    finally:
        if agent1.returncode is None:
            agent1.kill()
