"""The real OpenWA 4.76.0 CLI with Debian's Chromium, on a machine that cannot reach WhatsApp
Web, through the agent's driver and supervisor (issue 11). Not a test. Prints:

* the session's process tree while it tries (processes, summed RSS) — what a kill of OpenWA alone
  used to leave behind;
* how long until the number is ``failed`` with its reason, against the startup deadline;
* what is left of the tree after the deadline and after a stop (should be nothing).

Usage: python -m bench.bench_openwa_real [--deadline 45]
Needs ``make openwa`` and ``chromium``; prints a skip line and exits 0 without them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from agent.config import AgentConfig, pinned_openwa_bin
from agent.driver import OpenWASession
from agent.proctree import processes_using
from agent.webhooks import WebhookReceiver
from wacast_protocol import SessionState


def _rss_kb(pid: int) -> int:
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def tree(session: OpenWASession) -> tuple[int, int, int]:
    """(processes, of which Chromium, RSS in MB): OpenWA's node (it renames its process
    title, so its command line no longer names the folder) and everything naming the
    session's folder (its Chromium, by --user-data-dir)."""
    pids = set(processes_using(session.dir))
    proc = session.program.proc
    if proc is not None and proc.returncode is None:
        pids.add(proc.pid)
    chrome = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            if b"chrom" in Path(f"/proc/{pid}/cmdline").read_bytes().lower():
                chrome += 1
    return len(pids), chrome, sum(_rss_kb(p) for p in pids) // 1024


async def run(deadline_s: float) -> int:
    chromium = shutil.which("chromium")
    server = pinned_openwa_bin()
    if chromium is None or not server.is_file():
        print("skipped: needs chromium and `make openwa`")
        return 0
    receiver = WebhookReceiver()
    await receiver.start()
    frames: list[Any] = []
    with tempfile.TemporaryDirectory(prefix="wacast-bench-openwa-") as tmp:
        cfg = AgentConfig(
            server_url="ws://127.0.0.1:1/ws",
            token="t",
            data_dir=Path(tmp),
            openwa_command=["node", str(server)],
            wa_executable_path=chromium,
            startup_deadline_s=deadline_s,
            startsecs=5.0,
            stop_grace_s=5.0,
        )
        async with aiohttp.ClientSession() as http:
            session = OpenWASession("bench1", cfg, receiver, http, frames.append)
            t0 = time.monotonic()
            await session.start()
            peak = (0, 0, 0)
            while session.state != SessionState.failed and time.monotonic() - t0 < deadline_s + 60:
                now = tree(session)
                peak = max(peak, now, key=lambda x: x[2])
                await asyncio.sleep(0.5)
            failed_after = time.monotonic() - t0
            last = [f for f in frames if f.state == SessionState.failed]
            print(
                f"tree while trying (peak RSS): {peak[0]} processes, "
                f"{peak[1]} Chromium, {peak[2]} MB"
            )
            print(
                f"failed after {failed_after:.1f} s (startup deadline {deadline_s:.0f} s): "
                f"{last[-1].reason if last else 'not failed'} — {last[-1].detail if last else ''}"
            )
            await asyncio.sleep(1.0)
            left = tree(session)
            print(f"left after the deadline: {left[0]} processes, {left[2]} MB")
            await session.start()
            t1 = time.monotonic()
            while tree(session)[1] == 0 and time.monotonic() - t1 < deadline_s:
                await asyncio.sleep(0.5)
            running = tree(session)
            await session.stop()
            left = tree(session)
            print(
                f"restarted on the same profile: {running[1]} Chromium running; "
                f"after stop: {left[0]} processes, {left[2]} MB"
            )
    await receiver.stop()
    return 0 if last and left[0] == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadline", type=float, default=45.0)
    return asyncio.run(run(parser.parse_args().deadline))


if __name__ == "__main__":
    raise SystemExit(main())
