"""Process supervision in the manner of supervisord: explicit states, ``startsecs``,
``startretries``, restart with jittered exponential backoff, SIGTERM -> grace -> SIGKILL of
the whole process group, and a pidfile so a restarted agent reaps an orphan group.

Only a stop the agent asked for is clean: OpenWA exits 0 on failures too.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import os
import random
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("agent.supervisor")


class ProcState(enum.StrEnum):
    STOPPED = "STOPPED"
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    BACKOFF = "BACKOFF"
    STOPPING = "STOPPING"
    EXITED = "EXITED"
    FATAL = "FATAL"


@dataclass
class ProgramConfig:
    name: str
    cwd: Path
    log_path: Path
    pidfile: Path | None = None
    env: dict[str, str] | None = None
    startsecs: float = 5.0  # must stay up this long to count as started
    startretries: int = 3  # quick deaths in a row before FATAL
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 60.0
    stop_grace_s: float = 5.0
    startup_deadline_s: float | None = None  # must call mark_started() within this
    deadline_fatal: bool = False  # a missed startup deadline ends in FATAL, no retry
    # called before every spawn and after every exit/kill: ends what the child left behind
    # outside its process group (e.g. a detached browser)
    cleanup: Callable[[], object] | None = None


StateCallback = Callable[["Program", ProcState, int | None], None]


def kill_group(pid: int, sig: int) -> bool:
    try:
        os.killpg(pid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def reap_orphan(pidfile: Path) -> bool:
    """Kill a process group left over by a previous agent run (recorded in ``pidfile``)."""
    try:
        pgid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return False
    killed = False
    if pgid > 1 and group_alive(pgid):
        try:
            is_leader = os.getpgid(pgid) == pgid
        except ProcessLookupError:
            is_leader = True  # the leader died but its group lives on
        if is_leader:
            log.warning("killing orphan process group", extra={"pgid": pgid})
            killed = kill_group(pgid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)
    return killed


class Program:
    """One supervised child process. ``argv_factory`` is called for every (re)start."""

    def __init__(
        self,
        config: ProgramConfig,
        argv_factory: Callable[[], Sequence[str]],
        on_state: StateCallback | None = None,
    ) -> None:
        self.config = config
        self.argv_factory = argv_factory
        self.on_state = on_state
        self.state = ProcState.STOPPED
        self.proc: asyncio.subprocess.Process | None = None
        self.autorestart = True
        self.quick_deaths = 0
        self.starts = 0
        self.last_exit: int | None = None
        self._task: asyncio.Task[None] | None = None
        # Told when the supervising loop itself dies on an unexpected error: the agent then
        # fails as a whole (launchd restarts it) instead of keeping a number that never
        # starts again.
        self.on_crash: Callable[[BaseException], None] | None = None
        self._want_running = False
        self._wake = asyncio.Event()
        self._started_evt = asyncio.Event()
        self.deadline_missed = False

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def _set(self, state: ProcState, code: int | None = None) -> None:
        self.state = state
        log.info(
            "process state",
            extra={
                "session_id": self.config.name,
                "state": str(state),
                "exit_code": code,
                "pid": self.pid,
            },
        )
        if self.on_state is not None:
            try:
                self.on_state(self, state, code)
            except Exception:
                log.exception("state callback failed", extra={"session_id": self.config.name})

    def start(self) -> None:
        self._want_running = True
        self.autorestart = True
        if self._task is None or self._task.done():
            self.quick_deaths = 0
            self._task = asyncio.get_running_loop().create_task(self._run())
            self._task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("supervisor loop died", extra={"session_id": self.config.name})
            if self.on_crash is not None:
                self.on_crash(error)

    def mark_started(self) -> None:
        """The child showed a sign of life that counts as a successful start (QR or READY)."""
        self._started_evt.set()

    def restart_failed(self) -> None:
        """Kill the current child and count it as a failed start (e.g. startup deadline)."""
        if self.proc is not None and self.proc.returncode is None:
            kill_group(self.proc.pid, signal.SIGKILL)

    async def stop(self) -> None:
        self._want_running = False
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    def _cleanup(self) -> None:
        if self.config.cleanup is None:
            return
        try:
            self.config.cleanup()
        except Exception:
            log.exception("cleanup failed", extra={"session_id": self.config.name})

    async def _spawn(self) -> asyncio.subprocess.Process:
        cfg = self.config
        if cfg.pidfile is not None:
            reap_orphan(cfg.pidfile)
        self._cleanup()
        cfg.cwd.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(cfg.cwd, 0o700)
        argv = list(self.argv_factory())
        with open(cfg.log_path, "ab") as logf:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                cwd=cfg.cwd,
                env=cfg.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=logf,
                stderr=logf,
                start_new_session=True,
            )
        if cfg.pidfile is not None:
            cfg.pidfile.write_text(str(proc.pid))
        self.starts += 1
        return proc

    async def _run(self) -> None:
        cfg = self.config
        try:
            while self._want_running:
                self._started_evt.clear()
                self.deadline_missed = False
                self._set(ProcState.STARTING)
                try:
                    self.proc = await self._spawn()
                except OSError as exc:
                    log.error("spawn failed", extra={"session_id": cfg.name, "error": str(exc)})
                    code: int | None = None
                    started = False
                else:
                    code, started = await self._watch(self.proc)
                    if self.proc.returncode is not None:  # leftovers of its group go too
                        kill_group(self.proc.pid, signal.SIGKILL)
                        self._cleanup()
                if not self._want_running:
                    break
                self.last_exit = code
                if self.deadline_missed and cfg.deadline_fatal:
                    self._set(ProcState.FATAL, code)
                    self._want_running = False
                    break
                if started:
                    self.quick_deaths = 0
                    self._set(ProcState.EXITED, code)
                else:
                    self.quick_deaths += 1
                    if self.quick_deaths > cfg.startretries:
                        self._set(ProcState.FATAL, code)
                        self._want_running = False
                        break
                if not self.autorestart:
                    if self.state != ProcState.EXITED:
                        self._set(ProcState.EXITED, code)
                    self._want_running = False
                    break
                exp = max(0, self.quick_deaths - 1)
                delay = min(cfg.backoff_cap_s, cfg.backoff_base_s * 2**exp)
                delay *= random.uniform(0.8, 1.2)
                self._set(ProcState.BACKOFF, code)
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
        finally:
            await self._terminate()
            if self.state not in (ProcState.FATAL, ProcState.EXITED):
                self._set(ProcState.STOPPED, self.last_exit)

    async def _watch(self, proc: asyncio.subprocess.Process) -> tuple[int | None, bool]:
        """Wait for exit or a stop request. Returns (exit code, whether it counted as started)."""
        cfg = self.config
        t0 = time.monotonic()
        wait_exit = asyncio.ensure_future(proc.wait())
        self._wake.clear()
        wait_stop = asyncio.ensure_future(self._wake.wait())
        wait_started = asyncio.ensure_future(self._started_evt.wait())
        running = False
        try:
            while True:
                if not self._want_running:
                    return None, running
                elapsed = time.monotonic() - t0
                timeout: float | None = None
                if not running:
                    timeout = max(0.0, cfg.startsecs - elapsed)
                    if cfg.startup_deadline_s is not None and not self._started_evt.is_set():
                        timeout = max(0.0, cfg.startup_deadline_s - elapsed)
                waits: set[asyncio.Future[Any]] = {wait_exit, wait_stop}
                if not running and not self._started_evt.is_set():
                    waits.add(wait_started)
                done, _ = await asyncio.wait(
                    waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                if wait_exit in done:
                    return proc.returncode, running
                if wait_stop in done:
                    if not self._want_running:
                        return None, running
                    self._wake.clear()
                    wait_stop = asyncio.ensure_future(self._wake.wait())
                    continue
                elapsed = time.monotonic() - t0
                deadline_ok = cfg.startup_deadline_s is None or self._started_evt.is_set()
                if not running and elapsed >= cfg.startsecs and deadline_ok:
                    running = True
                    self._set(ProcState.RUNNING)
                elif (
                    cfg.startup_deadline_s is not None
                    and not self._started_evt.is_set()
                    and elapsed >= cfg.startup_deadline_s
                ):
                    log.warning("startup deadline passed", extra={"session_id": cfg.name})
                    self.deadline_missed = True
                    kill_group(proc.pid, signal.SIGKILL)
                    await wait_exit
                    return proc.returncode, False
        finally:
            wait_stop.cancel()
            wait_started.cancel()

    async def _terminate(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.returncode is None:
            self._set(ProcState.STOPPING)
            kill_group(proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), self.config.stop_grace_s)
            except TimeoutError:
                log.warning("grace expired, SIGKILL", extra={"session_id": self.config.name})
                kill_group(proc.pid, signal.SIGKILL)
                await proc.wait()
        # the leader may be gone while children of its group live on
        kill_group(proc.pid, signal.SIGKILL)
        self._cleanup()
        if self.config.pidfile is not None:
            self.config.pidfile.unlink(missing_ok=True)
