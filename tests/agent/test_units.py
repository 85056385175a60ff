"""Small units: pacing, lease cancellation, journal, config, webhook routing."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from agent.config import ConfigError, load_config
from agent.driver import OpenWAError, classify_error
from agent.journal import Journal
from agent.sender import Pacer, SessionSender
from agent.webhooks import WebhookReceiver
from wacast_protocol import Batch, BatchMessage, FailReason, Pacing, SessionState


def _ms(y: int, mo: int, d: int, h: int, mi: int, tz: str) -> int:
    return int(datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(tz)).timestamp() * 1000)


def test_quiet_hours_across_midnight() -> None:
    p = Pacer(
        Pacing(
            min_gap_s=1,
            max_gap_s=2,
            daily_cap=10,
            quiet_start="21:00",
            quiet_end="08:00",
            timezone="Europe/London",
        )
    )
    assert p.quiet_remaining_s(_ms(2026, 6, 1, 12, 0, "Europe/London")) == 0
    assert p.quiet_remaining_s(_ms(2026, 6, 1, 22, 0, "Europe/London")) == 10 * 3600
    assert p.quiet_remaining_s(_ms(2026, 6, 2, 7, 30, "Europe/London")) == 1800
    assert p.quiet_remaining_s(_ms(2026, 6, 1, 21, 0, "Europe/London")) == 11 * 3600
    # same-day window, other zone
    q = Pacer(
        Pacing(
            min_gap_s=0,
            max_gap_s=0,
            daily_cap=0,
            quiet_start="12:00",
            quiet_end="13:00",
            timezone="Asia/Kolkata",
        )
    )
    assert q.quiet_remaining_s(_ms(2026, 6, 1, 12, 30, "Asia/Kolkata")) == 1800
    assert q.quiet_remaining_s(_ms(2026, 6, 1, 13, 0, "Asia/Kolkata")) == 0


def test_gap_and_day_bounds() -> None:
    p = Pacer(
        Pacing(min_gap_s=2, max_gap_s=5, daily_cap=1, timezone="America/New_York"), random.Random(1)
    )
    assert all(2 <= p.gap_s() <= 5 for _ in range(200))
    now = _ms(2026, 3, 8, 15, 0, "America/New_York")  # DST change day
    assert p.day_start_ms(now) == _ms(2026, 3, 8, 0, 0, "America/New_York")
    assert p.next_day_ms(now) == _ms(2026, 3, 9, 0, 0, "America/New_York")
    assert (
        Pacer(Pacing(min_gap_s=0, max_gap_s=0, daily_cap=0, timezone="Nope/Zone")).tz.key == "UTC"
    )


class _Session:
    session_id = "s1"
    state = SessionState.connected
    state_changed = asyncio.Event()


def test_cancel_leases_and_batch_dedupe(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    sender = SessionSender(_Session(), None, journal, on_result=lambda: None)  # type: ignore[arg-type]
    msgs = [
        BatchMessage(
            campaign_id=c,
            phone=f"+44770090000{i}",
            to=f"44770090000{i}@c.us",
            text="x",
            lease_until=1,
        )
        for c in ("c1", "c2")
        for i in range(3)
    ]
    pacing = Pacing(min_gap_s=0, max_gap_s=0, daily_cap=0)
    sender.on_batch(Batch(session_id="s1", messages=msgs, pacing=pacing))
    sender.on_batch(Batch(session_id="s1", messages=msgs[:2], pacing=pacing))
    assert len(sender.queue) == 6
    assert sender.cancel("c1", ["+447700900000"]) == 1
    assert sender.cancel("c2", None) == 3
    assert [m.phone for m in sender.queue] == ["+447700900001", "+447700900002"]
    journal.close()


def test_journal_send_lifecycle(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.sqlite3")
    assert j.journal_send("c1", "+447700900001", "s1", "447700900001@c.us")
    assert not j.journal_send("c1", "+447700900001", "s1", "447700900001@c.us")
    assert j.journal_send("c1", "+447700900002", "s1", "447700900002@c.us")
    j.finish_send("c1", "+447700900001", "sent", "wa1")
    assert j.pack_results() is not None
    assert j.pack_results() is None  # the journalled one is not finished yet
    assert j.recover_unconfirmed() == 1
    seq = j.pack_results()
    frame = json.loads(j.outbox_after(seq - 1)[0][1]) if seq else {}
    assert frame["items"][0]["outcome"] == "unknown"
    assert j.is_our_message("wa1") and not j.is_our_message("other")
    j.close()


def test_a_refused_send_may_go_again_but_a_maybe_sent_one_is_only_reported_again(
    tmp_path: Path,
) -> None:
    # A retry after the licence wall must send; a retry of a timeout (maybe delivered)
    # must not, and its old outcome is reported again so the cloud settles the lease.
    j = Journal(tmp_path / "j.sqlite3")
    walled, timed_out = "+447700900001", "+447700900002"
    for phone in (walled, timed_out):
        assert j.journal_send("c1", phone, "s1", f"{phone[1:]}@c.us")
    j.finish_send("c1", walled, "failed", reason="needs_license")
    j.finish_send("c1", timed_out, "failed", reason="timeout")
    assert j.pack_results() is not None and j.pack_results() is None

    walled_row, timed_out_row = j.get_send("c1", walled), j.get_send("c1", timed_out)
    assert walled_row is not None and j.may_resend(walled_row)
    assert timed_out_row is not None and not j.may_resend(timed_out_row)
    assert j.journal_send("c1", walled, "s1", f"{walled[1:]}@c.us")
    assert not j.journal_send("c1", timed_out, "s1", f"{timed_out[1:]}@c.us")
    j.finish_send("c1", walled, "sent", "wa-walled")
    sent_row = j.get_send("c1", walled)
    assert sent_row is not None and not j.may_resend(sent_row)  # sent: never again

    j.report_again("c1", timed_out)
    seq = j.pack_results()
    assert seq is not None
    items = {i["phone"]: i for i in json.loads(j.outbox_after(seq - 1)[0][1])["items"]}
    assert items[walled]["outcome"] == "sent"
    assert (items[timed_out]["outcome"], items[timed_out]["reason"]) == ("failed", "timeout")
    j.close()


def test_classify_errors() -> None:
    assert classify_error(OpenWAError("RateLimited", "rate-overlimit")) == FailReason.rate_limited
    assert classify_error(OpenWAError("NotOnWhatsApp", "x")) == FailReason.not_on_whatsapp
    assert classify_error(OpenWAError("InvalidChatId", "bad")) == FailReason.invalid_number
    assert classify_error(OpenWAError("SessionError", "x")) == FailReason.session_error
    assert classify_error(OpenWAError("Weird", "x")) == FailReason.unknown


def test_config_env_and_file(tmp_path: Path) -> None:
    f = tmp_path / "a.toml"
    f.write_text('max_sessions = 3\nopenwa_command = "node x.js"\n')
    cfg = load_config(
        {
            "WACAST_SERVER_URL": "wss://x/ws",
            "WACAST_AGENT_TOKEN": "t",
            "WACAST_AGENT_DATA_DIR": str(tmp_path),
            "WACAST_AGENT_CONFIG": str(f),
            "WACAST_MAX_SESSIONS": "7",
        }
    )
    assert cfg.max_sessions == 7 and cfg.openwa_command == ["node", "x.js"]
    assert cfg.heartbeat_interval_s == 15.0 and not cfg.uses_simulator
    with pytest.raises(ConfigError):
        load_config(
            {
                "WACAST_SERVER_URL": "http://x",
                "WACAST_AGENT_TOKEN": "t",
                "WACAST_AGENT_DATA_DIR": "/tmp",
            }
        )
    with pytest.raises(ConfigError):
        load_config({})


async def test_webhook_routes_by_secret_only() -> None:
    got: list[tuple[str, str, dict[str, object]]] = []
    rx = WebhookReceiver()
    await rx.start()

    def handler(sid: str):  # type: ignore[no-untyped-def]
        async def h(kind: str, body: dict[str, object]) -> None:
            got.append((sid, kind, body))

        return h

    a = rx.register("a", handler("a"))
    b = rx.register("b", handler("b"))
    async with aiohttp.ClientSession() as http:
        async with http.post(a["wh"], json={"sessionId": "a", "event": "onAck"}) as r:
            assert r.status == 200
        async with http.post(a["ev"], json={"sessionId": "b", "namespace": "qr"}) as r:
            assert r.status == 403  # a's process posting as b
        base = a["ev"].rsplit("/hook/", 1)[0]
        async with http.post(f"{base}/hook/guess/ev", json={}) as r:
            assert r.status == 404
        rx.unregister("b")
        async with http.post(b["ev"], json={"sessionId": "b"}) as r:
            assert r.status == 404
    await rx.stop()
    assert got == [("a", "wh", {"sessionId": "a", "event": "onAck"})]


async def test_driver_orders_events_by_ts(tmp_path: Path) -> None:
    from agent.driver import OpenWASession
    from tests.agent.conftest import make_config

    frames: list[object] = []
    s = OpenWASession(
        "s1",
        make_config(tmp_path),
        WebhookReceiver(),
        None,  # type: ignore[arg-type]
        frames.append,
    )
    await s._on_hook(
        "ready", {"ts": 3000, "namespace": "READY", "data": {"hostAccountNumber": "447700900123"}}
    )
    assert s.state == SessionState.connected and s.phone == "+447700900123"
    await s._on_hook("wh", {"ts": 2000, "event": "onStateChanged", "data": "CONFLICT"})
    assert s.state == SessionState.connected  # stale: older than the READY it follows
    await s._on_hook("wh", {"ts": 4000, "event": "onStateChanged", "data": "CONFLICT"})
    assert s.state == SessionState.disconnected
    await s._on_hook("wh", {"ts": 5000, "event": "onStateChanged", "data": "CONNECTED"})
    assert s.state == SessionState.connected
    await s._on_hook("wh", {"ts": 6000, "event": "onStateChanged", "data": "SMB_TOS_BLOCK"})
    assert s.state == SessionState.banned
    await s._on_hook("wh", {"ts": 7000, "event": "onStateChanged", "data": "CONNECTED"})
    assert s.state == SessionState.banned  # terminal
    assert [str(f.state) for f in frames] == [
        "connected",
        "disconnected",  # type: ignore[attr-defined]
        "connected",
        "banned",
    ]
