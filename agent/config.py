"""Agent configuration: environment variables, optionally overlaid on a JSON or TOML file
named by ``WACAST_AGENT_CONFIG`` (the environment wins)."""

from __future__ import annotations

import json
import os
import shlex
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.openwa import OPENWA_PACKAGE, OPENWA_VERSION

REPO_ROOT = Path(__file__).resolve().parents[1]
# scripts/openwa_install.sh installs the pinned package here (WACAST_OPENWA_DIR overrides)
PINNED_OPENWA_DIR = REPO_ROOT / ".cache" / f"openwa-{OPENWA_VERSION}"
# never an unversioned package: an OpenWA upgrade changes the strings the driver reads
NPX_OPENWA_COMMAND = f"npx --yes {OPENWA_PACKAGE}@{OPENWA_VERSION}"


def pinned_openwa_bin(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = Path(env["WACAST_OPENWA_DIR"]) if env.get("WACAST_OPENWA_DIR") else PINNED_OPENWA_DIR
    return base / "node_modules" / "@open-wa" / "wa-automate" / "bin" / "server.js"


def default_openwa_command(env: Mapping[str, str] | None = None) -> str:
    """The pinned package installed by scripts/openwa_install.sh, else npx of the pinned
    version."""
    binary = pinned_openwa_bin(env)
    return shlex.join(["node", str(binary)]) if binary.is_file() else NPX_OPENWA_COMMAND


DEFAULT_OPENWA_COMMAND = NPX_OPENWA_COMMAND

_ENV_KEYS: dict[str, str] = {
    "WACAST_SERVER_URL": "server_url",
    "WACAST_AGENT_TOKEN": "token",
    "WACAST_AGENT_DATA_DIR": "data_dir",
    "WACAST_OPENWA_COMMAND": "openwa_command",
    "WA_EXECUTABLE_PATH": "wa_executable_path",
    "WACAST_OPENWA_LICENSE_KEY": "license_key",
    "WACAST_MAX_SESSIONS": "max_sessions",
    "WACAST_STARTUP_DEADLINE_S": "startup_deadline_s",
    "WACAST_HEARTBEAT_INTERVAL_S": "heartbeat_interval_s",
    "WACAST_QR_TIMEOUT_S": "qr_timeout_s",
    "WACAST_MEDIA_SEND_TIMEOUT_S": "media_send_timeout_s",
    "WACAST_LOG_LEVEL": "log_level",
}


class ConfigError(Exception):
    pass


@dataclass
class AgentConfig:
    server_url: str
    token: str
    data_dir: Path
    openwa_command: list[str] = field(default_factory=lambda: shlex.split(DEFAULT_OPENWA_COMMAND))
    wa_executable_path: str | None = None
    license_key: str | None = None
    max_sessions: int = 10
    startup_deadline_s: float = 180.0
    heartbeat_interval_s: float = 15.0
    qr_timeout_s: float = 60.0
    media_send_timeout_s: float = 120.0
    log_level: str = "INFO"
    # supervision of OpenWA processes
    startsecs: float = 5.0
    startretries: int = 3
    stop_grace_s: float = 10.0
    # sending
    idle_poll_s: float = 30.0
    pull_max: int = 20
    results_flush_s: float = 1.0
    results_flush_items: int = 50

    @property
    def uses_simulator(self) -> bool:
        return any("agent.openwa_sim" in part for part in self.openwa_command)

    @property
    def journal_path(self) -> Path:
        return self.data_dir / "journal.sqlite3"

    @property
    def sessions_dir(self) -> Path:
        return self.data_dir / "sessions"


def _read_file(path: str) -> dict[str, Any]:
    raw = Path(path).read_bytes()
    data: Any = tomllib.loads(raw.decode()) if path.endswith(".toml") else json.loads(raw)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a table/object")
    return data


def load_config(env: Mapping[str, str] | None = None) -> AgentConfig:
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    if env.get("WACAST_AGENT_CONFIG"):
        values.update(_read_file(env["WACAST_AGENT_CONFIG"]))
    for var, key in _ENV_KEYS.items():
        if env.get(var):
            values[key] = env[var]
    missing = [k for k in ("server_url", "token", "data_dir") if not values.get(k)]
    if missing:
        raise ConfigError(f"missing configuration: {', '.join(missing)}")
    if not str(values["server_url"]).startswith(("ws://", "wss://")):
        raise ConfigError("WACAST_SERVER_URL must be a ws:// or wss:// URL")
    cmd = values.get("openwa_command") or default_openwa_command(env)
    values["openwa_command"] = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
    if not values["openwa_command"]:
        raise ConfigError("WACAST_OPENWA_COMMAND is empty")
    values["data_dir"] = Path(values["data_dir"]).expanduser()
    try:
        for key, conv in (
            ("max_sessions", int),
            ("startup_deadline_s", float),
            ("heartbeat_interval_s", float),
            ("qr_timeout_s", float),
            ("media_send_timeout_s", float),
            ("startsecs", float),
            ("startretries", int),
            ("stop_grace_s", float),
            ("idle_poll_s", float),
            ("pull_max", int),
        ):
            if key in values:
                values[key] = conv(values[key])
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    known = set(AgentConfig.__dataclass_fields__)
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"unknown configuration keys: {sorted(unknown)}")
    return AgentConfig(**values)


def simulator_command(auto_scan_s: float = 3.0) -> list[str]:
    """The local default: this Python running the OpenWA simulator."""
    return [sys.executable, "-m", "agent.openwa_sim", "--sim-auto-scan", str(auto_scan_s)]
