"""Issue 16 on the agent side, through the driver and a real simulator process: the typing
indicator (OpenWA ``simulateTyping``) and inbound media read as kind + caption."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from agent.runtime import Agent
from tests.agent.conftest import PY, FakeCloud, SessionHarness, make_config, wait_for
from wacast_protocol import Batch, BatchMessage, Pacing, SessionState, StartSession, Wake

MakeSession = Callable[..., Awaitable[SessionHarness]]


async def _inbound(h: SessionHarness, body: dict[str, Any]) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(h.control_url() + "/sim/inbound", json=body) as r,
    ):
        assert r.status == 200, await r.text()


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def test_typing_is_shown_in_the_chat(make_session: MakeSession, tmp_path: Path) -> None:
    record = tmp_path / "record.jsonl"
    h = await make_session(extra=["--sim-auto-scan", "0", "--sim-record", str(record)])
    await wait_for(lambda: h.session.state == SessionState.connected, what="connected")
    await _inbound(h, {"from": "+447700900002", "body": "hi"})
    assert await h.session.simulate_typing("447700900002@c.us", True) is True
    assert await h.session.simulate_typing("447700900002@c.us", False) is True
    assert [(r["kind"], r["to"], r["on"]) for r in _records(record)] == [
        ("typing", "447700900002@c.us", True),
        ("typing", "447700900002@c.us", False),
    ]
    # A refusal is not an error for the send that follows: typing is only a courtesy.
    assert await h.session.simulate_typing("not-a-chat", True) is False


async def test_media_messages_arrive_as_kind_and_caption(make_session: MakeSession) -> None:
    h = await make_session(extra=["--sim-auto-scan", "0"])
    await wait_for(lambda: h.session.state == SessionState.connected, what="connected")
    await _inbound(h, {"from": "+447700900010", "body": "Is this one in stock?", "type": "image"})
    await _inbound(h, {"from": "+447700900010", "body": "", "type": "ptt"})
    await _inbound(h, {"from": "+447700900010", "body": "Av. Paulista, 1000", "type": "location"})
    await _inbound(h, {"from": "+447700900010", "body": "Thanks!"})
    await wait_for(lambda: len(h.inbound) == 4, what="4 inbound messages")
    # (phone, text, kind): the thumbnail OpenWA puts in a media message's body never leaks
    assert [(i[1], i[2], i[6]) for i in h.inbound] == [
        ("+447700900010", "Is this one in stock?", "image"),
        ("+447700900010", "", "ptt"),
        ("+447700900010", "Av. Paulista, 1000", "location"),
        ("+447700900010", "Thanks!", None),
    ]


async def test_the_agent_types_before_each_send_when_the_batch_says_so(
    cloud: FakeCloud, tmp_path: Path
) -> None:
    """The whole agent against a fake cloud and the simulator: with ``Pacing.typing`` each
    recipient's chat sees "typing…" and then the message; without it, only the message.
    A media message's caption and kind reach the cloud in the inbound frame."""
    record = tmp_path / "record.jsonl"
    data_dir = tmp_path / "agent"
    now = int(time.time() * 1000)

    def message(i: int) -> BatchMessage:
        return BatchMessage(
            campaign_id="reply-1" if i == 1 else "c1",
            phone=f"+4477009000{i:02d}",
            to=f"4477009000{i:02d}@c.us",
            text="Hello there, this is a longer answer" if i == 1 else "Hi",
            lease_until=now + 300_000,
        )

    batches = [
        Batch(
            session_id="s1",
            messages=[message(1)],
            pacing=Pacing(min_gap_s=0, max_gap_s=0, daily_cap=0, typing=True),
        ),
        Batch(
            session_id="s1",
            messages=[message(2)],
            pacing=Pacing(min_gap_s=0, max_gap_s=0, daily_cap=0),
        ),
    ]

    async def play(c: FakeCloud, ws: Any, frame: dict[str, Any]) -> None:
        if frame["type"] == "hello":
            await c.send(StartSession(session_id="s1"))
        elif frame["type"] == "session_state" and frame["state"] == "connected":
            await c.send(Wake(session_ids=["s1"]))
        elif frame["type"] == "pull":
            batch = (
                batches.pop(0)
                if batches
                else Batch(
                    session_id="s1",
                    messages=[],
                    pacing=Pacing(min_gap_s=0, max_gap_s=0, daily_cap=0),
                )
            )
            await c.send(batch)

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
        ],
    )
    agent = Agent(cfg)
    await agent.start()
    try:
        await wait_for(
            lambda: len([r for r in _records(record) if r["kind"] == "text"]) == 2,
            timeout=30,
            what="2 sends",
        )
        assert [(r["to"], r["kind"]) for r in _records(record)] == [
            ("447700900001@c.us", "typing"),
            ("447700900001@c.us", "text"),
            ("447700900002@c.us", "text"),
        ]
        control = json.loads((data_dir / "sessions" / "s1" / "sim-control.json").read_text())
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                control["control_url"] + "/sim/inbound",
                json={"from": "+447700900003", "body": "Look!", "type": "image"},
            ) as r,
        ):
            assert r.status == 200
        inbound = await wait_for(
            lambda: cloud.of_type("inbound"), timeout=30, what="the inbound frame"
        )
        assert (inbound[0]["body"], inbound[0]["kind"]) == ("Look!", "image")
    finally:
        await agent.stop()
