"""Simulation core of one OpenWA session. No sockets: it talks to the outside through a
:class:`SimSink` (events, webhooks, exit), and timers run on the running asyncio loop.

A connected idle session holds no timers, so thousands fit in one process.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import segno

log = logging.getLogger("openwa_sim")

OPENWA_VERSION = "4.76.0"
# The strings of the 4.76.0 source (dist/api/Client.js); tests hold them against the package.
LICENSE_WALL = (
    "ERROR: Not a contact. Unlock this feature and support open-wa by getting a license: "
    "https://get.openwa.dev/l/{host}"
)
NOT_LINKED = "Error: Number not linked to WhatsApp Account"
# 4.76.0 has no text of its own for WhatsApp's reachout timelock (error 463): this is what
# the simulator answers (thrown, like a failed stanza) and what the agent recognises.
RESTRICTED_ERROR = "Error 463: reachout timelock, this account cannot start new chats"
DEFAULT_ACK_DELAYS: dict[int, float] = {1: 0.2, 2: 0.5, 3: 1.0}
_WA_ID = re.compile(r"^([0-9]{6,15})@c\.us$")


# A media message's body is its thumbnail, base64 (longer than any text frame allows).
THUMBNAIL = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA" + "A" * 6000
MIMETYPES = {
    "image": "image/jpeg",
    "video": "video/mp4",
    "ptt": "audio/ogg; codecs=opus",
    "audio": "audio/mpeg",
    "document": "application/pdf",
    "sticker": "image/webp",
}


def now_ms() -> int:
    return int(time.time() * 1000)


def parse_ack_delays(text: str) -> dict[int, float]:
    """``"1:0.2,2:0.5,3:1.0"`` -> ``{1: 0.2, 2: 0.5, 3: 1.0}``; an empty string means no acks."""
    out: dict[int, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        level, _, delay = part.partition(":")
        ack = int(level)
        if not -1 <= ack <= 4:
            raise ValueError(f"ack level out of range: {ack}")
        out[ack] = float(delay)
    return out


def to_wa_id(number: str) -> str:
    """``+447700900123`` / ``447700900123`` / ``447700900123@c.us`` -> ``447700900123@c.us``"""
    return number.strip().lstrip("+").removesuffix("@c.us") + "@c.us"


def qr_png_data_url(payload: str) -> str:
    buf = io.BytesIO()
    segno.make_qr(payload, error="m").save(buf, kind="png", scale=6, border=4)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


class SimSink(Protocol):
    def ev(self, namespace: str, data: Any) -> None: ...  # --ev startup events
    def ready(self, payload: dict[str, Any]) -> None: ...  # --ready-webhook
    def webhook(self, event: str, data: Any) -> None: ...  # -w listener events
    def exit(self, code: int, abrupt: bool) -> None: ...  # process exit request


class NullSink:
    def ev(self, namespace: str, data: Any) -> None:
        pass

    def ready(self, payload: dict[str, Any]) -> None:
        pass

    def webhook(self, event: str, data: Any) -> None:
        pass

    def exit(self, code: int, abrupt: bool) -> None:
        pass


class UnknownMethod(Exception):
    pass


class SimError(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


@dataclass
class SimConfig:
    session_id: str = "session"
    data_path: Path = field(default_factory=Path.cwd)
    state_file: Path | None = None
    qr_timeout_s: float = 60.0  # multi-device: the QR phase lasts 2 x this (0: forever)
    qr_refresh_s: float = 20.0
    auto_scan_s: float | None = None
    phone: str = "+447700900123"
    ack_delays: dict[int, float] = field(default_factory=lambda: dict(DEFAULT_ACK_DELAYS))
    record_path: Path | None = None
    scan_base_url: str = "http://127.0.0.1:0"
    api_key: str | None = None
    # without a licence key, new chats only open to saved contacts (OpenWA's licence wall)
    license_key: str | None = None
    contacts: set[str] = field(default_factory=set)  # wa ids saved in the phone
    restricted: bool = False  # reachout timelock: no new chats
    # how a real start fails (as recorded from 4.76.0): "unreachable" (WhatsApp Web cannot
    # load: integrity-check retries forever, no QR) or "browser-missing" (exits 0)
    startup_fault: str | None = None

    def resolved_state_file(self) -> Path:
        return self.state_file or self.data_path / f"{self.session_id}.data.json"


class SimSession:
    """One simulated WhatsApp Web session: QR phase, login, REST methods, faults."""

    def __init__(self, config: SimConfig, sink: SimSink | None = None) -> None:
        self.config = config
        self.sink: SimSink = sink or NullSink()
        self.state = "STARTING"  # STARTING, QR, CONNECTED, DISCONNECTED, BANNED, LOGGED_OUT, DEAD
        self.connection_state = "OPENING"
        self.host_phone: str | None = None
        self.nonce: str | None = None
        self.not_on_whatsapp: set[str] = set()
        self.rate_limited_until = 0.0
        self.stall_s = 0.0  # hold send replies this long after sending (crash-mid-send tests)
        self.sent_count = 0
        self.send_attempts = 0  # every send call, refused ones included (for tests)
        self.chats: set[str] = set()  # wa ids with an existing chat (sent to or heard from)
        self.send_error: str | None = None  # every send answers this string (success: false)
        self._timers: list[asyncio.TimerHandle] = []
        self._qr_deadline: float | None = None
        self._record_fh: io.TextIOWrapper | None = None
        self._on_login: list[Callable[[], None]] = []
        self.messages: dict[str, dict[str, Any]] = {}  # sent by this number, by id

    # ------------------------------------------------------------------ lifecycle
    def on_login(self, callback: Callable[[], None]) -> None:
        self._on_login.append(callback)

    def start(self) -> None:
        """Begin the startup sequence. Must be called with a running event loop."""
        for text in (
            "Starting",
            f"Version: {OPENWA_VERSION}",
            "Initializing WA",
            "Launching Browser",
        ):
            self.sink.ev("STARTUP", text)
        self._load_messages()
        if self.config.startup_fault == "browser-missing":
            for text in (
                "Error launching browser",
                "Browser was not found at the configured executablePath (/nonexistent/chrome)",
            ):
                self.sink.ev("STARTUP", text)
            self._later(0.5, lambda: self._die(0))
            return
        self.sink.ev("STARTUP", "Loading session data")
        if self.config.startup_fault == "unreachable":
            for text in (
                "Navigating to WA",
                "net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com",
                "Injecting scripts",
            ):
                self.sink.ev("STARTUP", text)
            self._integrity_retry(2)
            return
        linked = self._load_state()
        if linked:
            self.sink.ev("STARTUP", "Existing session data detected")
            self._login(linked, scanned=False)
            return
        sid = self.config.session_id
        self.sink.ev("STARTUP", f"No session data file found for session : {sid}")
        self.state = "QR"
        self.connection_state = "PAIRING"
        loop = asyncio.get_running_loop()
        if self.config.qr_timeout_s > 0:
            self._qr_deadline = loop.time() + 2 * self.config.qr_timeout_s
        self._show_qr()
        if self.config.auto_scan_s is not None:
            self._later(self.config.auto_scan_s, self._auto_scan)

    def _integrity_retry(self, attempt: int) -> None:
        self.sink.ev("STARTUP", "Checking session integrity")
        self.sink.ev("STARTUP", f"Session integrity check failed, trying again... {attempt}")
        self._later(1.0, lambda: self._integrity_retry(attempt + 1))

    def _later(self, delay: float, fn: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()
        handle = loop.call_later(delay, fn)
        if len(self._timers) >= 32:  # drop handles that have already fired
            now = loop.time()
            self._timers = [t for t in self._timers if not t.cancelled() and t.when() > now]
        self._timers.append(handle)

    def _cancel_timers(self) -> None:
        for t in self._timers:
            t.cancel()
        self._timers.clear()

    def scan_url(self, nonce: str) -> str:
        return f"{self.config.scan_base_url}/sim/scan/{nonce}"

    def _show_qr(self) -> None:
        if self.state != "QR":
            return
        loop = asyncio.get_running_loop()
        if self._qr_deadline is not None and loop.time() >= self._qr_deadline:
            self.sink.ev("STARTUP", "qrTimeout")
            self._die(0)
            return
        self.nonce = secrets.token_urlsafe(12)
        self.sink.ev("qr", qr_png_data_url(self.scan_url(self.nonce)))
        delay = self.config.qr_refresh_s
        if self._qr_deadline is not None:
            delay = max(0.0, min(delay, self._qr_deadline - loop.time()))
        self._later(delay, self._show_qr)

    def _auto_scan(self) -> None:
        if self.state == "QR" and self.nonce is not None:
            self.scan(self.nonce, self.config.phone)

    def scan(self, nonce: str, phone: str) -> bool:
        """A phone scanned the QR whose URL carried ``nonce``. False if stale or not in QR."""
        if self.state != "QR" or nonce != self.nonce:
            return False
        if not re.fullmatch(r"\+[1-9][0-9]{6,14}", phone):
            return False
        self.sink.ev("STARTUP", "successfulScan")
        self._login(phone, scanned=True)
        return True

    def _login(self, phone: str, scanned: bool) -> None:
        self._cancel_timers()
        self.nonce = None
        self.host_phone = phone
        self.state = "CONNECTED"
        self.connection_state = "CONNECTED"
        self._save_state()
        self.sink.ev("STARTUP", "Client is ready")
        for cb in self._on_login:
            cb()
        self.sink.ready(
            {
                "ts": now_ms(),
                "sessionId": self.config.session_id,
                "namespace": "READY",
                "data": {
                    "key": self.config.api_key,
                    "hostAccountNumber": phone.lstrip("+"),
                    "sessionId": self.config.session_id,
                },
            }
        )
        self.sink.webhook("onStateChanged", "CONNECTED")

    def _die(self, code: int, abrupt: bool = False) -> None:
        self._cancel_timers()
        self.state = "DEAD"
        if self._record_fh is not None:
            self._record_fh.close()
            self._record_fh = None
        self.sink.exit(code, abrupt)

    def close(self) -> None:
        self._cancel_timers()
        if self._record_fh is not None:
            self._record_fh.close()
            self._record_fh = None

    # ------------------------------------------------------------------ persistence
    def _load_state(self) -> str | None:
        path = self.config.resolved_state_file()
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        phone = data.get("phone") if isinstance(data, dict) else None
        return phone if isinstance(phone, str) else None

    def _save_state(self) -> None:
        path = self.config.resolved_state_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"phone": self.host_phone, "linked_at": now_ms()}))
        os.replace(tmp, path)

    def _forget_state(self) -> None:
        self.config.resolved_state_file().unlink(missing_ok=True)

    def _record(self, entry: dict[str, Any]) -> None:
        if self.config.record_path is None:
            return
        if self._record_fh is None:
            self._record_fh = open(self.config.record_path, "a", encoding="utf-8")  # noqa: SIM115
        self._record_fh.write(json.dumps(entry) + "\n")
        self._record_fh.flush()

    # ------------------------------------------------------------------ REST methods
    def call(self, method: str, args: dict[str, Any]) -> Any:
        """Run one REST method; returns ``response`` or raises SimError/UnknownMethod."""
        handler = _METHODS.get(method)
        if handler is None:
            raise UnknownMethod(method)
        return handler(self, args)

    def _require_connected(self) -> None:
        if self.state == "BANNED":
            raise SimError("SessionError", "session is banned (TOS_BLOCK)")
        if self.state != "CONNECTED":
            raise SimError("SessionError", f"session not connected: {self.connection_state}")

    @staticmethod
    def _wa_id(value: Any, arg: str) -> str:
        if not isinstance(value, str) or not _WA_ID.match(value):
            raise SimError("InvalidChatId", f"{arg} must be <digits>@c.us, got {value!r}")
        return value

    def _send(self, args: dict[str, Any], kind: str) -> str | bool:
        self.send_attempts += 1
        self._require_connected()
        to = self._wa_id(args.get("to"), "to")
        if time.monotonic() < self.rate_limited_until:
            raise SimError("RateLimited", "rate-overlimit: too many messages, slow down")
        if to in self.not_on_whatsapp:
            return NOT_LINKED
        if self.send_error is not None:
            return self.send_error
        new_chat = to not in self.chats
        if new_chat and self.config.restricted:
            raise SimError("Error", RESTRICTED_ERROR)
        if (
            kind == "text"
            and new_chat
            and not self.config.license_key
            and to not in self.config.contacts
        ):  # WAPI.sendMessage: "Not a contact" (sendImage has no such check in 4.76.0)
            return LICENSE_WALL.format(host=(self.host_phone or "").lstrip("+"))
        if kind == "text":
            content = args.get("content")
            if not isinstance(content, str) or not content:
                raise SimError("InvalidArgument", "content must be a non-empty string")
        else:
            file = args.get("file")
            if not isinstance(file, str) or not file:
                raise SimError("InvalidArgument", "file must be a URL or data URL")
        self.sent_count += 1
        msg_id = f"true_{to}_3EB0{secrets.token_hex(8).upper()}"
        self._record(
            {
                "ts": now_ms(),
                "session_id": self.config.session_id,
                "id": msg_id,
                "to": to,
                "kind": kind,
                "content": args.get("content") if kind == "text" else args.get("caption"),
                "file": args.get("filename") if kind != "text" else None,
            }
        )
        self.chats.add(to)
        mtype = "chat" if kind == "text" else "image" if kind == "image" else "document"
        created_s = now_ms() // 1000  # a message's t is when it was made, in every ack event
        for ack, delay in sorted(self.config.ack_delays.items(), key=lambda kv: kv[1]):
            self._later(delay, lambda a=ack: self._emit_ack(msg_id, to, a, mtype, created_s))  # type: ignore[misc]
        self._remember_message(msg_id, to, kind, args)
        if kind != "text" and not args.get("waitForId"):
            return True  # sendImage answers the id only with waitForId
        return msg_id

    def _emit_ack(
        self, msg_id: str, to: str, ack: int, mtype: str = "chat", created_s: int | None = None
    ) -> None:
        if self.state in ("DEAD", "LOGGED_OUT"):
            return
        # WAPI.onAck sends WAPI.quickClean(message): the raw model, whose key becomes its
        # serialized id ("true_<chat>_<id>"); there is no fromMe field as in onMessage
        self.sink.webhook(
            "onAck",
            {
                "id": msg_id,
                "ack": ack,
                "to": to,
                "from": self._host_wid(),
                "type": mtype,
                "t": created_s if created_s is not None else now_ms() // 1000,
            },
        )

    def _check_number(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require_connected()
        cid = self._wa_id(args.get("contactId"), "contactId")
        user = cid.split("@")[0]
        if cid in self.not_on_whatsapp:
            # WAPI.checkNumberStatus: queryExist has no jid -> throw 404 -> the id as given,
            # and no numberExists key at all (it is only ever set to true)
            return {"id": cid, "status": 404, "isBusiness": False, "canReceiveMessage": False}
        return {
            "id": {"server": "c.us", "user": user, "_serialized": cid},
            "status": 200,
            "isBusiness": False,
            "canReceiveMessage": True,
            "numberExists": True,
        }

    def _logout(self, _args: dict[str, Any]) -> bool:
        self._require_connected()
        asyncio.get_running_loop().call_soon(self._do_logout)
        return True

    def _do_logout(self) -> None:
        if self.state == "DEAD":
            return
        self.state = "LOGGED_OUT"
        self.connection_state = "UNPAIRED"
        self._forget_state()
        self.sink.webhook("onLogout", True)
        self._die(0)

    def _kill(self, _args: dict[str, Any]) -> bool:
        asyncio.get_running_loop().call_soon(self._die, 0)
        return True

    def _connection_state(self, _args: dict[str, Any]) -> str:
        return self.connection_state

    def _host_number(self, _args: dict[str, Any]) -> str:
        self._require_connected()
        return (self.host_phone or "").lstrip("+")

    def _get_me(self, _args: dict[str, Any]) -> dict[str, Any]:
        self._require_connected()
        digits = (self.host_phone or "").lstrip("+")
        return {
            "wid": f"{digits}@c.us",
            "me": {"user": digits, "_serialized": f"{digits}@c.us"},
            "pushname": "wacast sim",
        }

    def _simulate_typing(self, args: dict[str, Any]) -> bool:
        # Client.simulateTyping(to, on) → WAPI.simulateTyping: composing when ``on`` is
        # truthy, paused otherwise; it always answers true.
        self._require_connected()
        to = self._wa_id(args.get("to"), "to")
        self._record(
            {
                "ts": now_ms(),
                "session_id": self.config.session_id,
                "to": to,
                "kind": "typing",
                "on": bool(args.get("on")),
            }
        )
        return True

    # ------------------------------------------------------------------ faults & inbound
    def fault(self, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        if kind == "ban":
            self.state = "BANNED"
            self.connection_state = "TOS_BLOCK"
            self.sink.ev("critical_internal_message", "TEMP_BAN")
            self.sink.webhook("onStateChanged", "TOS_BLOCK")
        elif kind == "logout":
            self._do_logout()
        elif kind == "disconnect":
            state = str(params.get("state", "CONFLICT"))
            self.state = "DISCONNECTED"
            self.connection_state = state
            self.sink.webhook("onStateChanged", state)
            duration = params.get("duration_s")
            if isinstance(duration, int | float) and duration > 0:
                self._later(float(duration), self._reconnect)
        elif kind == "reconnect":
            self._reconnect()
        elif kind == "crash":
            self._die(1, abrupt=True)
        elif kind == "not_on_whatsapp":
            numbers = params.get("numbers", [])
            if not isinstance(numbers, list):
                raise ValueError("numbers must be a list")
            for n in numbers:
                digits = str(n).lstrip("+").removesuffix("@c.us")
                self.not_on_whatsapp.add(f"{digits}@c.us")
        elif kind == "contacts":
            numbers = params.get("numbers", [])
            if not isinstance(numbers, list):
                raise ValueError("numbers must be a list")
            self.config.contacts |= {to_wa_id(str(n)) for n in numbers}
        elif kind == "send_error":
            text = params.get("text")
            self.send_error = str(text) if text else None
        elif kind == "restricted":
            self.config.restricted = bool(params.get("on", True))
        elif kind == "license":  # a test takes the stand-in key away (or gives one)
            key = params.get("key")
            self.config.license_key = str(key) if key else None
        elif kind == "rate_limit":
            self.rate_limited_until = time.monotonic() + float(params.get("duration_s", 30))
        elif kind == "stall":
            self.stall_s = float(params.get("seconds", 30))
        elif kind == "ack_timing":
            delays = params.get("delays", "")
            self.config.ack_delays = (
                parse_ack_delays(delays)
                if isinstance(delays, str)
                else {int(k): float(v) for k, v in dict(delays).items()}
            )
        else:
            raise ValueError(f"unknown fault kind: {kind}")
        return {"ok": True, "kind": kind}

    def _reconnect(self) -> None:
        if self.state == "DISCONNECTED":
            self.state = "CONNECTED"
            self.connection_state = "CONNECTED"
            self.sink.webhook("onStateChanged", "CONNECTED")

    def _host_wid(self) -> str:
        return f"{(self.host_phone or '').lstrip('+')}@c.us"

    def inbound(
        self, from_phone: str, body: str, push_name: str | None = None, kind: str | None = None
    ) -> str:
        """A message from ``from_phone``. With ``kind`` (image, video, ptt, document,
        sticker, location, …) it is a media message shaped like OpenWA's: ``body`` holds the
        thumbnail, the text goes to ``caption`` (``loc`` for a location)."""
        digits = from_phone.lstrip("+")
        self.chats.add(f"{digits}@c.us")
        msg_id = f"false_{digits}@c.us_3EB0{secrets.token_hex(8).upper()}"
        message: dict[str, Any] = {
            "id": msg_id,
            "from": f"{digits}@c.us",
            "to": self._host_wid(),
            "body": body,
            "type": kind or "chat",
            "fromMe": False,
            "t": now_ms() // 1000,
        }
        if kind == "location":
            message.update(body=THUMBNAIL, lat="-23.5505", lng="-46.6333", loc=body)
        elif kind:
            message.update(body=THUMBNAIL, caption=body, mimetype=MIMETYPES.get(kind))
        if push_name:
            # Like OpenWA: the sender's contact carries the name they set in WhatsApp.
            message["sender"] = {"id": f"{digits}@c.us", "pushname": push_name}
            message["notifyName"] = push_name
        self.sink.webhook("onMessage", message)
        return msg_id

    # ------------------------------------------------------------------ messages it sent
    # WhatsApp keeps delivering and reading while OpenWA (or the agent) is down, so a
    # message's ack follows its own schedule from the moment it was sent, and the log of
    # sent messages outlives the process: getMessageById answers after a restart too.
    def _messages_path(self) -> Path:
        return self.config.data_path / f"{self.config.session_id}.messages.jsonl"

    def _load_messages(self) -> None:
        try:
            lines = self._messages_path().read_text(encoding="utf-8").splitlines()
        except OSError:
            return
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line torn by a crash
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                self.messages[entry["id"]] = entry

    def _remember_message(self, msg_id: str, to: str, kind: str, args: dict[str, Any]) -> None:
        entry = {
            "id": msg_id,
            "to": to,
            "type": "chat" if kind == "text" else "image",
            "body": args.get("content") if kind == "text" else args.get("caption"),
            "sent_ms": now_ms(),
            "acks": {str(k): v for k, v in self.config.ack_delays.items()},
        }
        self.messages[msg_id] = entry
        with open(self._messages_path(), "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")

    def ack_now(self, msg_id: str, at_ms: int | None = None) -> int | None:
        """The ack a sent message has reached by now (None: not a message we sent)."""
        entry = self.messages.get(msg_id)
        if entry is None:
            return None
        elapsed_s = ((at_ms or now_ms()) - int(entry["sent_ms"])) / 1000
        reached = [int(k) for k, delay in entry["acks"].items() if float(delay) <= elapsed_s]
        return max([0, *reached])

    def _get_message_by_id(self, args: dict[str, Any]) -> Any:
        """Like WAPI.getMessageById: the serialized message, or false when not in the store."""
        self._require_connected()
        msg_id = args.get("messageId")
        if not isinstance(msg_id, str):
            return False
        ack = self.ack_now(msg_id)
        if ack is None:
            return False
        entry = self.messages[msg_id]
        t = int(entry["sent_ms"]) // 1000
        return {
            "id": msg_id,
            "ack": ack,
            "from": self._host_wid(),
            "to": entry["to"],
            "chatId": entry["to"],
            "fromMe": True,
            "self": "out",
            "type": entry["type"],
            "body": entry["body"],
            "content": entry["body"],
            "t": t,
            "timestamp": t,
            "isGroupMsg": False,
            "isMedia": entry["type"] != "chat",
            "isNotification": False,
        }


_METHODS: dict[str, Callable[[SimSession, dict[str, Any]], Any]] = {
    "sendText": lambda s, a: s._send(a, "text"),
    "sendImage": lambda s, a: s._send(a, "image"),
    "sendFile": lambda s, a: s._send(a, "file"),
    "getMessageById": SimSession._get_message_by_id,
    "checkNumberStatus": SimSession._check_number,
    "getConnectionState": SimSession._connection_state,
    "getHostNumber": SimSession._host_number,
    "getMe": SimSession._get_me,
    "simulateTyping": SimSession._simulate_typing,
    "logout": SimSession._logout,
    "kill": SimSession._kill,
}
