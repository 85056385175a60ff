"""The driver against a real simulator process, through the real webhook receiver."""

from __future__ import annotations

import contextlib
import json
import shlex
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from agent.config import AgentConfig
from agent.driver import OpenWASession
from agent.supervisor import ProcState
from agent.webhooks import WebhookReceiver
from tests.agent.conftest import SessionHarness, decode_qr, make_config, wait_for
from wacast_protocol import Outcome, SessionState

# OpenWA 4.76.0's own option list (dist/cli/cli-options.js and bin/config-schema.json),
# as recorded in shared/openwa/ from the real CLI.
FLAGS = Path(__file__).with_name("openwa-cli-flags-4.76.0.txt")
MakeSession = Callable[..., Awaitable[SessionHarness]]


async def _post(url: str, body: dict[str, object]) -> None:
    async with aiohttp.ClientSession() as http:
        with contextlib.suppress(aiohttp.ClientError):
            async with http.post(url, json=body) as r:
                await r.read()


def _flags_in(argv: list[str]) -> list[str]:
    out = []
    for tok in argv:
        if tok.startswith("--"):
            out.append(tok.split("=", 1)[0])
        elif tok.startswith("-") and len(tok) == 2 and tok[1].isalpha():
            out.append(tok)
    return out


def _session_for(cfg: AgentConfig) -> OpenWASession:
    session = OpenWASession("s1", cfg, WebhookReceiver(), None, lambda f: None)  # type: ignore[arg-type]
    session.hooks = {
        "ev": "http://127.0.0.1:1/hook/SECRET/ev",
        "ready": "http://127.0.0.1:1/hook/SECRET/ready",
        "wh": "http://127.0.0.1:1/hook/SECRET/wh",
    }
    return session


def _argv_for(cfg: AgentConfig) -> list[str]:
    return _session_for(cfg).argv()


def test_command_line_matches_openwa_4_76_flags(tmp_path: Path) -> None:
    known = set(FLAGS.read_text().split())
    real = make_config(
        tmp_path,
        openwa_command=shlex.split("npx --yes @open-wa/wa-automate@4.76.0"),
        license_key="LK-123",
        wa_executable_path="/usr/bin/chromium",
    )
    session = _session_for(real)
    argv = session.argv()
    assert argv[:3] == ["npx", "--yes", "@open-wa/wa-automate@4.76.0"]
    flags = _flags_in(argv[3:])
    unknown = [f for f in flags if f not in known]
    assert not unknown, f"flags OpenWA 4.76.0 does not know: {unknown}"
    for required in ("--session-id", "--port", "--session-data-path", "--allow-ips", "--ef"):
        assert required in flags
    assert "--api-key" not in flags and not any(f.startswith("--sim-") for f in flags)
    assert argv[argv.index("--allow-ips") + 1] == "127.0.0.1"
    # secrets are not on the command line: they are in a 0600 file named by WA_CLI_CONFIG
    joined = " ".join(argv)
    assert session.api_key and session.api_key not in joined
    assert "SECRET" not in joined and "LK-123" not in joined
    for secret_flag in ("--key", "-k", "--ev", "-e", "--webhook", "-w", "--license-key", "-l"):
        assert secret_flag not in flags
    env = session.program.config.env
    assert env is not None and env["WA_CLI_CONFIG"] == str(session.config_path)
    assert env["WA_EXECUTABLE_PATH"] == "/usr/bin/chromium"
    assert not [k for k in env if "WA" in k and k not in ("WA_CLI_CONFIG", "WA_EXECUTABLE_PATH")]
    assert session.config_path.stat().st_mode & 0o777 == 0o600
    conf = json.loads(session.config_path.read_text())
    assert conf == {
        "key": session.api_key,
        "ev": session.hooks["ev"],
        "readyWebhook": session.hooks["ready"],
        "webhook": session.hooks["wh"],
        "licenseKey": "LK-123",
    }
    # the number's own key wins over the agent-wide one
    session.license_key = "LK-NUMBER"
    session.argv()
    assert json.loads(session.config_path.read_text())["licenseKey"] == "LK-NUMBER"
    # with the simulator, only the simulator's own --sim-* flags may be added
    sim = make_config(
        tmp_path, openwa_command=["python", "-m", "agent.openwa_sim", "--sim-auto-scan", "3"]
    )
    sim_flags = _flags_in(_argv_for(sim)[3:])
    assert all(f in known or f.startswith("--sim-") for f in sim_flags)
    assert "--license-key" not in sim_flags


async def test_qr_scan_connected(make_session: MakeSession) -> None:
    h = await make_session()
    qr = await wait_for(
        lambda: [f for f in h.frames if f.state == SessionState.qr_ready], what="qr_ready"
    )
    assert qr[0].qr.startswith("data:image/png;base64,") and qr[0].qr_expires_at
    assert h.session.dir.stat().st_mode & 0o777 == 0o700
    await _post(decode_qr(qr[0].qr), {"phone": "+447700900777"})
    await wait_for(lambda: h.session.state == SessionState.connected, what="connected")
    assert h.frames[-1].phone == "+447700900777"
    assert h.states()[:2] == ["starting", "qr_ready"]
    out = await h.session.send_text("447700900001@c.us", "hi")
    assert out.outcome == Outcome.sent and out.wa_message_id
    await wait_for(
        lambda: any(a[1] == out.wa_message_id and a[2] == 3 for a in h.acks), what="read ack"
    )
    assert await h.session.check_number("447700900001@c.us") is True
    await _post(h.control_url() + "/sim/inbound", {"from": "+447700900009", "body": "STOP"})
    await wait_for(lambda: h.inbound, what="inbound")
    assert h.inbound[0][1:3] == ("+447700900009", "STOP")
    assert h.inbound[0][5] is None
    await _post(
        h.control_url() + "/sim/inbound", {"from": "+447700900010", "body": "Hi", "name": "Bea"}
    )
    await wait_for(lambda: len(h.inbound) == 2, what="inbound with a name")
    assert h.inbound[1][1:3] == ("+447700900010", "Hi") and h.inbound[1][5] == "Bea"


async def test_ban(make_session: MakeSession) -> None:
    h = await make_session(extra=["--sim-auto-scan", "0"])
    await wait_for(lambda: h.session.state == SessionState.connected)
    await _post(h.control_url() + "/sim/fault", {"kind": "ban"})
    await wait_for(lambda: h.session.state == SessionState.banned, what="banned")
    out = await h.session.send_text("447700900001@c.us", "hi")
    assert out.outcome == Outcome.failed


async def test_logout_is_terminal(make_session: MakeSession) -> None:
    h = await make_session(extra=["--sim-auto-scan", "0"])
    await wait_for(lambda: h.session.state == SessionState.connected)
    assert await h.session.logout()
    await wait_for(lambda: h.session.state == SessionState.logged_out, what="logged_out")
    await wait_for(lambda: h.session.program.state == ProcState.EXITED, what="no restart")
    assert h.session.program.starts == 1


async def test_crash_restart_reconnects_without_scan(make_session: MakeSession) -> None:
    h = await make_session(extra=["--sim-auto-scan", "0"])
    await wait_for(lambda: h.session.state == SessionState.connected)
    await wait_for(lambda: h.session.program.state == ProcState.RUNNING)
    await _post(h.control_url() + "/sim/fault", {"kind": "crash"})
    await wait_for(lambda: h.session.program.starts == 2, what="restart")
    await wait_for(
        lambda: (
            h.session.state == SessionState.connected
            and h.session.program.state == ProcState.RUNNING
        ),
        what="connected again",
    )
    states = h.states()
    assert states.count("qr_ready") == 1  # scanned once, the restart reused session data
    assert "disconnected" in states
    out = await h.session.send_text("447700900001@c.us", "after restart")
    assert out.outcome == Outcome.sent


async def test_qr_expiry(make_session: MakeSession) -> None:
    h = await make_session(qr_timeout_s=1.0, extra=["--sim-qr-refresh", "0.5"])
    await wait_for(lambda: h.session.state == SessionState.qr_expired, what="qr_expired")
    await wait_for(lambda: h.session.program.state == ProcState.EXITED)
    assert h.session.program.starts == 1
