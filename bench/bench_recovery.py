"""Recovery after ``kill -9`` of the agent, on the local stack with the OpenWA simulator.

A 300-recipient campaign at zero gap; the agent is killed (SIGKILL of its process group)
10 times while it sends, and started again at once. Prints duplicates (must be 0), lost
messages (0), the time from each restart to the next send and the gap around each kill
(median, max), messages left ``unknown``, and messages left ``sent`` although the
simulator delivered them (their acks must be caught up after the restart).
BENCH_RECOVERY_RECIPIENTS and BENCH_RECOVERY_KILLS change the size.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

from tests.integration.flows import (
    Agent,
    all_messages,
    campaign_done,
    connected_number,
    create_campaign,
    import_csv,
    registered_agent,
)
from tests.integration.stack import LocalStack, wait_for

RECIPIENTS = int(os.environ.get("BENCH_RECOVERY_RECIPIENTS", "300"))
KILLS = int(os.environ.get("BENCH_RECOVERY_KILLS", "10"))


def records(agent: Agent) -> list[dict[str, Any]]:
    if not agent.record.exists():
        return []
    out = []
    for line in agent.record.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue  # the line the kill tore
    return out


def sim_acks(agent: Agent, now_ms: int) -> dict[str, int]:
    """The ack each message sent by the simulator has reached by now, by recipient."""
    reached: dict[str, int] = {}
    for path in Path(agent.data_dir, "sessions").glob("*/*.messages.jsonl"):
        for line in path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            elapsed_s = (now_ms - int(entry["sent_ms"])) / 1000
            ack = max([0, *(int(k) for k, d in entry["acks"].items() if float(d) <= elapsed_s)])
            phone = "+" + str(entry["to"]).split("@")[0]
            reached[phone] = max(reached.get(phone, 0), ack)
    return reached


def main() -> None:
    stack = LocalStack(
        {
            "WACAST_LOCAL_AGENT": "0",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "WACAST_RATE_WRITES_PER_MINUTE": "100000",
            "WACAST_RATE_READS_PER_MINUTE": "100000",
        }
    ).start()
    agent = None
    try:
        admin = stack.demo_token()
        agent = registered_agent(stack, "bench-recovery")
        agent.start({"WACAST_LOG_LEVEL": "WARNING"})
        sid = connected_number(stack, admin)
        lines = ["name,phone"] + [f"Person {i},+1202555{i:04d}" for i in range(RECIPIENTS)]
        import_csv(stack, admin, RECIPIENTS, "recovery", lines=lines, timeout=600)
        cid = create_campaign(
            stack, admin, sid, "recovery", "recovery bench", "Hi {{first_name|there}}"
        )
        status, body = stack.request("POST", f"/api/campaigns/{cid}/schedule", token=admin)
        assert status in (200, 202), body
        step = max(1, RECIPIENTS // (KILLS + 2))
        to_next: list[float] = []
        gaps: list[float] = []
        for k in range(KILLS):
            wait_for(lambda k=k: len(records(agent)) >= step * (k + 1), 300, "sending")
            agent.kill()
            killed_at = time.time()
            before = len(records(agent))
            last_before = max(r["ts"] for r in records(agent)) / 1000
            agent.start({"WACAST_LOG_LEVEL": "WARNING"})
            restarted = time.time()
            first = wait_for(
                lambda before=before: (
                    min(r["ts"] for r in records(agent)[before:]) / 1000
                    if len(records(agent)) > before
                    else None
                ),
                300,
                "the first send after a restart",
                interval=0.05,
            )
            to_next.append(first - restarted)
            gaps.append(first - last_before)
            print(
                f"kill {k + 1:2d}: {before:4d} sent before; next send "
                f"{first - restarted:5.2f} s after the restart "
                f"({first - killed_at:5.2f} s after the kill)",
                flush=True,
            )
        wait_for(lambda: campaign_done(stack, admin, cid), 900, "completion", interval=1)
        messages = all_messages(stack, admin, cid)

        def left_sent() -> int:
            reached = sim_acks(agent, int(time.time() * 1000))
            current = all_messages(stack, admin, cid)
            return sum(
                1 for m in current if m["status"] == "sent" and reached.get(m["phone"], 0) >= 2
            )

        with contextlib.suppress(AssertionError):  # acks land within seconds: bounded wait
            wait_for(lambda: left_sent() == 0, 60, "acks to settle", interval=1)
        stuck = left_sent()
        messages = all_messages(stack, admin, cid)
        sent_to = agent.sent_to()
        duplicates = sum(1 for n in sent_to.values() if n > 1)
        recorded = {p.split("@")[0] for p in sent_to}
        by_status: dict[str, int] = {}
        for m in messages:
            by_status[m["status"]] = by_status.get(m["status"], 0) + 1
        lost = sum(
            1
            for m in messages
            if m["status"] in ("pending", "leased")
            or (m["status"] in ("sent", "delivered", "read") and m["phone"][1:] not in recorded)
        ) + (RECIPIENTS - len(messages))
        print(f"recipients                        {RECIPIENTS}   kills {KILLS}")
        print(f"final statuses                    {dict(sorted(by_status.items()))}")
        print(f"duplicates (sent twice)           {duplicates}   (must be 0)")
        print(f"lost                              {lost}   (must be 0)")
        print(
            f"restart -> next send              median {statistics.median(to_next):5.2f} s, "
            f"max {max(to_next):5.2f} s   (goal <= 5 s)"
        )
        print(
            f"last send before kill -> next     median {statistics.median(gaps):5.2f} s, "
            f"max {max(gaps):5.2f} s"
        )
        print(f"left 'sent' though delivered      {stuck}   (goal 0)")
    finally:
        if agent is not None:
            agent.stop()
        stack.stop()


if __name__ == "__main__":
    main()
