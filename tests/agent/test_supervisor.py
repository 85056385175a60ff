"""The supervisor with real child processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.supervisor import ProcState, Program, ProgramConfig, reap_orphan
from tests.agent.conftest import wait_for

PY = sys.executable


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purposes
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _cfg(tmp_path: Path, **kw: object) -> ProgramConfig:
    base: dict[str, object] = dict(
        name="t",
        cwd=tmp_path / "cwd",
        log_path=tmp_path / "t.log",
        pidfile=tmp_path / "t.pid",
        startsecs=0.3,
        startretries=2,
        backoff_base_s=0.05,
        backoff_cap_s=0.2,
        stop_grace_s=0.5,
    )
    base.update(kw)
    return ProgramConfig(**base)  # type: ignore[arg-type]


class Recorder:
    def __init__(self) -> None:
        self.states: list[tuple[ProcState, int | None]] = []

    def __call__(self, prog: Program, state: ProcState, code: int | None) -> None:
        self.states.append((state, code))

    def names(self) -> list[ProcState]:
        return [s for s, _ in self.states]


async def test_crash_backoff_restart(tmp_path: Path) -> None:
    counter = tmp_path / "count"
    code = (
        f"import time,pathlib; p=pathlib.Path({str(counter)!r});"
        "p.write_text(str(int(p.read_text() or 0)+1) if p.exists() else '1');"
        "time.sleep(0.5); raise SystemExit(1)"
    )
    rec = Recorder()
    prog = Program(_cfg(tmp_path), lambda: [PY, "-c", code], rec)
    prog.start()
    await wait_for(lambda: prog.starts >= 3, what="three starts")
    await prog.stop()
    names = rec.names()
    assert ProcState.RUNNING in names and ProcState.EXITED in names and ProcState.BACKOFF in names
    assert (ProcState.EXITED, 1) in rec.states
    assert names[-1] == ProcState.STOPPED
    assert ProcState.FATAL not in names  # it lived past startsecs each time


async def test_fatal_after_quick_deaths(tmp_path: Path) -> None:
    rec = Recorder()
    prog = Program(_cfg(tmp_path, startretries=2), lambda: [PY, "-c", "raise SystemExit(0)"], rec)
    prog.start()
    await wait_for(lambda: prog.state == ProcState.FATAL, what="FATAL")
    assert prog.starts == 3  # first try + 2 retries
    assert ProcState.RUNNING not in rec.names()
    await prog.stop()
    assert prog.state == ProcState.FATAL


def _live_group_members(pgid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            out.append(int(entry))
    return out


async def test_sigterm_then_sigkill_no_orphans(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    grandchild_pidfile = tmp_path / "gc.pid"
    code = (
        "import signal,subprocess,time,sys;"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        f"g=subprocess.Popen([sys.executable,'-c','import signal,time;"
        f"signal.signal(signal.SIGTERM, signal.SIG_IGN);time.sleep(60)']);"
        f"open({str(grandchild_pidfile)!r},'w').write(str(g.pid));time.sleep(60)"
    )
    rec = Recorder()
    prog = Program(_cfg(tmp_path), lambda: [PY, "-c", code], rec)
    prog.start()
    await wait_for(
        lambda: (
            prog.state == ProcState.RUNNING
            and grandchild_pidfile.exists()
            and grandchild_pidfile.read_text()
        ),
        what="running with grandchild",
    )
    pid = prog.pid
    assert pid is not None
    gc = int(grandchild_pidfile.read_text())
    await prog.stop()
    assert ProcState.STOPPING in rec.names() and prog.state == ProcState.STOPPED
    assert any("grace expired" in r.getMessage() for r in caplog.records)
    await wait_for(lambda: not _pid_alive(gc), what="grandchild gone")
    await wait_for(lambda: not _live_group_members(pid), what="process group empty")
    assert not (tmp_path / "t.pid").exists()


async def test_startup_deadline_counts_as_failed_start(tmp_path: Path) -> None:
    rec = Recorder()
    prog = Program(
        _cfg(tmp_path, startup_deadline_s=0.4, startretries=1, startsecs=0.1),
        lambda: [PY, "-c", "import time; time.sleep(60)"],
        rec,
    )
    prog.start()
    await wait_for(lambda: prog.state == ProcState.FATAL, what="FATAL by deadline")
    assert prog.starts == 2 and ProcState.RUNNING not in rec.names()


async def test_mark_started_within_deadline_runs(tmp_path: Path) -> None:
    prog = Program(
        _cfg(tmp_path, startup_deadline_s=1.0, startsecs=0.1),
        lambda: [PY, "-c", "import time; time.sleep(60)"],
    )
    prog.start()
    await wait_for(lambda: prog.state == ProcState.STARTING and prog.pid)
    prog.mark_started()
    await wait_for(lambda: prog.state == ProcState.RUNNING)
    await prog.stop()


async def test_no_restart_when_autorestart_off(tmp_path: Path) -> None:
    prog = Program(
        _cfg(tmp_path, startsecs=0.1), lambda: [PY, "-c", "import time; time.sleep(0.4)"]
    )
    prog.start()
    await wait_for(lambda: prog.state == ProcState.RUNNING)
    prog.autorestart = False
    await wait_for(lambda: prog.state == ProcState.EXITED)
    assert prog.starts == 1 and prog.last_exit == 0
    await prog.stop()


def test_reap_orphan_from_pidfile(tmp_path: Path) -> None:
    orphan = subprocess.Popen([PY, "-c", "import time; time.sleep(60)"], start_new_session=True)
    pidfile = tmp_path / "o.pid"
    pidfile.write_text(str(orphan.pid))
    assert reap_orphan(pidfile)
    assert orphan.wait(timeout=10) == -9
    assert not pidfile.exists()


async def test_deadline_fatal_and_cleanup_around_every_child(tmp_path: Path) -> None:
    """A missed deadline can end the program (no retry), and the cleanup hook runs before
    each spawn and after each exit, kill or stop: it ends what lives outside the group."""
    rec, calls = Recorder(), []
    prog = Program(
        _cfg(
            tmp_path,
            startup_deadline_s=0.4,
            startretries=3,
            startsecs=0.1,
            deadline_fatal=True,
            cleanup=lambda: calls.append(prog.state),
        ),
        lambda: [PY, "-c", "import time; time.sleep(60)"],
        rec,
    )
    prog.start()
    await wait_for(lambda: prog.state == ProcState.FATAL, what="FATAL at the first deadline")
    assert prog.starts == 1 and prog.deadline_missed
    assert len(calls) >= 2  # before the spawn, after the kill
    await prog.stop()
    calls.clear()
    quick = Program(
        _cfg(tmp_path, startsecs=0.1, cleanup=lambda: calls.append(ProcState.STOPPING)),
        lambda: [PY, "-c", "import time; time.sleep(60)"],
    )
    quick.start()
    await wait_for(lambda: quick.state == ProcState.RUNNING, what="running")
    before = len(calls)
    await quick.stop()
    assert len(calls) > before  # a stop cleans up too
