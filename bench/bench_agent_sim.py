"""Benchmark of the in-process OpenWA simulation core: many sessions in one process.

Prints RSS per session and idle CPU. Not a test. Usage:
    python bench/bench_agent_sim.py [--sessions 1000] [--idle-seconds 10] [--phase connected|qr]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.openwa_sim.core import SimConfig, SimSession


class CountingSink:
    def __init__(self) -> None:
        self.events = 0

    def ev(self, namespace: str, data: Any) -> None:
        self.events += 1

    def ready(self, payload: dict[str, Any]) -> None:
        self.events += 1

    def webhook(self, event: str, data: Any) -> None:
        self.events += 1

    def exit(self, code: int, abrupt: bool) -> None:
        self.events += 1


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def cpu() -> float:
    t = os.times()
    return t.user + t.system


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--idle-seconds", type=float, default=10.0)
    ap.add_argument("--phase", choices=["connected", "qr"], default="connected")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="wacast-bench-"))
    sink = CountingSink()

    def make(i: int) -> SimSession:
        cfg = SimConfig(
            session_id=f"s{i}",
            data_path=tmp,
            qr_timeout_s=0,
            auto_scan_s=0 if args.phase == "connected" else None,
            phone=f"+4477009{i:05d}",
            ack_delays={1: 0.2, 2: 0.5, 3: 1.0},
            license_key="bench-licence",  # new chats need one, as in OpenWA
        )
        return SimSession(cfg, sink)

    warm = make(-1)  # import/JIT-free warm-up so the baseline includes segno, PNG, etc.
    warm.start()
    await asyncio.sleep(0.05)
    gc.collect()
    base = rss()
    t0 = time.perf_counter()
    sessions = [make(i) for i in range(args.sessions)]
    for s in sessions:
        s.start()
    await asyncio.sleep(0.2)
    startup_s = time.perf_counter() - t0
    if args.phase == "connected":
        assert all(s.state == "CONNECTED" for s in sessions)
        t1 = time.perf_counter()
        for s in sessions:  # one message each, with the three acks that follow
            s.call("sendText", {"to": "447700900001@c.us", "content": "hi"})
        send_s = time.perf_counter() - t1
        await asyncio.sleep(1.2)
    gc.collect()
    per_session = (rss() - base) / args.sessions
    c0, w0 = cpu(), time.perf_counter()
    await asyncio.sleep(args.idle_seconds)
    idle_cpu = 100 * (cpu() - c0) / (time.perf_counter() - w0)
    print(f"sessions:            {args.sessions} ({args.phase})")
    print(f"startup:             {startup_s:.2f} s")
    if args.phase == "connected":
        print(f"send 1 msg/session:  {send_s * 1000:.0f} ms ({args.sessions / send_s:.0f} sends/s)")
    print(f"RSS per session:     {per_session / 1024:.1f} KiB (goal < 2048 KiB)")
    print(
        f"idle CPU:            {idle_cpu:.2f} % of one core over {args.idle_seconds:.0f} s "
        "(goal < 5 %)"
    )
    print(f"events emitted:      {sink.events}")
    for s in sessions:
        s.close()


if __name__ == "__main__":
    asyncio.run(main())
