"""The simulator as a real process, seen the way the agent sees OpenWA."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

import aiohttp

from agent.openwa_sim.cli import parse_flags
from agent.openwa_sim.core import LICENSE_WALL
from tests.agent.conftest import Collector, SpawnSim, decode_qr, free_port, wait_for


def _sim_args(col: Collector, data: Path, port: int, *extra: str) -> list[str]:
    return [
        "--session-id",
        "s1",
        "--port",
        str(port),
        "--session-data-path",
        str(data),
        "-k",
        "secret",
        "--allow-ips",
        "127.0.0.1",
        "--ev",
        f"{col.base}/ev",
        "--ef",
        "qr,STARTUP,MD_DETECT,critical_internal_message",
        "--ready-webhook",
        f"{col.base}/ready",
        "-w",
        f"{col.base}/wh",
        "--multi-device",
        "--use-chrome",
        "--qr-timeout",
        "60",
        "--unknown-flag",
        *extra,
    ]


async def _rest(
    port: int, method: str, args: dict[str, Any], key: str | None = "secret"
) -> tuple[int, Any]:
    headers = {"api_key": key} if key else {}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"http://127.0.0.1:{port}/{method}", json={"args": args}, headers=headers) as r,
    ):
        text = await r.text()
        try:
            return r.status, json.loads(text)
        except ValueError:
            return r.status, text


async def _post(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as r:
        return r.status, await r.json()


def test_parse_flags_accepts_unknown_and_short() -> None:
    flags = parse_flags(
        [
            "-k",
            "K",
            "--use-chrome",
            "--port",
            "9",
            "--x=1",
            "--bogus",
            "--ev",
            "u",
            "-w",
            "hook",
            "--qr-timeout",
            "-1",
        ]
    )
    assert flags["key"] == "K" and flags["use-chrome"] is True and flags["port"] == "9"
    assert flags["x"] == "1" and flags["bogus"] is True and flags["ev"] == "u"
    assert flags["webhook"] == "hook" and flags["qr-timeout"] == "-1"


async def test_qr_scan_ready_rest(
    collector: Collector, spawn_sim: SpawnSim, tmp_path: Path
) -> None:
    port = free_port()
    data = tmp_path / "s1"
    record = tmp_path / "sent.jsonl"
    proc = await spawn_sim(
        *_sim_args(
            collector,
            data,
            port,
            "--sim-record",
            str(record),
            "--sim-ack-delays",
            "1:0.05,2:0.1,3:0.15",
        )
    )
    qr_events = await wait_for(
        lambda: [b for b in collector.bodies("/ev") if b["namespace"] == "qr"], what="qr event"
    )
    ev = qr_events[0]
    assert set(ev) == {"ts", "data", "sessionId", "namespace"} and ev["sessionId"] == "s1"
    scan_url = decode_qr(ev["data"])
    assert scan_url.startswith("http://127.0.0.1:") and "/sim/scan/" in scan_url
    # the REST API does not listen before login
    try:
        status, _ = await _rest(port, "getConnectionState", {})
        raise AssertionError(f"REST answered before login: {status}")
    except aiohttp.ClientConnectionError:
        pass
    status, body = await _post(scan_url, {"phone": "+447700900555"})
    assert status == 200 and body["linked"] is True
    ready = await wait_for(lambda: collector.bodies("/ready"), what="READY")
    assert ready[0]["namespace"] == "READY"
    assert any(b["data"] == "successfulScan" for b in collector.bodies("/ev"))
    await wait_for(lambda: _ok(port), what="REST up")
    assert await _rest(port, "getConnectionState", {}, key=None) == (401, {"error": "unauthorised"})
    assert (await _rest(port, "getConnectionState", {}, key="wrong"))[0] == 401
    assert await _rest(port, "getConnectionState", {}) == (
        200,
        {"success": True, "response": "CONNECTED"},
    )
    assert (await _rest(port, "getHostNumber", {}))[1]["response"] == "447700900555"
    status, text = await _rest(port, "noSuchMethod", {})
    assert status == 404 and isinstance(text, str)
    # no licence key: a number that is neither a contact nor an existing chat hits the wall
    status, body = await _rest(port, "sendText", {"to": "447700900001@c.us", "content": "hello"})
    assert (status, body) == (
        200,
        {"success": False, "response": LICENSE_WALL.format(host="447700900555")},
    )
    control_url = json.loads((data / "sim-control.json").read_text())["control_url"]
    status, _ = await _post(
        f"{control_url}/sim/fault", {"kind": "contacts", "numbers": ["+447700900001"]}
    )
    assert status == 200
    status, body = await _rest(port, "sendText", {"to": "447700900001@c.us", "content": "hello"})
    assert status == 200 and body["success"] is True
    msg_id = body["response"]
    acks = await wait_for(
        lambda: [
            b for b in collector.bodies("/wh") if b["event"] == "onAck" and b["data"]["ack"] == 3
        ],
        what="read ack",
    )
    assert acks[0]["data"]["id"] == msg_id and set(acks[0]) == {
        "ts",
        "sessionId",
        "id",
        "event",
        "data",
    }
    status, body = await _rest(port, "sendText", {"to": "+447700900001", "content": "x"})
    assert status == 200 and body["success"] is False and "error" in body
    lines = [json.loads(x) for x in record.read_text().splitlines()]
    assert [x["to"] for x in lines] == ["447700900001@c.us"]
    proc.terminate()
    assert await asyncio.wait_for(proc.wait(), 10) == 0


async def _ok(port: int) -> bool:
    try:
        await _rest(port, "getConnectionState", {})
        return True
    except aiohttp.ClientConnectionError:
        return False


async def _linked(
    collector: Collector, spawn_sim: SpawnSim, tmp_path: Path, *extra: str
) -> tuple[asyncio.subprocess.Process, int, str]:
    port = free_port()
    data = tmp_path / "s1"
    proc = await spawn_sim(*_sim_args(collector, data, port, "--sim-auto-scan", "0", *extra))
    await wait_for(lambda: collector.bodies("/ready"), what="READY")
    await wait_for(lambda: _ok(port), what="REST up")
    control = json.loads((data / "sim-control.json").read_text())["control_url"]
    return proc, port, control


async def test_faults_ban_numbers_rate_limit(
    collector: Collector, spawn_sim: SpawnSim, tmp_path: Path
) -> None:
    proc, port, control = await _linked(collector, spawn_sim, tmp_path)
    await _post(f"{control}/sim/fault", {"kind": "not_on_whatsapp", "numbers": ["+447700900002"]})
    _, body = await _rest(port, "checkNumberStatus", {"contactId": "447700900002@c.us"})
    # as WAPI: a 404, and numberExists is only ever set when true
    assert body["response"]["status"] == 404 and "numberExists" not in body["response"]
    _, body = await _rest(port, "checkNumberStatus", {"contactId": "447700900003@c.us"})
    assert body["response"]["numberExists"] is True
    _, body = await _rest(port, "sendText", {"to": "447700900002@c.us", "content": "x"})
    assert body["success"] is False
    await _post(f"{control}/sim/fault", {"kind": "rate_limit", "duration_s": 60})
    _, body = await _rest(port, "sendText", {"to": "447700900003@c.us", "content": "x"})
    assert body["success"] is False and "rate" in body["error"]["message"]
    await _post(f"{control}/sim/fault", {"kind": "ban"})
    await wait_for(
        lambda: any(
            b["namespace"] == "critical_internal_message" and b["data"] == "TEMP_BAN"
            for b in collector.bodies("/ev")
        )
    )
    await wait_for(
        lambda: any(
            b["event"] == "onStateChanged" and b["data"] == "TOS_BLOCK"
            for b in collector.bodies("/wh")
        )
    )
    assert (await _rest(port, "getConnectionState", {}))[1]["response"] == "TOS_BLOCK"
    assert (await _post(f"{control}/sim/fault", {"kind": "nope"}))[0] == 400
    proc.terminate()
    await proc.wait()


async def test_logout_exits_zero_and_forgets(
    collector: Collector, spawn_sim: SpawnSim, tmp_path: Path
) -> None:
    proc, _, control = await _linked(collector, spawn_sim, tmp_path)
    assert (tmp_path / "s1" / "s1.data.json").exists()
    await _post(f"{control}/sim/fault", {"kind": "logout"})
    assert await asyncio.wait_for(proc.wait(), 10) == 0
    assert any(b["event"] == "onLogout" for b in collector.bodies("/wh"))
    assert not (tmp_path / "s1" / "s1.data.json").exists()


async def test_crash_exit_one_and_restart_without_scan(
    collector: Collector, spawn_sim: SpawnSim, tmp_path: Path
) -> None:
    proc, _port, control = await _linked(collector, spawn_sim, tmp_path)
    with contextlib.suppress(aiohttp.ClientError):
        await _post(f"{control}/sim/fault", {"kind": "crash"})
    assert await asyncio.wait_for(proc.wait(), 10) == 1
    collector.posts.clear()
    port2 = free_port()
    proc2 = await spawn_sim(*_sim_args(collector, tmp_path / "s1", port2))
    await wait_for(lambda: collector.bodies("/ready"), what="READY after restart")
    assert not [b for b in collector.bodies("/ev") if b["namespace"] == "qr"]
    await wait_for(lambda: _ok(port2))
    proc2.terminate()
    await proc2.wait()


async def test_qr_refresh_then_timeout(
    collector: Collector, spawn_sim: SpawnSim, tmp_path: Path
) -> None:
    proc = await spawn_sim(
        *_sim_args(collector, tmp_path / "s1", free_port()),
        "--qr-timeout",
        "1",
        "--sim-qr-refresh",
        "0.5",
    )
    assert await asyncio.wait_for(proc.wait(), 15) == 0
    qrs = [b["data"] for b in collector.bodies("/ev") if b["namespace"] == "qr"]
    assert len(qrs) >= 2 and len(set(qrs)) == len(qrs)
    assert decode_qr(qrs[0]) != decode_qr(qrs[1])
    assert any(b["data"] == "qrTimeout" for b in collector.bodies("/ev"))


def test_config_like_setup_js_env_then_file_then_flags(tmp_path: Path) -> None:
    """The simulator reads configuration the way OpenWA's setup.js does, so the agent's
    secrets reach it the same way: environment < WA_CLI_CONFIG file < flags."""
    from agent.openwa_sim.cli import resolve_config

    conf = tmp_path / "c.json"
    conf.write_text(json.dumps({"key": "from-file", "licenseKey": "LK", "readyWebhook": "r"}))
    env = {
        "WA_KEY": "from-env",
        "WA_EXECUTABLE_PATH": "/usr/bin/chromium",
        "WA_CLI_CONFIG": str(conf),
        "PATH": "/bin",
    }
    got = resolve_config(parse_flags(["--port", "9"]), env)
    assert got["key"] == "from-file" and got["license-key"] == "LK"
    assert got["ready-webhook"] == "r" and got["executable-path"] == "/usr/bin/chromium"
    assert got["port"] == "9" and "path" not in got
    assert resolve_config(parse_flags(["-k", "flag"]), env)["key"] == "flag"
    assert resolve_config({}, {"WA_KEY": "e"})["key"] == "e"
