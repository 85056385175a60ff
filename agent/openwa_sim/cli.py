"""Process wrapper of the simulator core with OpenWA 4.76.0's CLI shape.

* before login only the simulator's own control listener exists (127.0.0.1, ephemeral port
  unless ``--sim-control-port``): ``POST /sim/scan/<nonce>``, ``POST /sim/fault``,
  ``POST /sim/inbound``, ``GET /sim/status``; its URL is written to
  ``<session-data-path>/sim-control.json`` and announced as a STARTUP event;
* after login the REST API listens on ``--port``: ``POST /<method>`` with ``{"args": {...}}``;
* configuration is read like OpenWA's ``dist/cli/setup.js``: every environment variable whose
  name contains ``WA`` (camel-cased, ``WA_`` removed), then the JSON file named by ``-c`` or
  ``WA_CLI_CONFIG``, then the command-line flags.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from agent.logs import setup_logging
from agent.openwa_sim.core import (
    SimConfig,
    SimError,
    SimSession,
    UnknownMethod,
    parse_ack_delays,
    to_wa_id,
)

log = logging.getLogger("openwa_sim.cli")

SHORT = {"-k": "key", "-w": "webhook", "-p": "port", "-c": "config"}
BOOLEAN = {
    "multi-device",
    "use-chrome",
    "skip-save-postman-collection",
    "disable-spins",
    "headful",
    "headless",
    "debug",
    "verbose",
    "legacy",
    "keep-alive",
    "kill-process-on-ban",
    "kill-process-on-timeout",
    "no-kill-on-logout",
    "skip-update-check",
    "block-crash-logs",
    "block-assets",
    "log-console",
    "log-console-errors",
    "help",
    "no-api",
    "stats",
    "cors",
    "helmet",
    "generate-api-docs",
    "ezqr",
    "popup",
    "safe-mode",
    "raspi",
    "cache-enabled",
    "sim-restricted",
    "sim-browser",
}


def _kebab(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", key).lower()


def _camel_env(name: str) -> str:
    parts = [p for p in re.split(r"[_\W]+", name.replace("WA_", "", 1)) if p]
    return "".join(p.lower() if i == 0 else p.capitalize() for i, p in enumerate(parts))


def resolve_config(
    flags: dict[str, str | bool], env: dict[str, str] | None = None
) -> dict[str, str | bool]:
    """Environment < config file < flags, keyed like the flags (``ready-webhook``)."""
    env = dict(os.environ) if env is None else env
    merged: dict[str, str | bool] = {}
    for name, value in env.items():
        if "WA" in name:
            merged[_kebab(_camel_env(name))] = value
    path = _str(flags.get("config")) or env.get("WA_CLI_CONFIG")
    if path:
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError):
            log.error("unable to read config file json", extra={"path": path})
            data = {}
        if isinstance(data, dict):
            for key, value in data.items():
                if isinstance(value, bool):
                    merged[_kebab(key)] = value
                elif isinstance(value, str | int | float):
                    merged[_kebab(key)] = str(value)
    merged.update(flags)
    return merged


def parse_flags(argv: list[str]) -> dict[str, str | bool]:
    """Parse the way OpenWA's CLI does for our purposes: unknown flags are accepted silently."""
    out: dict[str, str | bool] = {}
    i = 0
    while i < len(argv):
        tok = argv[i]
        i += 1
        if tok in SHORT:
            name = SHORT[tok]
        elif tok.startswith("--"):
            name, eq, value = tok[2:].partition("=")
            if eq:
                out[name] = value
                continue
        else:
            continue  # stray positional: ignored
        if name in BOOLEAN:
            out[name] = True
        elif i < len(argv) and not (
            argv[i].startswith("-") and len(argv[i]) > 1 and not argv[i][1].isdigit()
        ):
            out[name] = argv[i]
            i += 1
        else:
            out[name] = True
    return out


class ProcessSink:
    def __init__(self, flags: dict[str, str | bool], session_id: str) -> None:
        self.session_id = session_id
        self.ev_url = _str(flags.get("ev"))
        ef = _str(flags.get("ef"))
        self.ev_filter = {x.strip() for x in ef.split(",")} if ef else None
        self.ready_url = _str(flags.get("ready-webhook"))
        self.webhook_url = _str(flags.get("webhook"))
        self.http: ClientSession | None = None
        self.pending: set[asyncio.Task[None]] = set()
        self.exit_code: asyncio.Future[int] | None = None
        # OpenWA's CLI calls server.listen() before it posts the ready webhook
        self.rest_listening: asyncio.Task[None] | None = None

    def _post(self, url: str | None, body: dict[str, Any]) -> None:
        if not url or self.http is None:
            return
        task = asyncio.get_running_loop().create_task(self._deliver(url, body))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def _deliver(self, url: str, body: dict[str, Any]) -> None:
        assert self.http is not None
        try:  # fire and forget, no retry: like OpenWA
            async with self.http.post(url, json=body) as resp:
                await resp.read()
        except Exception as exc:
            log.warning(
                "delivery failed",
                extra={"session_id": self.session_id, "url": url, "error": repr(exc)},
            )

    def ev(self, namespace: str, data: Any) -> None:
        if self.ev_filter is not None and namespace not in self.ev_filter:
            return
        self._post(
            self.ev_url,
            {"ts": _ms(), "data": data, "sessionId": self.session_id, "namespace": namespace},
        )

    def ready(self, payload: dict[str, Any]) -> None:
        if self.rest_listening is None:
            self._post(self.ready_url, payload)
            return
        task = asyncio.get_running_loop().create_task(self._ready_after_listen(payload))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def _ready_after_listen(self, payload: dict[str, Any]) -> None:
        assert self.rest_listening is not None
        with contextlib.suppress(Exception):  # a failed listen is logged by its task
            await asyncio.shield(self.rest_listening)
        if self.ready_url and self.http is not None:
            await self._deliver(self.ready_url, payload)

    def webhook(self, event: str, data: Any) -> None:
        self._post(
            self.webhook_url,
            {
                "ts": _ms(),
                "sessionId": self.session_id,
                "id": str(uuid.uuid4()),
                "event": event,
                "data": data,
            },
        )

    def exit(self, code: int, abrupt: bool) -> None:
        if abrupt:
            log.error("simulated crash", extra={"session_id": self.session_id})
            logging.shutdown()
            os._exit(code)
        if self.exit_code is not None and not self.exit_code.done():
            self.exit_code.set_result(code)


def _str(value: str | bool | None) -> str | None:
    return value if isinstance(value, str) else None


def _ms() -> int:
    return int(time.time() * 1000)


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def control_app(sim: SimSession) -> web.Application:
    app = web.Application(client_max_size=1 << 20)

    async def scan(request: web.Request) -> web.Response:
        body = await _json(request)
        phone = body.get("phone", sim.config.phone)
        ok = sim.scan(request.match_info["nonce"], str(phone))
        return web.json_response({"linked": ok}, status=200 if ok else 409)

    async def scan_page(request: web.Request) -> web.Response:
        return web.Response(text='wacast OpenWA simulator: POST {"phone": "+..."} here to scan')

    async def fault(request: web.Request) -> web.Response:
        body = await _json(request)
        kind = str(body.pop("kind", ""))
        try:
            return web.json_response(sim.fault(kind, body))
        except (ValueError, TypeError) as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)

    async def inbound(request: web.Request) -> web.Response:
        body = await _json(request)
        return web.json_response(
            {
                "id": sim.inbound(
                    str(body.get("from", "")),
                    str(body.get("body", "")),
                    str(body["name"]) if body.get("name") else None,
                    kind=str(body["type"]) if body.get("type") else None,
                )
            }
        )

    async def status(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "state": sim.state,
                "connection": sim.connection_state,
                "phone": sim.host_phone,
                "sent": sim.sent_count,
                "send_attempts": sim.send_attempts,
            }
        )

    app.router.add_post("/sim/scan/{nonce}", scan)
    app.router.add_get("/sim/scan/{nonce}", scan_page)
    app.router.add_post("/sim/fault", fault)
    app.router.add_post("/sim/inbound", inbound)
    app.router.add_get("/sim/status", status)
    return app


def rest_app(
    sim: SimSession, key: str | None, allow_ips: set[str] | None, sink: ProcessSink
) -> web.Application:
    app = web.Application(client_max_size=16 << 20)

    async def method(request: web.Request) -> web.Response:
        if allow_ips is not None and request.remote not in allow_ips:
            return web.json_response({"error": "unauthorised"}, status=401)
        if key is not None and request.headers.get("api_key") != key:
            return web.json_response({"error": "unauthorised"}, status=401)
        name = request.match_info["method"]
        body = await _json(request)
        args = body.get("args", {})
        if not isinstance(args, dict):
            args = {}
        try:
            response = sim.call(name, args)
        except UnknownMethod:
            return web.Response(status=404, text=f"Cannot find method: {name}")
        except SimError as exc:
            return web.json_response(
                {"success": False, "error": {"name": exc.name, "message": exc.message}}
            )
        if sim.stall_s > 0 and name in ("sendText", "sendImage", "sendFile"):
            await asyncio.sleep(sim.stall_s)
        # Client.middleware: a string answer starting with Error/ERROR is success: false
        success = not (isinstance(response, str) and response.startswith(("Error", "ERROR")))
        return web.json_response({"success": success, "response": response})

    async def process_exit(request: web.Request) -> web.Response:
        if key is not None and request.headers.get("api_key") != key:
            return web.json_response({"error": "unauthorised"}, status=401)
        sink.exit(10, abrupt=False)
        return web.json_response({"success": True})

    app.router.add_post("/meta/process/exit", process_exit)
    app.router.add_post("/{method}", method)
    return app


def launch_browser(profile: Path) -> subprocess.Popen[bytes] | None:
    """Play Puppeteer's Chromium: a detached process (its own session and process group) on
    ``--user-data-dir=<profile>`` holding ``SingletonLock`` (a symlink to host-pid). None,
    with Chromium's own complaint on stderr, when a live process holds the lock."""
    profile.mkdir(parents=True, exist_ok=True)
    lock = profile / "SingletonLock"
    if lock.is_symlink():
        holder = os.readlink(lock).rpartition("-")[2]
        alive = holder.isdigit()
        if alive:
            try:
                os.kill(int(holder), 0)
            except ProcessLookupError:
                alive = False
            except PermissionError:
                pass
        if alive:
            print(
                "Error: Failed to launch the browser process!\n"
                f"The profile appears to be in use by another Chromium process ({holder})",
                file=sys.stderr,
                flush=True,
            )
            return None
        lock.unlink()
    browser = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(3600)", f"--user-data-dir={profile}"],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.symlink(f"{socket.gethostname()}-{browser.pid}", lock)
    return browser


async def run(argv: list[str]) -> int:
    flags = resolve_config(parse_flags(argv))
    session_id = _str(flags.get("session-id")) or "session"
    data_path = Path(_str(flags.get("session-data-path")) or ".").resolve()
    data_path.mkdir(parents=True, exist_ok=True)
    log_file = _str(flags.get("log-file"))
    setup_logging(
        log_file=data_path / log_file if log_file and not os.path.isabs(log_file) else log_file
    )
    port = int(_str(flags.get("port")) or 8002)
    key = _str(flags.get("key"))
    allow = _str(flags.get("allow-ips"))
    allow_ips = {x.strip() for x in allow.split(",")} if allow else None
    auto_scan = _str(flags.get("sim-auto-scan"))
    state_file = _str(flags.get("sim-state-file"))
    record = _str(flags.get("sim-record"))
    config = SimConfig(
        session_id=session_id,
        data_path=data_path,
        state_file=Path(state_file) if state_file else None,
        qr_timeout_s=float(_str(flags.get("qr-timeout")) or 60),
        qr_refresh_s=float(_str(flags.get("sim-qr-refresh")) or 20),
        auto_scan_s=float(auto_scan) if auto_scan else None,
        phone=_str(flags.get("sim-phone")) or "+447700900123",
        ack_delays=parse_ack_delays(_str(flags.get("sim-ack-delays")) or "1:0.2,2:0.5,3:1.0"),
        record_path=Path(record) if record else None,
        api_key=key,
        license_key=_str(flags.get("license-key")) or None,
        contacts={
            to_wa_id(n) for n in (_str(flags.get("sim-contacts")) or "").split(",") if n.strip()
        },
        restricted=flags.get("sim-restricted") in (True, "true", "1"),
        startup_fault=_str(flags.get("sim-startup-fault")),
    )
    loop = asyncio.get_running_loop()
    sink = ProcessSink(flags, session_id)
    sink.exit_code = loop.create_future()
    sim = SimSession(config, sink)
    runners: list[web.AppRunner] = []
    async with ClientSession(timeout=ClientTimeout(total=10)) as http:
        sink.http = http
        control = web.AppRunner(control_app(sim), access_log=None)
        await control.setup()
        runners.append(control)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", int(_str(flags.get("sim-control-port")) or 0)))
        control_port = sock.getsockname()[1]
        await web.SockSite(control, sock).start()
        config.scan_base_url = f"http://127.0.0.1:{control_port}"
        (data_path / "sim-control.json").write_text(
            json.dumps({"control_url": config.scan_base_url, "pid": os.getpid()})
        )
        sink.ev("STARTUP", f"Simulator control listening on {config.scan_base_url}")

        async def start_rest() -> None:
            runner = web.AppRunner(rest_app(sim, key, allow_ips, sink), access_log=None)
            await runner.setup()
            runners.append(runner)
            await web.TCPSite(runner, "127.0.0.1", port).start()
            log.info("REST API listening", extra={"session_id": session_id, "port": port})

        def on_login() -> None:
            sink.rest_listening = loop.create_task(start_rest())

        sim.on_login(on_login)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, sink.exit, 0, False)
        browser: subprocess.Popen[bytes] | None = None
        try:
            if flags.get("sim-browser") in (True, "true", "1"):
                browser = launch_browser(data_path / f"_IGNORE_{session_id}")
                if browser is None:
                    sink.ev("STARTUP", "Error launching browser")
                    sink.ev("STARTUP", "Failed to launch the browser process!")
                    await asyncio.sleep(0.5)
                    return 0
            sim.start()
            code = await sink.exit_code
        finally:
            sim.close()
            if browser is not None:  # a clean exit closes the browser (a SIGKILL does not)
                browser.kill()
                browser.wait()
                (data_path / f"_IGNORE_{session_id}" / "SingletonLock").unlink(missing_ok=True)
            if sink.pending:
                await asyncio.wait(list(sink.pending), timeout=3)
            for runner in runners:
                with contextlib.suppress(Exception):
                    await runner.cleanup()
    log.info("exiting", extra={"session_id": session_id, "code": code})
    return code


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(sys.argv[1:] if argv is None else argv))
