"""Process-tree hygiene and startup reasons with the simulator playing Puppeteer's detached
browser (``--sim-browser``: its own session and process group, ``--user-data-dir`` under the
session's directory, a ``SingletonLock``) and OpenWA's recorded startup failures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from agent.proctree import clean_session_dir, processes_using, remove_stale_locks
from agent.runtime import Agent
from agent.supervisor import ProcState
from tests.agent.conftest import FakeCloud, SessionHarness, make_config, wait_for
from wacast_protocol import SessionState, StartFailReason

MakeSession = Callable[..., Awaitable[SessionHarness]]


def _browsers(directory: Path) -> list[int]:
    out = []
    for pid in processes_using(directory):
        try:
            if b"--user-data-dir=" in Path(f"/proc/{pid}/cmdline").read_bytes():
                out.append(pid)
        except OSError:
            pass
    return out


def _detached_browser(profile: Path) -> subprocess.Popen[bytes]:
    profile.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)", f"--user-data-dir={profile}"],
        start_new_session=True,
    )
    os.symlink(f"host-{proc.pid}", profile / "SingletonLock")
    deadline = time.monotonic() + 10
    while proc.pid not in processes_using(profile):  # exec'd, so its command line shows
        assert time.monotonic() < deadline, "the fake browser did not start"
        time.sleep(0.02)
    return proc


async def test_missed_deadline_kills_the_detached_browser_and_says_why(
    make_session: MakeSession,
) -> None:
    h = await make_session(
        startup_deadline_s=3.0,
        startsecs=0.5,
        extra=["--sim-startup-fault", "unreachable", "--sim-browser"],
    )
    s = h.session
    await wait_for(lambda: _browsers(s.dir), what="browser up")
    await wait_for(lambda: s.state == SessionState.failed, timeout=15, what="failed")
    frame = [f for f in h.frames if f.state == SessionState.failed][-1]
    assert frame.reason == StartFailReason.whatsapp_unreachable
    assert frame.detail is not None and "ERR_NAME_NOT_RESOLVED" in frame.detail
    assert s.program.state == ProcState.FATAL and s.program.starts == 1
    assert not processes_using(s.dir)
    assert not (s.dir / "_IGNORE_s1" / "SingletonLock").is_symlink()


async def test_crash_restart_and_stop_leave_one_browser_then_none(
    make_session: MakeSession,
) -> None:
    h = await make_session(extra=["--sim-auto-scan", "0", "--sim-browser"])
    s = h.session
    await wait_for(lambda: s.state == SessionState.connected, what="connected")
    first = _browsers(s.dir)
    assert len(first) == 1
    # OpenWA dies hard: its detached browser lives on, holding the profile lock
    assert s.program.pid is not None
    os.kill(s.program.pid, signal.SIGKILL)
    await wait_for(lambda: s.program.starts == 2, what="restarted")
    await wait_for(
        lambda: s.state == SessionState.connected and s.program.state == ProcState.RUNNING,
        what="connected again without a profile lock failure",
    )
    again = _browsers(s.dir)
    assert len(again) == 1 and again != first
    assert not [f for f in h.frames if f.state == SessionState.failed]
    await s.stop()
    assert not processes_using(s.dir)


async def test_browser_missing_is_named(make_session: MakeSession) -> None:
    h = await make_session(
        startsecs=2.0, startretries=1, extra=["--sim-startup-fault", "browser-missing"]
    )
    s = h.session
    await wait_for(lambda: s.state == SessionState.failed, timeout=20, what="failed")
    frame = [f for f in h.frames if f.state == SessionState.failed][-1]
    assert frame.reason == StartFailReason.browser_missing
    assert frame.detail and frame.detail.startswith("The browser OpenWA should use was not found")


async def test_agent_start_reaps_what_a_previous_run_left(cloud: FakeCloud, tmp_path: Path) -> None:
    cfg = make_config(tmp_path, server_url=cloud.url)
    profile = cfg.sessions_dir / "s9" / "_IGNORE_s9"
    orphan = _detached_browser(profile)
    other = _detached_browser(tmp_path / "elsewhere" / "_IGNORE_x")  # not ours: kept
    agent = Agent(cfg)
    await agent.start()
    try:
        assert orphan.wait(timeout=10) == -signal.SIGKILL
        assert not (profile / "SingletonLock").is_symlink()
        assert other.poll() is None
    finally:
        await agent.stop()
        other.kill()
        other.wait()


def test_stale_lock_removed_only_when_nobody_holds_the_profile(tmp_path: Path) -> None:
    session = tmp_path / "s1"
    holder = _detached_browser(session / "_IGNORE_s1")
    lock = session / "_IGNORE_s1" / "SingletonLock"
    assert remove_stale_locks(session) == 0 and lock.is_symlink()
    # a session named like a prefix of another is not confused with it
    assert processes_using(tmp_path / "s") == []
    assert clean_session_dir(session) == 1
    assert holder.wait(timeout=10) == -signal.SIGKILL
    assert not lock.is_symlink()


def test_ps_fallback_matches_paths_with_spaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """macOS has no /proc: ``ps`` gives one string per process, and the agent's data lives
    under ``~/Library/Application Support``."""
    from agent import proctree

    session = tmp_path / "Application Support" / "sessions" / "s1"
    session.mkdir(parents=True)
    ps_output = (
        f"  101 /Applications/Google Chrome.app/Contents/MacOS/Google Chrome "
        f"--user-data-dir={session}/_IGNORE_s1 --no-first-run\n"
        f"  102 /usr/bin/python3 -m agent --data {tmp_path}/Application Support/sessions/s10\n"
        f"  103 tail -f {session}/openwa.log\n"  # a person reading the log: not ours
        "  104 /bin/zsh\n"
    )
    monkeypatch.setattr(proctree.Path, "is_dir", lambda self: str(self) != "/proc")
    monkeypatch.setattr(
        proctree.subprocess,
        "run",
        lambda *a, **k: subprocess.CompletedProcess(a, 0, stdout=ps_output, stderr=""),
    )
    assert proctree.processes_using(session) == [101]


async def test_profile_lock_is_named_from_the_log_when_cleanup_cannot_help(
    make_session: MakeSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were a live browser to keep the profile (here: the cleanup is switched off), the
    number fails with ``profile_locked``, read from the browser's complaint in the log."""
    import agent.driver

    monkeypatch.setattr(agent.driver, "clean_session_dir", lambda d: 0)
    holder = _detached_browser(tmp_path / "agent" / "sessions" / "s1" / "_IGNORE_s1")
    try:
        h = await make_session(startsecs=1.0, startretries=1, extra=["--sim-browser"])
        s = h.session
        await wait_for(lambda: s.state == SessionState.failed, timeout=20, what="failed")
        frame = [f for f in h.frames if f.state == SessionState.failed][-1]
        assert frame.reason == StartFailReason.profile_locked, frame
        assert frame.detail and "in use by another Chromium process" in frame.detail
    finally:
        holder.kill()
        holder.wait()
