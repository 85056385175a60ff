"""Driver of one OpenWA session: its supervised process, its events mapped to session
states, and its REST API (sendText, sendImage, checkNumberStatus, logout, ...)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from agent.config import AgentConfig
from agent.supervisor import ProcState, Program, ProgramConfig
from agent.webhooks import WebhookReceiver
from chalicelib.protocol import FailReason, Outcome, SessionState, SessionStateFrame

log = logging.getLogger("agent.driver")

EVENT_FILTER = "qr,STARTUP,MD_DETECT,critical_internal_message"
BAN_MARKERS = ("TEMP_BAN", "TOS_BLOCK", "SMB_TOS_BLOCK")
DISCONNECTED_STATES = {
    "CONFLICT",
    "UNPAIRED",
    "UNPAIRED_IDLE",
    "TIMEOUT",
    "DISCONNECTED",
    "OPENING",
    "PAIRING",
    "UNLAUNCHED",
    "PROXYBLOCK",
    "DEPRECATED_VERSION",
}
TERMINAL = {
    SessionState.logged_out,
    SessionState.banned,
    SessionState.qr_expired,
    SessionState.failed,
    SessionState.stopped,
}


def now_ms() -> int:
    return int(time.time() * 1000)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OpenWAError(Exception):
    """OpenWA answered with ``success: false`` (or 401/404): the call did not happen."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


class OpenWAUnavailable(Exception):
    """Could not reach the REST API at all: the call certainly did not happen."""


class OpenWAIndeterminate(Exception):
    """The request may have reached OpenWA but no answer came back (timeout, reset)."""


@dataclass(frozen=True)
class SendOutcome:
    outcome: Outcome
    wa_message_id: str | None = None
    reason: FailReason | None = None


def classify_error(err: OpenWAError) -> FailReason:
    text = f"{err.name} {err.message}".lower()
    if "rate" in text or "too many" in text:
        return FailReason.rate_limited
    if (
        "not registered" in text
        or "notonwhatsapp" in text
        or "not on whatsapp" in text
        or "404" in text
    ):
        return FailReason.not_on_whatsapp
    if "invalidchatid" in text or ("invalid" in text and "id" in text):
        return FailReason.invalid_number
    if "session" in text or "not connected" in text or "tos_block" in text:
        return FailReason.session_error
    if "media" in text or "file" in text or "image" in text:
        return FailReason.media_error
    return FailReason.unknown


StateListener = Callable[[SessionStateFrame], None]
AckListener = Callable[[str, str, int, int], None]  # session_id, wa_message_id, ack, ts
InboundListener = Callable[[str, str, str, str, int], None]  # sid, from_phone, body, id, ts


class OpenWASession:
    def __init__(
        self,
        session_id: str,
        config: AgentConfig,
        receiver: WebhookReceiver,
        http: aiohttp.ClientSession,
        on_state: StateListener,
        on_ack: AckListener | None = None,
        on_inbound: InboundListener | None = None,
        extra_args: list[str] | None = None,
    ) -> None:
        self.session_id = session_id
        self.config = config
        self.receiver = receiver
        self.http = http
        self.on_state = on_state
        self.on_ack = on_ack
        self.on_inbound = on_inbound
        self.extra_args = extra_args or []
        self.dir: Path = config.sessions_dir / session_id
        self.state = SessionState.stopped
        self.phone: str | None = None
        self.port: int | None = None
        self.api_key: str | None = None
        self.hooks: dict[str, str] = {}
        self._last_ts = 0
        self._qr_deadline_ms: int | None = None
        self.state_changed = asyncio.Event()
        self.program = Program(
            ProgramConfig(
                name=session_id,
                cwd=self.dir,
                log_path=self.dir / "openwa.log",
                pidfile=self.dir / "openwa.pid",
                env=self._env(),
                startsecs=config.startsecs,
                startretries=config.startretries,
                stop_grace_s=config.stop_grace_s,
                startup_deadline_s=config.startup_deadline_s,
            ),
            self.argv,
            self._on_proc_state,
        )

    # ------------------------------------------------------------------ process
    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.config.wa_executable_path:
            env["WA_EXECUTABLE_PATH"] = self.config.wa_executable_path
        if self.config.uses_simulator:
            root = str(Path(__file__).resolve().parents[1])
            env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        return env

    def argv(self) -> list[str]:
        """The full command line of a (re)start: a fresh port and API key every time."""
        self.port = free_port()
        self.api_key = secrets.token_urlsafe(24)
        args = [
            *self.config.openwa_command,
            "--session-id",
            self.session_id,
            "--port",
            str(self.port),
            "--session-data-path",
            str(self.dir),
            "--key",
            self.api_key,
            "--allow-ips",
            "127.0.0.1",
            "--ev",
            self.hooks["ev"],
            "--ef",
            EVENT_FILTER,
            "--ready-webhook",
            self.hooks["ready"],
            "--webhook",
            self.hooks["wh"],
            "--qr-timeout",
            str(int(self.config.qr_timeout_s)),
            "--multi-device",
            "--use-chrome",
            "--skip-save-postman-collection",
            "--disable-spins",
            "--kill-process-on-ban",
        ]
        if self.config.license_key:
            args += ["--license-key", self.config.license_key]
        return args + self.extra_args

    async def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.dir, 0o700)
        (self.dir / "purge_after").unlink(missing_ok=True)
        self.hooks = self.receiver.register(self.session_id, self._on_hook)
        self._set(SessionState.starting, force=True)
        self.program.start()

    async def stop(self) -> None:
        await self.program.stop()
        self.receiver.unregister(self.session_id)
        self.port = None
        self._set(SessionState.stopped, force=True)

    def _on_proc_state(self, prog: Program, state: ProcState, code: int | None) -> None:
        if state == ProcState.STARTING and self.state not in TERMINAL:
            self._set(SessionState.starting, force=True)
        elif state == ProcState.FATAL:
            self._set(
                SessionState.failed,
                reason="start_failed",
                detail=f"OpenWA did not start after {prog.starts} attempts (last exit {code})",
                force=True,
            )
        elif (
            state in (ProcState.EXITED, ProcState.BACKOFF) and self.state == SessionState.connected
        ):
            self._set(
                SessionState.disconnected,
                reason="process_exit",
                detail=f"OpenWA exited with {code}",
                force=True,
            )

    # ------------------------------------------------------------------ states
    def _set(
        self,
        state: SessionState,
        *,
        ts: int | None = None,
        force: bool = False,
        reason: str | None = None,
        detail: str | None = None,
        qr: str | None = None,
        qr_expires_at: int | None = None,
    ) -> None:
        ts = ts or now_ms()
        if not force and ts < self._last_ts:
            log.info(
                "stale event ignored", extra={"session_id": self.session_id, "state": str(state)}
            )
            return
        self._last_ts = max(self._last_ts, ts)
        if state == self.state and qr is None:
            return
        self.state = state
        log.info(
            "session state",
            extra={"session_id": self.session_id, "state": str(state), "reason": reason},
        )
        self.state_changed.set()
        self.state_changed = asyncio.Event()
        self.on_state(
            SessionStateFrame(
                session_id=self.session_id,
                state=state,
                ts=ts,
                phone=self.phone if state == SessionState.connected else None,
                qr=qr,
                qr_expires_at=qr_expires_at,
                reason=reason,
                detail=detail[:500] if detail else None,
            )
        )

    async def _on_hook(self, kind: str, body: dict[str, Any]) -> None:
        ts = body.get("ts")
        ts = int(ts) if isinstance(ts, int | float) else now_ms()
        if kind == "ev":
            await self._on_ev(str(body.get("namespace", "")), body.get("data"), ts)
        elif kind == "ready":
            await self._on_ready(body, ts)
        elif kind == "wh":
            await self._on_listener(str(body.get("event", "")), body.get("data"), ts)

    async def _on_ev(self, namespace: str, data: Any, ts: int) -> None:
        if self.state in TERMINAL:
            return
        if namespace == "qr" and isinstance(data, str) and data.startswith("data:image/png"):
            self.program.mark_started()
            if self._qr_deadline_ms is None and self.config.qr_timeout_s > 0:
                self._qr_deadline_ms = ts + int(2 * self.config.qr_timeout_s * 1000)
            self._set(SessionState.qr_ready, ts=ts, qr=data, qr_expires_at=self._qr_deadline_ms)
        elif namespace == "STARTUP" and isinstance(data, str):
            if data == "qrTimeout" or data.startswith("qrTimeout"):
                self.program.autorestart = False
                self._qr_deadline_ms = None
                self._set(SessionState.qr_expired, ts=ts, reason="qr_timeout", force=True)
            elif data == "authTimeout":
                self._set(SessionState.failed, ts=ts, reason="auth_timeout", force=True)
            elif any(m in data for m in BAN_MARKERS):
                await self._banned(ts, data)
        elif namespace == "critical_internal_message":
            text = json.dumps(data) if not isinstance(data, str) else data
            if any(m in text for m in BAN_MARKERS):
                await self._banned(ts, text)

    async def _banned(self, ts: int, detail: str) -> None:
        self.program.autorestart = False
        self._set(
            SessionState.banned,
            ts=ts,
            reason="TEMP_BAN" if "TEMP_BAN" in detail else "TOS_BLOCK",
            detail=detail,
            force=True,
        )

    async def _on_ready(self, body: dict[str, Any], ts: int) -> None:
        self.program.mark_started()
        self._qr_deadline_ms = None
        data = body.get("data")
        host = data.get("hostNumber") if isinstance(data, dict) else None
        if not isinstance(host, str) or not host.isdigit():
            try:
                host = await self.call("getHostNumber", {}, timeout=10)
            except (OpenWAError, OpenWAUnavailable, OpenWAIndeterminate) as exc:
                log.warning(
                    "getHostNumber failed", extra={"session_id": self.session_id, "error": str(exc)}
                )
                host = None
        if isinstance(host, str) and host.isdigit():
            self.phone = "+" + host
        self._set(SessionState.connected, ts=ts, force=True)

    async def _on_listener(self, event: str, data: Any, ts: int) -> None:
        if event == "onAck" and isinstance(data, dict):
            msg_id, ack = data.get("id"), data.get("ack")
            if isinstance(msg_id, str) and isinstance(ack, int) and self.on_ack is not None:
                self.on_ack(self.session_id, msg_id, max(-1, min(4, ack)), ts)
        elif event == "onMessage" and isinstance(data, dict):
            sender = data.get("from")
            if (
                self.on_inbound is not None
                and not data.get("fromMe")
                and isinstance(sender, str)
                and sender.endswith("@c.us")
            ):
                body = data.get("body")
                self.on_inbound(
                    self.session_id,
                    "+" + sender.split("@")[0],
                    body if isinstance(body, str) else "",
                    str(data.get("id", "")),
                    ts,
                )
        elif event == "onStateChanged" and isinstance(data, str):
            if data in BAN_MARKERS:
                await self._banned(ts, data)
            elif self.state in TERMINAL:
                return
            elif data == "CONNECTED":
                if self.state == SessionState.disconnected:
                    self._set(SessionState.connected, ts=ts)
            elif data in DISCONNECTED_STATES and self.state == SessionState.connected:
                self._set(SessionState.disconnected, ts=ts, reason=data)
        elif event == "onLogout":
            self.program.autorestart = False
            self._set(SessionState.logged_out, ts=ts, reason="logout", force=True)

    # ------------------------------------------------------------------ REST
    async def call(self, method: str, args: dict[str, Any], timeout: float = 60.0) -> Any:
        if (
            self.port is None
            or self.api_key is None
            or self.program.state not in (ProcState.RUNNING, ProcState.STARTING)
        ):
            raise OpenWAUnavailable("OpenWA is not running")
        url = f"http://127.0.0.1:{self.port}/{method}"
        try:
            async with self.http.post(
                url,
                json={"args": args},
                headers={"api_key": self.api_key},
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as resp:
                if resp.status == 401:
                    raise OpenWAError("unauthorised", "bad API key")
                if resp.status == 404:
                    raise OpenWAError("unknown_method", method)
                body = await resp.json(content_type=None)
        except aiohttp.ClientConnectorError as exc:
            raise OpenWAUnavailable(str(exc)) from None
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            raise OpenWAIndeterminate(repr(exc)) from None
        if not isinstance(body, dict):
            raise OpenWAIndeterminate("malformed reply")
        if not body.get("success"):
            err = body.get("error")
            if isinstance(err, dict):
                raise OpenWAError(str(err.get("name", "error")), str(err.get("message", "")))
            raise OpenWAError("error", str(err))
        return body.get("response")

    async def _send(self, method: str, args: dict[str, Any]) -> SendOutcome:
        try:
            resp = await self.call(method, args)
        except OpenWAUnavailable:
            return SendOutcome(Outcome.failed, reason=FailReason.session_error)
        except OpenWAIndeterminate:
            return SendOutcome(Outcome.unknown, reason=FailReason.timeout)
        except OpenWAError as exc:
            return SendOutcome(Outcome.failed, reason=classify_error(exc))
        if isinstance(resp, str) and resp:
            return SendOutcome(Outcome.sent, wa_message_id=resp[:200])
        return SendOutcome(Outcome.failed, reason=FailReason.unknown)

    async def send_text(self, to: str, content: str) -> SendOutcome:
        return await self._send("sendText", {"to": to, "content": content})

    async def send_image(self, to: str, file: str, filename: str, caption: str) -> SendOutcome:
        return await self._send(
            "sendImage", {"to": to, "file": file, "filename": filename, "caption": caption}
        )

    async def check_number(self, to: str) -> bool | None:
        """True/False when OpenWA knows; None when it could not tell."""
        try:
            resp = await self.call("checkNumberStatus", {"contactId": to}, timeout=30)
        except (OpenWAError, OpenWAUnavailable, OpenWAIndeterminate):
            return None
        if isinstance(resp, dict) and isinstance(resp.get("numberExists"), bool):
            return bool(resp["numberExists"])
        return None

    async def logout(self) -> bool:
        self.program.autorestart = False
        try:
            return bool(await self.call("logout", {}, timeout=30))
        except (OpenWAError, OpenWAUnavailable, OpenWAIndeterminate):
            return False
