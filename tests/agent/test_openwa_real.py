"""The real OpenWA 4.76.0 CLI with Debian's Chromium, through the supervisor and the driver.

WhatsApp Web is unreachable from here: the session must end ``failed`` with
``whatsapp_unreachable`` within the startup deadline, and no Chromium or node of it may be left
running, after the deadline and after a stop.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from agent.proctree import processes_using
from tests.agent.conftest import SessionHarness, wait_for
from wacast_protocol import SessionState, StartFailReason

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
MakeSession = Callable[..., Awaitable[SessionHarness]]
DEADLINE_S = 45.0  # generous: the machine may be busy; no QR can come anyway

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"
)


def _cmdlines(pids: list[int]) -> list[str]:
    out = []
    for pid in pids:
        with contextlib.suppress(OSError):
            out.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
    return out


def _browser_running(directory: Path) -> bool:
    return any("chrom" in c.lower() for c in _cmdlines(processes_using(directory)))


async def test_unreachable_whatsapp_fails_with_reason_and_leaves_nothing(
    openwa_pkg: Path, make_session: MakeSession
) -> None:
    t0 = time.monotonic()
    h = await make_session(
        "real1",
        openwa_command=["node", str(openwa_pkg / "bin" / "server.js")],
        wa_executable_path=CHROMIUM,
        startup_deadline_s=DEADLINE_S,
        startsecs=5.0,
        stop_grace_s=5.0,
        license_key="LK-real-secret",
    )
    session = h.session
    # Chromium starts detached, in its own process group, on the session's profile
    await wait_for(lambda: _browser_running(session.dir), timeout=DEADLINE_S, what="chromium")
    lock = session.dir / "_IGNORE_real1" / "SingletonLock"
    await wait_for(lock.is_symlink, timeout=DEADLINE_S, what="chromium holds the profile lock")
    # no secret on the command line of OpenWA or of its browser
    assert session.program.pid is not None and session.api_key
    secrets_ = [
        session.api_key,
        "LK-real-secret",
        *(u.split("/")[-2] for u in h.session.hooks.values()),
    ]
    for cmdline in _cmdlines([session.program.pid, *processes_using(session.dir)]):
        assert not [x for x in secrets_ if x in cmdline], cmdline
    await wait_for(
        lambda: session.state == SessionState.failed, timeout=DEADLINE_S + 20, what="failed"
    )
    elapsed = time.monotonic() - t0
    failed = [f for f in h.frames if f.state == SessionState.failed][-1]
    assert failed.reason == StartFailReason.whatsapp_unreachable, failed
    assert failed.detail and failed.detail.startswith("This machine cannot reach WhatsApp Web")
    assert elapsed < DEADLINE_S + 15, elapsed  # the deadline (+ kill and cleanup)
    assert session.program.starts == 1  # no retry after a missed deadline
    # nothing of it runs any more, and no profile lock is left behind
    await wait_for(lambda: not processes_using(session.dir), timeout=5, what="tree gone")
    assert not lock.is_symlink()
    # a new start of the same number is not blocked by a profile lock; a stop ends the tree
    await session.start()
    await wait_for(lambda: _browser_running(session.dir), timeout=DEADLINE_S, what="chromium 2")
    await session.stop()
    assert session.state == SessionState.stopped
    await wait_for(lambda: not processes_using(session.dir), timeout=5, what="tree gone 2")
    starts = [f for f in h.frames if f.state == SessionState.failed]
    assert len(starts) == 1  # the second start did not fail on the profile
