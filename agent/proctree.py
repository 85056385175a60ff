"""Processes that belong to a session because they name its directory.

Puppeteer starts Chromium detached, in a process group of its own, with
``--user-data-dir=<session dir>/_IGNORE_<id>``: killing OpenWA's group leaves it running
and holding the profile's ``SingletonLock``. Those processes are found by an option naming
the session directory in their command line (``/proc`` on Linux, ``ps`` elsewhere) and
killed with their whole process group.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import subprocess
import time
from pathlib import Path

log = logging.getLogger("agent.proctree")

LOCK_FILES = ("SingletonLock", "SingletonSocket", "SingletonCookie")


def _cmdlines() -> list[tuple[int, list[str]]]:
    out: list[tuple[int, list[str]]] = []
    proc = Path("/proc")
    if proc.is_dir():
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                raw = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if raw:
                out.append((int(entry.name), raw.decode("utf-8", "replace").split("\0")))
        return out
    try:  # macOS: no /proc
        text = subprocess.run(
            ["ps", "-axww", "-o", "pid=,command="], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return out
    for line in text.splitlines():
        pid, _, command = line.strip().partition(" ")
        if pid.isdigit():  # one string: paths hold spaces ("Application Support")
            out.append((int(pid), [command.strip()]))
    return out


def _names_dir(args: list[str], root: str) -> bool:
    """An option of the process names ``root`` or a path inside it (``--user-data-dir=…``,
    ``--session-data-path …``). A plain argument does not count: ``tail -f <session>/x.log``
    run by a person is not the session's."""
    pattern = re.compile(
        r"(?:^|\s)--[A-Za-z0-9][A-Za-z0-9-]*[= ]" + re.escape(root) + r"(?=/|\s|$)"
    )
    return pattern.search(" ".join(args)) is not None


def _protected() -> set[int]:
    """This process and its ancestors: never ours to kill."""
    pids = {os.getpid()}
    pid = os.getppid()
    while pid > 1 and pid not in pids:
        pids.add(pid)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            pid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return pids


def processes_using(directory: Path) -> list[int]:
    """Pids with an option naming ``directory`` (or a path inside it)."""
    root = str(directory.resolve()).rstrip("/")
    if not root or root == "/":
        return []
    protected = _protected()
    return [pid for pid, args in _cmdlines() if pid not in protected and _names_dir(args, root)]


def kill_processes_using(directory: Path) -> int:
    """SIGKILL every process naming ``directory``, with the process group it leads."""
    pids = processes_using(directory)
    own_group = os.getpgrp()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            pgid = os.getpgid(pid)
            if pgid == pid and pgid != own_group:
                os.killpg(pgid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
    if pids:
        log.warning(
            "killed processes left on a session's profile",
            extra={"dir": str(directory), "pids": pids},
        )
    return len(pids)


def remove_stale_locks(directory: Path) -> int:
    """Remove Chromium's singleton files under ``directory`` (two levels) when no process
    names it any more: a lock left by a killed browser would fail the next launch."""
    if processes_using(directory):
        return 0
    removed = 0
    dirs = [directory, *(d for d in directory.iterdir() if d.is_dir() and not d.is_symlink())]
    for d in dirs:
        for name in LOCK_FILES:
            path = d / name
            if path.is_symlink() or path.exists():  # the lock is a dangling symlink (host-pid)
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed += 1
    if removed:
        log.info("stale profile lock removed", extra={"dir": str(directory), "files": removed})
    return removed


def clean_session_dir(directory: Path) -> int:
    """Kill what still runs on a session's directory and clear its profile locks."""
    if not directory.is_dir():
        return 0
    killed = kill_processes_using(directory)
    deadline = time.monotonic() + 3.0
    while killed and processes_using(directory) and time.monotonic() < deadline:
        time.sleep(0.05)  # SIGKILL is delivered asynchronously
    remove_stale_locks(directory)
    return killed
