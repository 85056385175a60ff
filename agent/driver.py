"""Driver of one OpenWA session: its supervised process, its events mapped to session
states, and its REST API (sendText, sendImage, checkNumberStatus, logout, ...)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import secrets
import socket
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from agent import openwa
from agent.config import AgentConfig
from agent.proctree import clean_session_dir
from agent.supervisor import ProcState, Program, ProgramConfig
from agent.webhooks import WebhookReceiver
from wacast_protocol import (
    FailReason,
    Outcome,
    SessionState,
    SessionStateFrame,
    StartFailReason,
)

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
    detail: str | None = None  # OpenWA's own words when the reason is unknown


def classify_error(err: OpenWAError) -> FailReason:
    known = openwa.refusal_reason(err.message) or openwa.refusal_reason(err.name)
    if known is not None:
        return known
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


def inbound_text(data: dict[str, Any]) -> tuple[str, str | None]:
    """(text, media kind) of an onMessage payload. For media OpenWA's ``body`` is the
    thumbnail (base64), so the text is the ``caption`` (a location's ``loc``)."""
    kind = data.get("type")
    if kind in (None, "chat") or not isinstance(kind, str):
        body = data.get("body")
        return (body if isinstance(body, str) else ""), None
    text = data.get("loc") if kind == "location" else data.get("caption")
    # the protocol takes a plain word: an odd type still arrives, as "unknown" at worst
    word = re.sub(r"[^a-z_]", "", kind.lower())[:32] or "unknown"
    return (text if isinstance(text, str) else ""), word


def sent_by_this_number(data: dict[str, Any]) -> bool:
    """Whether a message event is one this number sent. onMessage/onAnyMessage carry
    ``fromMe``; the ack stream (WAPI.quickClean of the raw model) does not, its id being the
    serialized key ``<fromMe>_<chat>_<id>`` (wapi.js) instead."""
    from_me = data.get("fromMe")
    if isinstance(from_me, bool):
        return from_me
    msg_id = data.get("id")
    return isinstance(msg_id, str) and msg_id.startswith("true_")


def number_exists(resp: Any) -> bool | None:
    """checkNumberStatus's answer: WAPI sets ``numberExists`` only when it is true (status
    200); a number not on WhatsApp is ``status: 404`` with no ``numberExists`` at all. Any
    other status (a failed query) tells nothing."""
    if not isinstance(resp, dict):
        return None
    if isinstance(resp.get("numberExists"), bool):
        return bool(resp["numberExists"])
    status = resp.get("status")
    if status == 200:
        return True
    if status == 404:
        return False
    return None


def outcome_of_reply(reply: openwa.Reply) -> SendOutcome:
    """Map one sendText/sendImage answer to an outcome (shapes of the 4.76.0 source)."""
    if reply.threw:
        err = OpenWAError(reply.error_name or "Error", reply.error_message or "")
        thrown = classify_error(err)
        detail = openwa.trim_detail(reply.text()) if thrown == FailReason.unknown else None
        return SendOutcome(Outcome.failed, reason=thrown, detail=detail)
    resp = reply.response
    if isinstance(resp, str):
        reason = openwa.refusal_reason(resp)
        if reason is not None:
            return SendOutcome(Outcome.failed, reason=reason)
        if not reply.success or resp.startswith(("Error", "ERROR")) or not resp:
            return SendOutcome(
                Outcome.failed, reason=FailReason.unknown, detail=openwa.trim_detail(resp or "''")
            )
        return SendOutcome(Outcome.sent, wa_message_id=resp[:200])
    if resp is True and reply.success:  # sendImage without waitForId: sent, id unknown
        return SendOutcome(Outcome.sent)
    if resp is False:  # no chat could be found or opened
        return SendOutcome(Outcome.failed, reason=FailReason.chat_not_found)
    return SendOutcome(
        Outcome.failed, reason=FailReason.unknown, detail=openwa.trim_detail(reply.text())
    )


StateListener = Callable[[SessionStateFrame], None]
AckListener = Callable[[str, str, int, int], None]  # session_id, wa_message_id, ack, ts
# sid, from_phone, body, id, ts, the sender's WhatsApp name (push name) when known
# session_id, from phone, text (a media message's caption), wa_message_id, ts, push name,
# media kind (OpenWA's message type: image, video, ptt, ...; None for a text)
InboundListener = Callable[[str, str, str, str, int, str | None, str | None], None]
# session_id, to (wa id), wa_message_id -> whether a send without an id took it
OutgoingListener = Callable[[str, str, str], bool]


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
        self.on_outgoing: OutgoingListener | None = None
        # this number's own licence key (from the cloud): memory only, never logged or in argv
        self.license_key: str | None = None
        self.openwa_version: str | None = None
        self._startup_events: deque[str] = deque(maxlen=60)
        self.restricted_until: int | None = None
        # chats with a message sent without an id (sendImage answered true), by count
        self._awaiting_id: Counter[str] = Counter()
        # image sends waiting for their id, by chat: (started, in seconds; the id's future)
        self._id_waiters: dict[str, tuple[int, asyncio.Future[tuple[str, int]]]] = {}
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
                # a start that shows no QR within the deadline will not show one by retrying
                deadline_fatal=True,
                cleanup=lambda: clean_session_dir(self.dir),
            ),
            self.argv,
            self._on_proc_state,
        )

    # ------------------------------------------------------------------ process
    @property
    def config_path(self) -> Path:
        return self.dir / openwa.CONFIG_FILE_NAME

    def _env(self) -> dict[str, str]:
        """A minimal environment: OpenWA turns every variable whose name contains "WA" into
        configuration, so the agent's own (WACAST_AGENT_TOKEN, ...) must never reach it."""
        wa = {"WA_CLI_CONFIG": str(self.config_path)}
        if self.config.wa_executable_path:
            wa["WA_EXECUTABLE_PATH"] = self.config.wa_executable_path
        extra = {}
        if self.config.uses_simulator:
            root = str(Path(__file__).resolve().parents[1])
            extra["PYTHONPATH"] = root + os.pathsep + os.environ.get("PYTHONPATH", "")
        return openwa.minimal_env(os.environ, wa, extra)

    def _secret_config(self) -> dict[str, str]:
        """What must not be on the command line (``ps`` shows it to every local user): the API
        key, the webhook URLs (their path is the receiver's secret) and the licence key."""
        assert self.api_key is not None
        conf = {
            "key": self.api_key,
            "ev": self.hooks["ev"],
            "readyWebhook": self.hooks["ready"],
            "webhook": self.hooks["wh"],
        }
        license_key = self.license_key or self.config.license_key
        if license_key:
            conf["licenseKey"] = license_key
        return conf

    def argv(self) -> list[str]:
        """The command line of a (re)start: a fresh port and API key every time; the secrets
        go to a 0600 file named by WA_CLI_CONFIG."""
        self.port = free_port()
        self.api_key = secrets.token_urlsafe(24)
        self._startup_events.clear()
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        openwa.write_private_json(self.config_path, self._secret_config())
        self.program.config.env = self._env()
        args = [
            *self.config.openwa_command,
            "--session-id",
            self.session_id,
            "--port",
            str(self.port),
            "--session-data-path",
            str(self.dir),
            "--allow-ips",
            "127.0.0.1",
            "--ef",
            EVENT_FILTER,
            "--qr-timeout",
            str(int(self.config.qr_timeout_s)),
            "--multi-device",
            "--use-chrome",
            "--skip-save-postman-collection",
            "--disable-spins",
            "--kill-process-on-ban",
        ]
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
        self.config_path.unlink(missing_ok=True)
        self._set(SessionState.stopped, force=True)

    async def restart(self) -> None:
        """Stop the process tree and start again (e.g. a new licence key)."""
        await self.program.stop()
        await self.start()

    def start_failure(self) -> tuple[StartFailReason, str]:
        """Why the last start failed, from OpenWA's STARTUP events and its log tail."""
        return openwa.classify_startup(
            list(self._startup_events), openwa.log_tail(self.dir / "openwa.log")
        )

    def _on_proc_state(self, prog: Program, state: ProcState, code: int | None) -> None:
        if state == ProcState.STARTING and self.state not in TERMINAL:
            self._set(SessionState.starting, force=True)
        elif state == ProcState.FATAL:
            reason, detail = self.start_failure()
            if prog.deadline_missed:
                detail += f" (no QR code within {int(self.config.startup_deadline_s)} s)"
            elif reason == StartFailReason.start_failed:
                detail += f" ({prog.starts} attempts, last exit {code})"
            self._set(SessionState.failed, reason=str(reason), detail=detail, force=True)
            self.config_path.unlink(missing_ok=True)
        elif state in (ProcState.EXITED, ProcState.BACKOFF) and self.state in (
            SessionState.connected,
            SessionState.restricted,
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
                restricted_until=(
                    self.restricted_until if state == SessionState.restricted else None
                ),
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
        if namespace == "STARTUP" and isinstance(data, str):
            self._startup_events.append(data[:500])
            version = openwa.version_from_event(data)
            if version is not None:
                self.openwa_version = version
        if self.state in TERMINAL:
            return
        if namespace == "critical_internal_message" and openwa.is_restricted_text(
            data if isinstance(data, str) else json.dumps(data)
        ):
            self.mark_restricted(None, ts)
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
        # the CLI's ready() posts its whole config plus hostAccountNumber (cli/index.js)
        host = data.get("hostAccountNumber") if isinstance(data, dict) else None
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

    def mark_restricted(self, until_ms: int | None, ts: int | None = None) -> None:
        """WhatsApp's reachout timelock: no new chats for a while; existing chats still work."""
        if self.state not in (SessionState.connected, SessionState.restricted):
            return
        if self.state == SessionState.restricted and until_ms == self.restricted_until:
            return
        self.restricted_until = until_ms
        self.state = SessionState.connected  # so that _set reports the change
        self._set(
            SessionState.restricted,
            ts=ts,
            force=True,
            reason="reachout_timelock",
            detail="WhatsApp does not let this number start new chats for now",
        )
        if until_ms is not None:
            delay = max(0.0, (until_ms - now_ms()) / 1000)
            asyncio.get_running_loop().call_later(delay, self._lift_restriction, until_ms)

    def _lift_restriction(self, until_ms: int) -> None:
        if self.state == SessionState.restricted and self.restricted_until == until_ms:
            self.restricted_until = None
            self._set(SessionState.connected, force=True)

    def _outgoing(self, data: dict[str, Any]) -> None:
        """A media message from this number (ack stream / message events) to a chat that
        has a send without an id (sendImage answered ``true``): that send's id."""
        msg_id, to = data.get("id"), data.get("to")
        if isinstance(to, dict):
            to = to.get("_serialized")
        self._id_from_stream(data, msg_id, to)
        if (
            self.on_outgoing is not None
            and sent_by_this_number(data)
            and data.get("type") != "chat"  # a text typed on the phone is not our image
            and isinstance(msg_id, str)
            and isinstance(to, str)
            and self._awaiting_id[to] > 0
            and self.on_outgoing(self.session_id, to, msg_id)
        ):
            self._awaiting_id[to] -= 1
            if self._awaiting_id[to] <= 0:
                del self._awaiting_id[to]

    def _id_from_stream(self, data: dict[str, Any], msg_id: Any, to: Any) -> None:
        """An image being sent shows in the ack stream once WhatsApp's server has it (ack 1+):
        a media message from this number to that chat, created since the send began."""
        waiter = self._id_waiters.get(to) if isinstance(to, str) else None
        if waiter is None or waiter[1].done():
            return
        started_s, fut = waiter
        ack, t = data.get("ack"), data.get("t")
        if (
            sent_by_this_number(data)
            and data.get("type") not in (None, "chat")
            and isinstance(msg_id, str)
            and msg_id
            and isinstance(ack, int)
            and ack >= 1
            # an older image to the same chat getting its read ack now is not this one
            and (not isinstance(t, int | float) or t >= started_s - 5)
        ):
            fut.set_result((msg_id, ack))

    async def _on_listener(self, event: str, data: Any, ts: int) -> None:
        if isinstance(data, dict) and event in ("onAck", "onAnyMessage", "onMessage"):
            self._outgoing(data)
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
                body, kind = inbound_text(data)
                contact = data.get("sender")
                name = contact.get("pushname") if isinstance(contact, dict) else None
                name = name if isinstance(name, str) else data.get("notifyName")
                push_name = name.strip()[:200] if isinstance(name, str) else ""
                self.on_inbound(
                    self.session_id,
                    "+" + sender.split("@")[0],
                    body,
                    str(data.get("id", "")),
                    ts,
                    push_name or None,
                    kind,
                )
        elif event == "onStateChanged" and isinstance(data, str):
            if data in BAN_MARKERS:
                await self._banned(ts, data)
            elif self.state in TERMINAL:
                return
            elif data == "CONNECTED":
                if self.state == SessionState.disconnected:
                    self._set(SessionState.connected, ts=ts)
            elif data in DISCONNECTED_STATES and self.state in (
                SessionState.connected,
                SessionState.restricted,
            ):
                self._set(SessionState.disconnected, ts=ts, reason=data)
        elif event == "onLogout":
            self.program.autorestart = False
            self._set(SessionState.logged_out, ts=ts, reason="logout", force=True)

    # ------------------------------------------------------------------ REST
    async def call(self, method: str, args: dict[str, Any], timeout: float = 60.0) -> Any:
        """The method's ``response``; raises OpenWAError when OpenWA refused or threw."""
        reply = await self.call_reply(method, args, timeout)
        if not reply.success:
            raise OpenWAError(reply.error_name or "response", reply.text())
        return reply.response

    async def call_reply(
        self, method: str, args: dict[str, Any], timeout: float = 60.0
    ) -> openwa.Reply:
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
        reply = openwa.parse_reply(body)
        if reply is None:
            raise OpenWAIndeterminate("malformed reply")
        return reply

    async def _send(self, method: str, args: dict[str, Any], timeout: float = 60.0) -> SendOutcome:
        try:
            reply = await self.call_reply(method, args, timeout)
        except OpenWAUnavailable:
            return SendOutcome(Outcome.failed, reason=FailReason.session_error)
        except OpenWAIndeterminate:
            return SendOutcome(Outcome.unknown, reason=FailReason.timeout)
        except OpenWAError as exc:  # 401/404 from the REST layer
            return SendOutcome(Outcome.failed, reason=classify_error(exc))
        outcome = outcome_of_reply(reply)
        if outcome.reason == FailReason.restricted:
            self.mark_restricted(None)
        to = args.get("to")
        if (
            outcome.outcome == Outcome.sent
            and outcome.wa_message_id is None
            and isinstance(to, str)
        ):
            self._awaiting_id[to] += 1
        return outcome

    async def send_text(self, to: str, content: str) -> SendOutcome:
        return await self._send("sendText", {"to": to, "content": content})

    async def send_image(self, to: str, file: str, filename: str, caption: str) -> SendOutcome:
        """sendImage with waitForId: OpenWA answers the message id once the upload is done
        (else only ``true``); the longer timeout covers the upload. 4.76.0's WAPI.sendImage
        waits for the id on the first ``change:clientUrl`` of any message and never answers
        when that one was not ours, though the image went out: the ack stream then shows it
        with its id, and that is the answer."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[tuple[str, int]] = loop.create_future()
        self._id_waiters[to] = (int(time.time()), fut)
        rest = asyncio.ensure_future(
            self._send(
                "sendImage",
                {
                    "to": to,
                    "file": file,
                    "filename": filename,
                    "caption": caption,
                    "waitForId": True,
                },
                timeout=self.config.media_send_timeout_s,
            )
        )
        try:
            either: set[asyncio.Future[Any]] = {rest, fut}
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            if rest.done():
                return rest.result()
            rest.cancel()  # OpenWA may never answer; the message is out
            msg_id, ack = fut.result()
            log.info("image id from the ack stream", extra={"session_id": self.session_id})
            if ack >= 2 and self.on_ack is not None:
                # that ack arrived before the send had its id: once the send is recorded
                loop.call_soon(self.on_ack, self.session_id, msg_id, ack, now_ms())
            return SendOutcome(Outcome.sent, wa_message_id=msg_id[:200])
        finally:
            if self._id_waiters.get(to, (0, None))[1] is fut:
                del self._id_waiters[to]
            if not rest.done():
                rest.cancel()

    async def simulate_typing(self, to: str, on: bool) -> bool:
        """Show (or stop showing) "typing…" in the chat: Client.simulateTyping(to, on)."""
        try:
            return bool(await self.call("simulateTyping", {"to": to, "on": on}, timeout=15))
        except (OpenWAError, OpenWAUnavailable, OpenWAIndeterminate):
            return False  # a cosmetic step: the send goes on without it

    async def check_number(self, to: str) -> bool | None:
        """True/False when OpenWA knows; None when it could not tell."""
        try:
            resp = await self.call("checkNumberStatus", {"contactId": to}, timeout=30)
        except (OpenWAError, OpenWAUnavailable, OpenWAIndeterminate):
            return None
        return number_exists(resp)

    async def logout(self) -> bool:
        self.program.autorestart = False
        try:
            return bool(await self.call("logout", {}, timeout=30))
        except (OpenWAError, OpenWAUnavailable, OpenWAIndeterminate):
            return False
