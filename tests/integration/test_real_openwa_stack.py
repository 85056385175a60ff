"""The real OpenWA 4.76.0 CLI with Debian's Chromium behind the local stack's own agent.

WhatsApp Web is unreachable here: a new number ends ``failed`` with the "cannot reach
WhatsApp Web" reason within the startup deadline, and no Chromium or node of it is left
running, after the deadline and after the number is deleted."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.config import pinned_openwa_bin
from tests.agent.conftest import openwa_pkg  # noqa: F401  (the pinned package fixture)
from tests.integration.flows import new_user, wait_agent_online
from tests.integration.stack import LocalStack, wait_for

pytestmark = pytest.mark.integration
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DEADLINE_S = 45  # generous: the machine may be busy; no QR can come anyway


def _processes_of(session_id: str) -> list[str]:
    """Command lines naming the session's directory (its OpenWA, its Chromium)."""
    marker = f"/sessions/{session_id}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if marker in cmdline:
                found.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return found


@pytest.fixture(scope="module")
def stack(openwa_pkg: Path) -> Iterator[LocalStack]:  # noqa: F811
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    running = LocalStack(
        {
            "WACAST_LOCAL_OPENWA_COMMAND": f"node {pinned_openwa_bin()}",
            "WA_EXECUTABLE_PATH": CHROMIUM,
            "WACAST_STARTUP_DEADLINE_S": str(DEADLINE_S),
            "WACAST_LOCAL_SCHEDULE_SECONDS": "3",
        }
    ).start()
    yield running
    assert running.stop() == 0


def test_unreachable_whatsapp_reason_and_nothing_left(stack: LocalStack) -> None:
    token = new_user(stack, "real-openwa@example.com")
    wait_agent_online(stack)
    t0 = time.monotonic()
    status, session = stack.request("POST", "/api/sessions", {"label": "Real"}, token=token)
    assert status == 201, session
    sid = session["session_id"]
    wait_for(lambda: any("chrom" in c for c in _processes_of(sid)), DEADLINE_S, "chromium")

    def failed() -> dict[str, object] | None:
        _, s = stack.request("GET", f"/api/sessions/{sid}", token=token)
        return s if s["status"] == "failed" else None

    got = wait_for(failed, DEADLINE_S + 20, "the number to fail")
    assert time.monotonic() - t0 < DEADLINE_S + 20
    assert got["status_reason"] == "whatsapp_unreachable", got
    assert "cannot reach WhatsApp Web" in str(got["status_reason_text"]), got
    assert "ERR_NAME_NOT_RESOLVED" in str(got["last_error"]), got
    wait_for(lambda: not _processes_of(sid), 10, "no process of the number after the deadline")
    # started again, then deleted while its browser runs: the whole tree goes
    status, _ = stack.request("POST", f"/api/sessions/{sid}/restart", {}, token=token)
    assert status in (200, 202), status
    wait_for(lambda: any("chrom" in c for c in _processes_of(sid)), DEADLINE_S, "chromium again")
    status, _ = stack.request("DELETE", f"/api/sessions/{sid}", token=token)
    assert status in (200, 202, 204)
    wait_for(lambda: not _processes_of(sid), 20, "no process of the number after the delete")
