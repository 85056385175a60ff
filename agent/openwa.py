"""What the agent knows about OpenWA (@open-wa/wa-automate) 4.76.0, read from its source.

Everything here is held against the installed package by ``tests/agent/test_openwa_contract.py``:
the refusal strings ``sendText`` returns (``dist/api/Client.js``, ``dist/lib/wapi.js``), the REST
reply shape (``Client.middleware``), how the CLI reads configuration (``dist/cli/setup.js``)
and the STARTUP events a failed start leaves (``dist/controllers/*``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wacast_protocol import FailReason, StartFailReason

OPENWA_VERSION = "4.76.0"
OPENWA_PACKAGE = "@open-wa/wa-automate"

# --- sendText's refusals (Client.sendText wraps WAPI.sendMessage's answers) -------------
# "Not a contact" becomes this, followed by https://get.openwa.dev/l/<host number>
LICENSE_WALL = "ERROR: Not a contact. Unlock this feature and support open-wa by getting a license:"
NOT_LINKED = "Error: Number not linked to WhatsApp Account"
NO_CHATS = "ERROR: Please make sure you have at least one chat"
BROADCAST = "Not able to send message to broadcast"  # answered with success: true
# OpenWA 4.76.0 has no word for WhatsApp's "reachout timelock" (error 463): the agent
# recognises it by these markers in whatever text a refusal or an event carries.
RESTRICTED_MARKERS = ("reachout", "timelock", "time lock", "error 463")

_REFUSALS: tuple[tuple[str, FailReason], ...] = (
    (LICENSE_WALL, FailReason.needs_license),
    ("ERROR: Not a contact", FailReason.needs_license),
    ("get.openwa.dev/l/", FailReason.needs_license),
    (NOT_LINKED, FailReason.not_on_whatsapp),
    (NO_CHATS, FailReason.no_chats),
    (BROADCAST, FailReason.broadcast_refused),
)
MAX_DETAIL = 500


def refusal_reason(text: str) -> FailReason | None:
    """The reason for one of OpenWA's refusal strings, or None if ``text`` is not one."""
    for needle, reason in _REFUSALS:
        if needle in text:
            return reason
    low = f" {text.lower()} "
    if any(m in low for m in RESTRICTED_MARKERS):
        return FailReason.restricted
    return None


def trim_detail(text: str) -> str:
    text = " ".join(text.split())
    return text[: MAX_DETAIL - 1] + "…" if len(text) > MAX_DETAIL else text


# --- REST reply shape (Client.middleware) ------------------------------------------------
@dataclass(frozen=True)
class Reply:
    """One REST answer: ``{"success": bool, "response": value}`` or, when the method threw,
    ``{"success": false, "error": {"name", "message", "data"}}``."""

    success: bool
    response: Any = None
    error_name: str | None = None
    error_message: str | None = None

    @property
    def threw(self) -> bool:
        return self.error_name is not None or self.error_message is not None

    def text(self) -> str:
        """The engine's own words: the thrown error, else the response."""
        if self.threw:
            return f"{self.error_name or 'Error'}: {self.error_message or ''}".strip()
        if isinstance(self.response, str):
            return self.response
        return json.dumps(self.response)[:MAX_DETAIL]


def parse_reply(body: Any) -> Reply | None:
    """None when ``body`` is not a reply of that shape at all."""
    if not isinstance(body, dict) or "success" not in body:
        return None
    err = body.get("error")
    if isinstance(err, dict):
        return Reply(False, None, str(err.get("name") or "Error"), str(err.get("message") or ""))
    if err is not None and "response" not in body:
        return Reply(False, None, "Error", str(err))
    return Reply(bool(body.get("success")), body.get("response"))


# --- configuration through the environment (dist/cli/setup.js) --------------------------
# setup.js turns every variable whose *name contains* "WA" into a config key; WA_CLI_CONFIG
# names a JSON config file. Order there: environment < config file < command-line flags.
PASSTHROUGH_ENV = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "USER",
    "LOGNAME",
    # a shop behind a proxy: Chromium and node reach WhatsApp Web through it
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)
CONFIG_FILE_NAME = "openwa-config.json"


def minimal_env(
    base: Mapping[str, str], wa_vars: Mapping[str, str], extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of an OpenWA process: a few harmless variables of ``base``, OpenWA's
    own ``WA_*`` settings, and ``extra`` (never anything else whose name contains "WA")."""
    env = {k: base[k] for k in PASSTHROUGH_ENV if base.get(k)}
    for k, v in (extra or {}).items():
        if "WA" in k:
            raise ValueError(f"{k}: would become OpenWA configuration")
        env[k] = v
    for k, v in wa_vars.items():
        if not k.startswith("WA_"):
            raise ValueError(f"{k}: OpenWA settings are named WA_*")
        env[k] = v
    return env


def write_private_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write ``data`` readable by this user only (0600 from creation, replaced atomically)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(dict(data), f)
    os.replace(tmp, path)


# --- why a start failed (STARTUP events and the log tail) -------------------------------
_UNREACHABLE = (
    "net::err_name_not_resolved",
    "net::err_internet_disconnected",
    "net::err_connection_refused",
    "net::err_connection_timed_out",
    "net::err_connection_reset",
    "net::err_connection_closed",
    "net::err_address_unreachable",
    "net::err_network_changed",
    "net::err_proxy_connection_failed",
    "net::err_tunnel_connection_failed",
    "net::err_timed_out",
)
# browser.js retries the WAPI injection forever when the page is not WhatsApp Web as it
# expects: with no page at all that is the network, with a page loaded (HTTP 200) it is a
# WhatsApp Web this version cannot drive
_INTEGRITY_LOOP = "session integrity check failed"
_PAGE_LOADED = re.compile(r"^Page loaded in [0-9]+ms: 2[0-9][0-9]")
_BROWSER_MISSING = (
    "browser was not found at the configured executablepath",
    "could not find chrome",
    "could not find expected browser",
    "could not find chromium",
    "spawn enoent",
)
_PROFILE_LOCKED = (
    "profile appears to be in use",
    "processsingleton",
    "singletonlock",
)
_BROWSER_FAILED = (
    "failed to launch the browser process",
    "error launching browser",
    "target closed",
    "browser has disconnected",
)
_WEB_CHANGED = (
    "injection error",
    "injectwapi ~ error",
    "wapi is not defined",
)
_QR_TIMEOUT = ("qrtimeout", "qr scan took too long")

_MESSAGES: dict[StartFailReason, str] = {
    StartFailReason.whatsapp_unreachable: "This machine cannot reach WhatsApp Web (network/DNS)",
    StartFailReason.browser_missing: "The browser OpenWA should use was not found",
    StartFailReason.browser_failed: "The browser could not be started",
    StartFailReason.profile_locked: "The number's browser profile is in use by another process",
    StartFailReason.whatsapp_web_changed: (
        "WhatsApp Web changed in a way this OpenWA version cannot drive"
    ),
    StartFailReason.qr_timeout: "The QR code was not scanned in time",
    StartFailReason.start_failed: "OpenWA did not start",
}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _clean(line: str) -> str:
    return _ANSI.sub("", line).strip()


def classify_startup(
    events: Iterable[str], log_lines: Iterable[str]
) -> tuple[StartFailReason, str]:
    """Why a start failed, and a plain sentence (with OpenWA's own evidence) for the user."""
    lines = [c for c in (_clean(x) for x in [*events, *log_lines]) if c]
    page_loaded = any(_PAGE_LOADED.match(line) for line in lines)
    loop = _INTEGRITY_LOOP if not page_loaded else None
    changed = _INTEGRITY_LOOP if page_loaded else None
    rules = (
        (StartFailReason.browser_missing, _BROWSER_MISSING),
        (StartFailReason.profile_locked, _PROFILE_LOCKED),
        (StartFailReason.whatsapp_unreachable, _UNREACHABLE),
        (StartFailReason.browser_failed, _BROWSER_FAILED),
        (StartFailReason.whatsapp_unreachable, (loop,) if loop else ()),
        (StartFailReason.whatsapp_web_changed, _WEB_CHANGED + ((changed,) if changed else ())),
        (StartFailReason.qr_timeout, _QR_TIMEOUT),
    )
    for reason, needles in rules:
        for line in lines:
            low = line.lower()
            if any(n in low for n in needles):
                return reason, trim_detail(f"{_MESSAGES[reason]}: {line}")
    last = lines[-1] if lines else "no output"
    return StartFailReason.start_failed, trim_detail(
        f"{_MESSAGES[StartFailReason.start_failed]}: {last}"
    )


def log_tail(path: Path, max_bytes: int = 16_384, max_lines: int = 40) -> list[str]:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            data = f.read()
    except OSError:
        return []
    return data.decode("utf-8", "replace").splitlines()[-max_lines:]


def is_restricted_text(text: str) -> bool:
    low = f" {text.lower()} "
    return any(m in low for m in RESTRICTED_MARKERS)


_VERSION_EVENT = re.compile(r"^Version: ([0-9]+\.[0-9]+\.[0-9]+)")


def version_from_event(text: str) -> str | None:
    m = _VERSION_EVENT.match(text)
    return m.group(1) if m else None


def installed_version(command: list[str]) -> str | None:
    """The version of the package the command runs, when it says (a path into the package
    or an ``@x.y.z`` spec); None when it cannot tell (e.g. the simulator)."""
    for part in command:
        m = re.search(r"@open-wa/wa-automate@([0-9]+\.[0-9]+\.[0-9]+)", part)
        if m:
            return m.group(1)
        p = Path(part)
        for parent in p.parents:
            if parent.name == "wa-automate" and (parent / "package.json").is_file():
                try:
                    v = json.loads((parent / "package.json").read_text()).get("version")
                except (OSError, ValueError):
                    return None
                return v if isinstance(v, str) else None
    return None
