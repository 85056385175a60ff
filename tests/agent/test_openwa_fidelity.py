"""OpenWA's real behaviour, played by the simulator, through the driver and the whole agent:
the licence wall, images with ids, the reachout timelock, a licence key per number, and no
secret on any command line."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from agent.journal import Journal
from agent.runtime import Agent
from tests.agent.conftest import PY, FakeCloud, SessionHarness, make_config, wait_for
from wacast_protocol import (
    Batch,
    BatchMessage,
    FailReason,
    Outcome,
    Pacing,
    SessionState,
    StartSession,
    Wake,
)

MakeSession = Callable[..., Awaitable[SessionHarness]]
PACING = Pacing(min_gap_s=0.01, max_gap_s=0.02, daily_cap=100, timezone="UTC")
PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
    "/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="
)


async def _fault(h: SessionHarness, body: dict[str, Any]) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(h.control_url() + "/sim/fault", json=body) as r,
    ):
        assert r.status == 200, await r.text()


async def _inbound(h: SessionHarness, phone: str) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(h.control_url() + "/sim/inbound", json={"from": phone, "body": "hi"}) as r,
    ):
        assert r.status == 200


async def test_licence_wall_images_and_existing_chats(make_session: MakeSession) -> None:
    h = await make_session(license_key=None, extra=["--sim-auto-scan", "0"])
    s = h.session
    await wait_for(lambda: s.state == SessionState.connected, what="connected")
    # a new chat without a licence key: the wall, with its own reason
    out = await s.send_text("447700900001@c.us", "hello")
    assert (out.outcome, out.reason, out.detail) == (Outcome.failed, FailReason.needs_license, None)
    # someone who wrote first has a chat: no licence needed
    await _inbound(h, "+447700900002")
    out = await s.send_text("447700900002@c.us", "thanks for your message")
    assert out.outcome == Outcome.sent and out.wa_message_id
    # a saved contact: no licence needed
    await _fault(h, {"kind": "contacts", "numbers": ["+447700900003"]})
    assert (await s.send_text("447700900003@c.us", "hi")).outcome == Outcome.sent
    # sendImage with waitForId answers the id (4.76.0's sendImage has no licence check)
    out = await s.send_image("447700900004@c.us", PNG, "a.png", "look")
    assert out.outcome == Outcome.sent and out.wa_message_id
    await wait_for(
        lambda: any(a[1] == out.wa_message_id and a[2] == 3 for a in h.acks), what="image acks"
    )
    # not on WhatsApp: OpenWA's own string, mapped
    await _fault(h, {"kind": "not_on_whatsapp", "numbers": ["+447700900005"]})
    await _fault(h, {"kind": "contacts", "numbers": ["+447700900005"]})
    out = await s.send_text("447700900005@c.us", "x")
    assert (out.outcome, out.reason) == (Outcome.failed, FailReason.not_on_whatsapp)
    # checkNumberStatus as WAPI answers it: 404 and no numberExists for such a number
    raw = await s.call("checkNumberStatus", {"contactId": "447700900005@c.us"})
    assert raw["status"] == 404 and "numberExists" not in raw, raw
    assert await s.check_number("447700900005@c.us") is False
    assert await s.check_number("447700900002@c.us") is True
    # a key lifts the wall (the browser tests take the stand-in key away the same way)
    await _fault(h, {"kind": "license", "key": "LK-late"})
    assert (await s.send_text("447700900001@c.us", "hello")).outcome == Outcome.sent
    await _fault(h, {"kind": "license", "key": None})
    out = await s.send_text("447700900006@c.us", "hello")
    assert (out.outcome, out.reason) == (Outcome.failed, FailReason.needs_license)


async def test_unrecognised_refusal_keeps_its_words(
    make_session: MakeSession, tmp_path: Path
) -> None:
    h = await make_session(extra=["--sim-auto-scan", "0"])
    s = h.session
    await wait_for(lambda: s.state == SessionState.connected, what="connected")
    words = "ERROR: WhatsApp Web said something new " + "x" * 600
    await _fault(h, {"kind": "send_error", "text": words})
    out = await s.send_text("447700900031@c.us", "hi")
    assert (out.outcome, out.reason) == (Outcome.failed, FailReason.unknown)
    assert out.detail and out.detail.startswith("ERROR: WhatsApp Web said something new")
    assert len(out.detail) == 500
    # the detail travels with the result
    journal = Journal(tmp_path / "j.sqlite3")
    journal.journal_send("c1", "+447700900031", "s1", "447700900031@c.us")
    journal.finish_send("c1", "+447700900031", "failed", None, "unknown", out.detail)
    seq = journal.pack_results()
    assert seq is not None
    item = json.loads(dict(journal.outbox_after(0))[seq])["items"][0]
    assert item["reason"] == "unknown" and item["detail"] == out.detail
    journal.close()


async def test_image_without_id_is_sent_and_the_id_is_learnt_later(
    make_session: MakeSession, tmp_path: Path
) -> None:
    """``true`` without an id is ``sent``; the id seen later in the ack stream is reported
    again with that send, so acks match it."""
    journal = Journal(tmp_path / "j.sqlite3")
    h = await make_session(extra=["--sim-auto-scan", "0"])
    s = h.session
    claimed: list[str] = []

    def claim(sid: str, to: str, wa_id: str) -> bool:
        ok = journal.claim_message_id(sid, to, wa_id)
        if ok:
            claimed.append(wa_id)
        return ok

    s.on_outgoing = claim
    await wait_for(lambda: s.state == SessionState.connected, what="connected")
    to = "447700900011@c.us"
    assert journal.journal_send("c1", "+447700900011", s.session_id, to)
    reply = await s.call_reply("sendImage", {"to": "447700900099@c.us", "file": PNG})
    assert reply.success and reply.response is True  # no waitForId: no id
    out = await s._send("sendImage", {"to": to, "file": PNG, "filename": "a.png"})
    assert (out.outcome, out.wa_message_id, out.reason) == (Outcome.sent, None, None)
    journal.finish_send("c1", "+447700900011", "sent", None, None)
    assert journal.pack_results() is not None
    await wait_for(lambda: claimed, what="id learnt from the ack stream")
    assert journal.is_our_message(claimed[0])
    seq = journal.pack_results()
    assert seq is not None
    frame = json.loads(dict(journal.outbox_after(0))[seq])
    assert frame["items"] == [
        {
            "campaign_id": "c1",
            "phone": "+447700900011",
            "session_id": s.session_id,
            "outcome": "sent",
            "wa_message_id": claimed[0],
            "ts": frame["items"][0]["ts"],
        }
    ]
    journal.close()


async def test_image_whose_id_never_comes_back_takes_it_from_the_ack_stream(
    make_session: MakeSession,
) -> None:
    """4.76.0's WAPI.sendImage with waitForId waits on the first ``change:clientUrl`` of any
    message and can hang after the image went out: the id then comes from the ack stream
    (an image to that chat, made since the send began), and the send is ``sent`` with it.
    An older image to the same chat getting its acks meanwhile is not taken for it."""
    h = await make_session(extra=["--sim-auto-scan", "0"], media_send_timeout_s=120.0)
    s = h.session
    await wait_for(lambda: s.state == SessionState.connected, what="connected")
    to = "447700900021@c.us"
    # acks come late: the first image's acks arrive while the second waits for its id
    await _fault(h, {"kind": "ack_timing", "delays": {"1": 8.0, "2": 8.5, "3": 9.0}})
    first = await s.send_image(to, PNG, "a.png", "first")
    assert first.outcome == Outcome.sent and first.wa_message_id
    first_made = int(time.time())
    await wait_for(lambda: int(time.time()) > first_made + 6, what="the first image to age")
    await _fault(h, {"kind": "stall", "seconds": 600})  # OpenWA never answers the send
    second = await asyncio.wait_for(s.send_image(to, PNG, "b.png", "second"), 60)
    assert second.outcome == Outcome.sent and second.reason is None
    assert second.wa_message_id and second.wa_message_id != first.wa_message_id
    # the old image's acks came first, and were not taken for the new one
    assert any(a[1] == first.wa_message_id and a[2] == 3 for a in h.acks)
    # it is OpenWA's id for that message: its acks carry it
    await wait_for(
        lambda: any(a[1] == second.wa_message_id and a[2] == 3 for a in h.acks),
        timeout=30,
        what="the second image's acks",
    )


async def test_reachout_timelock_restricts_new_chats_only(make_session: MakeSession) -> None:
    h = await make_session(extra=["--sim-auto-scan", "0", "--sim-restricted"])
    s = h.session
    await wait_for(lambda: s.state == SessionState.connected, what="connected")
    await _inbound(h, "+447700900021")
    out = await s.send_text("447700900022@c.us", "new chat")
    assert (out.outcome, out.reason) == (Outcome.failed, FailReason.restricted)
    await wait_for(lambda: s.state == SessionState.restricted, what="restricted")
    frame = [f for f in h.frames if f.state == SessionState.restricted][-1]
    assert frame.reason == "reachout_timelock" and frame.detail
    # an existing chat still works while restricted
    out = await s.send_text("447700900021@c.us", "existing chat")
    assert out.outcome == Outcome.sent


def _msg(i: int, media: bool = False) -> BatchMessage:
    return BatchMessage(
        campaign_id="c1",
        phone=f"+4477009001{i:02d}",
        to=f"4477009001{i:02d}@c.us",
        text=f"Hello {i}",
        media_url=PNG if media else None,
        media_filename="offer.png" if media else None,
        lease_until=int((time.time() + 300) * 1000),
    )


def _results(cloud: FakeCloud) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for frame in cloud.of_type("results"):
        for item in frame["items"]:
            out.setdefault(item["phone"], []).append(item)
    return out


def _proc_text(pid: int, name: str) -> str:
    try:
        return Path(f"/proc/{pid}/{name}").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _proc_text(int(entry.name), "stat")
            if stat:
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        for c in children.get(pid, []):
            out.append(c)
            todo.append(c)
    return out


async def test_licence_per_number_and_no_secret_on_any_command_line(
    cloud: FakeCloud, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    first, second = [_msg(1), _msg(2)], [_msg(3), _msg(4, media=True)]
    state: dict[str, Any] = {"batch": first, "key_sent": False}

    async def play(c: FakeCloud, ws: Any, frame: dict[str, Any]) -> None:
        if frame["type"] == "hello":
            await c.send(StartSession(session_id="s1"))  # the number has no key yet
            await c.send(StartSession(session_id="s2", license_key="LK-S2-secret"))
        elif frame["type"] == "session_state" and frame["state"] == "connected":
            await c.send(Wake(session_ids=[frame["session_id"]]))
        elif frame["type"] == "pull" and frame["session_id"] == "s1":
            batch, state["batch"] = state["batch"], []
            await c.send(Batch(session_id="s1", messages=batch, pacing=PACING))
        elif frame["type"] == "pull":
            await c.send(Batch(session_id=frame["session_id"], messages=[], pacing=PACING))

    cloud.on_frame = play
    os.environ["WACAST_AGENT_TOKEN_FOR_TEST"] = "x"  # a name with WA in it must not leak
    cfg = make_config(
        tmp_path,
        server_url=cloud.url,
        token="agent-token-secret",
        license_key=None,
        results_flush_s=0.2,
        openwa_command=[PY, "-m", "agent.openwa_sim", "--sim-auto-scan", "0"],
    )
    agent = Agent(cfg)
    await agent.start()
    try:
        await wait_for(lambda: len(_results(cloud)) == 2, timeout=30, what="first results")
        for m in first:
            assert _results(cloud)[m.phone][-1]["reason"] == "needs_license"
        s1 = agent.sessions["s1"]
        assert s1.program.starts == 1
        # no process of the agent carries a secret on its command line or in its environment
        s2 = agent.sessions["s2"]
        await wait_for(lambda: s2.state == SessionState.connected, what="s2 connected")
        secrets_ = [
            "agent-token-secret",
            "LK-S2-secret",
            s1.api_key,
            s2.api_key,
            *(u.rsplit("/", 2)[-2] for u in [*s1.hooks.values(), *s2.hooks.values()]),
        ]
        procs = _descendants(os.getpid())
        assert len(procs) >= 2
        for pid in procs:
            cmdline = _proc_text(pid, "cmdline")
            assert cmdline and not [x for x in secrets_ if x and x in cmdline], cmdline
            environ = _proc_text(pid, "environ")
            assert "WACAST" not in environ and "agent-token-secret" not in environ
        # the key arrives for s1: applied by a restart, then the campaign goes out
        state["batch"] = second
        await cloud.send(StartSession(session_id="s1", license_key="LK-S1-secret"))
        await wait_for(lambda: s1.program.starts == 2, what="restart with the key")
        assert json.loads(s1.config_path.read_text())["licenseKey"] == "LK-S1-secret"
        await wait_for(lambda: len(_results(cloud)) == 4, timeout=30, what="second results")
        for m in second:
            item = _results(cloud)[m.phone][-1]
            assert item["outcome"] == "sent" and item["wa_message_id"], item
        # the hello/heartbeat say which OpenWA runs
        assert agent.hello().openwa_version == "4.76.0"
        assert agent.heartbeat().openwa_version == "4.76.0"
    finally:
        await agent.stop()
        os.environ.pop("WACAST_AGENT_TOKEN_FOR_TEST", None)
    plain = (str, int, float, list, dict, type(None))
    logged = "\n".join(
        r.getMessage() + repr({k: v for k, v in vars(r).items() if isinstance(v, plain)})
        for r in caplog.records
        if r.name.startswith("agent")
    )
    assert "LK-S1-secret" not in logged and "LK-S2-secret" not in logged


def test_debug_logging_never_prints_frames_with_licence_keys() -> None:
    from agent.logs import setup_logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        setup_logging("DEBUG")
        assert logging.getLogger("agent").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("websockets.client").isEnabledFor(logging.DEBUG)
    finally:
        for h in list(root.handlers):
            root.removeHandler(h)
        for h in handlers:
            root.addHandler(h)
        root.setLevel(level)
        logging.getLogger("websockets").setLevel(logging.NOTSET)


def test_journal_of_an_older_agent_gains_the_detail_column(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE sends (campaign_id TEXT NOT NULL, phone TEXT NOT NULL,"
        " session_id TEXT NOT NULL, to_id TEXT NOT NULL, status TEXT NOT NULL,"
        " wa_message_id TEXT, reason TEXT, created_ms INTEGER NOT NULL,"
        " updated_ms INTEGER NOT NULL, reported INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (campaign_id, phone));"
        "INSERT INTO sends VALUES ('c0', '+447700900001', 's1', '447700900001@c.us', 'sent',"
        " 'id-1', NULL, 1, 1, 0);"
    )
    db.close()
    journal = Journal(path)
    journal.journal_send("c1", "+447700900002", "s1", "447700900002@c.us")
    journal.finish_send("c1", "+447700900002", "failed", None, "unknown", "ERROR: new words")
    seq = journal.pack_results()
    assert seq is not None
    items = json.loads(dict(journal.outbox_after(0))[seq])["items"]
    assert {i["campaign_id"]: i.get("detail") for i in items} == {
        "c0": None,
        "c1": "ERROR: new words",
    }
    journal.close()


async def _sim_status(session: Any) -> dict[str, Any]:
    control = json.loads((session.dir / "sim-control.json").read_text())["control_url"]
    async with aiohttp.ClientSession() as http, http.get(control + "/sim/status") as r:
        assert r.status == 200
        return dict(await r.json())


async def test_restricted_number_stops_its_batch_after_the_first_refusal(
    cloud: FakeCloud, tmp_path: Path
) -> None:
    """The number turns out restricted at the first send of a batch: the rest of the
    batch's campaign messages are never tried. They are left unsent and unjournalled (as
    a CancelLeases leaves them): no result for them, and the hello no longer holds their
    leases, so the cloud returns them to pending without counting them as sends. Inbox
    answers, which go into chats that exist, still go."""
    batch = [_msg(1), _msg(2), _msg(3)]
    gap_0 = Pacing(min_gap_s=0, max_gap_s=0, daily_cap=100, timezone="UTC")
    state: dict[str, Any] = {"batch": batch}

    async def play(c: FakeCloud, ws: Any, frame: dict[str, Any]) -> None:
        if frame["type"] == "hello":
            await c.send(StartSession(session_id="s1"))
        elif frame["type"] == "session_state" and frame["state"] == "connected":
            await c.send(Wake(session_ids=["s1"]))
        elif frame["type"] == "pull":
            messages, state["batch"] = state["batch"], []
            await c.send(Batch(session_id="s1", messages=messages, pacing=gap_0))

    cloud.on_frame = play
    cfg = make_config(
        tmp_path,
        server_url=cloud.url,
        results_flush_s=0.2,
        openwa_command=[PY, "-m", "agent.openwa_sim", "--sim-auto-scan", "0", "--sim-restricted"],
    )
    agent = Agent(cfg)
    await agent.start()
    try:
        await wait_for(lambda: batch[0].phone in _results(cloud), timeout=30, what="result")
        sender, session, journal = agent.senders["s1"], agent.sessions["s1"], agent.journal
        assert journal is not None
        # the result leaves only after the sender has dropped the rest of the batch
        assert not [m for m in sender.queue if m.campaign_id == "c1"]
        assert (await _sim_status(session))["send_attempts"] == 1
        first = _results(cloud)[batch[0].phone][-1]
        assert (first["outcome"], first["reason"]) == ("failed", "restricted")
        assert session.state == SessionState.restricted
        assert any(
            f["type"] == "session_state" and f["state"] == "restricted" for f in cloud.frames
        )
        for m in batch[1:]:
            assert m.phone not in _results(cloud)
            assert journal.get_send(m.campaign_id, m.phone) is None
        in_flight = agent.hello().in_flight
        assert in_flight is not None
        assert not {(r.campaign_id, r.phone) for r in in_flight} & {
            (m.campaign_id, m.phone) for m in batch[1:]
        }

        # Later, while still restricted: an inbox answer to a chat that exists goes out; a
        # campaign message that came with it (leased before the cloud knew) is not tried.
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                json.loads((session.dir / "sim-control.json").read_text())["control_url"]
                + "/sim/inbound",
                json={"from": "+447700900150", "body": "hi"},
            ) as r,
        ):
            assert r.status == 200
        answer = BatchMessage(
            campaign_id="reply-r1",
            phone="+447700900150",
            to="447700900150@c.us",
            text="Thanks, we open at nine.",
            lease_until=int((time.time() + 300) * 1000),
        )
        late = _msg(4)
        state["batch"] = [late, answer]  # the answer to the pull this wake brings
        await cloud.send(Wake(session_ids=["s1"]))
        await wait_for(lambda: answer.phone in _results(cloud), what="the answer's result")
        assert _results(cloud)[answer.phone][-1]["outcome"] == "sent"
        await wait_for(lambda: not sender.queue, what="the late campaign message dropped")
        assert (await _sim_status(session))["send_attempts"] == 2
        assert late.phone not in _results(cloud)
        assert journal.get_send(late.campaign_id, late.phone) is None
    finally:
        await agent.stop()
