"""Issue 16 on the agent side, through the driver and a real simulator process: the typing
indicator (OpenWA ``simulateTyping``) and inbound media read as kind + caption."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from chalicelib.protocol import SessionState
from tests.agent.conftest import SessionHarness, wait_for

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
