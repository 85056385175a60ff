"""Launching a 100,000-contact campaign on the local stack, with the OpenWA simulator.

Prints the schedule call's latency, how long the campaign stays ``preparing``, the time
from the click to the first send, and the longest single API request and the longest
single invocation of each handler (SQS workers, WebSocket frames) while it prepares and
launches (issue 15: none may exceed 5 s). BENCH_LAUNCH_CONTACTS sets the size (default
100,000). The contacts are written straight into the local DynamoDB (25 per
BatchWriteItem): the CSV import has its own bench. The demo account is on the Pro plan
(50,000 messages a month), so the launch sends to the first 50,000 (``send_to_first``),
after checking all of them; materialisation is followed for BENCH_LAUNCH_QUEUE_WAIT
seconds (default 300) after the first send, then the campaign is cancelled.
"""

from __future__ import annotations

import os
import time
from typing import Any

from tests.integration.flows import connected_number, create_campaign, registered_agent
from tests.integration.stack import LocalStack, wait_for

CONTACTS = int(os.environ.get("BENCH_LAUNCH_CONTACTS", "100000"))
PLAN_MESSAGES = 50_000  # the demo account's Pro plan, per month
GOAL_MS = 5000.0
# How long to follow materialisation after the first send (BENCH_LAUNCH_QUEUE_WAIT).
QUEUE_WAIT_S = float(os.environ.get("BENCH_LAUNCH_QUEUE_WAIT", "300"))
AREAS = ("202", "415", "312", "617", "206", "303", "512", "646", "213", "305")
AREAS += ("404", "503", "602", "702", "212", "310", "619", "713", "808", "907")


def seed_contacts(stack: LocalStack, user_id: str, tag: str, n: int) -> float:
    """n contacts for ``user_id`` straight into the stack's DynamoDB; returns seconds."""
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{stack.aws_port}",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "WACAST_STAGE": "dev",
        }
    )
    from chalicelib.models.base import now_ms  # table names follow WACAST_STAGE
    from chalicelib.models.contacts import ContactModel

    started = time.perf_counter()
    now = now_ms()
    with ContactModel.batch_write() as batch:
        for i in range(n):
            batch.save(
                ContactModel(
                    user_id,
                    f"+1{AREAS[i // 10_000]}555{i % 10_000:04d}",
                    first_name=f"Person{i}",
                    name=f"Person{i} Bench",
                    tags={tag},
                    created_at=now,
                    updated_at=now,
                )
            )
    return time.perf_counter() - started


def peaks(stats: dict[str, Any]) -> list[tuple[float, str, str]]:
    rows = [
        (float(value), key.removeprefix("peak_ms."), str(stats.get(f"peak_what.{key[8:]}", "")))
        for key, value in stats.items()
        if key.startswith("peak_ms.")
    ]
    return sorted(rows, reverse=True)


def show_peaks(title: str, stats: dict[str, Any]) -> float:
    rows = peaks(stats)
    print(title)
    for ms, key, what in rows:
        flag = "  OVER 5 s" if ms > GOAL_MS else ""
        print(f"  {ms:8.0f} ms  {key:28s} {what[:90]}{flag}")
    return rows[0][0] if rows else 0.0


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
        user_id = stack.request("GET", "/api/me", token=admin)[1]["user_id"]
        agent = registered_agent(stack, "bench-launch")
        agent.start({"WACAST_LOG_LEVEL": "WARNING"})
        sid = connected_number(stack, admin)
        seeded = seed_contacts(stack, user_id, "launch", CONTACTS)
        print(f"contacts                       {CONTACTS:,} (seeded in {seeded:.0f} s)")
        cid = create_campaign(
            stack, admin, sid, "launch", "bench launch", "Hi {{first_name|there}}"
        )
        wanted = min(CONTACTS, PLAN_MESSAGES)
        stack.request("GET", "/dev/stats.json?reset=peaks")
        clicked = time.perf_counter()
        status, body = stack.request(
            "POST", f"/api/campaigns/{cid}/schedule", {"send_to_first": wanted}, token=admin
        )
        schedule_s = time.perf_counter() - clicked
        assert status == 202, body

        print(f"schedule call                  {schedule_s:8.2f} s   (goal < 1 s)", flush=True)

        def state() -> dict[str, Any]:
            return dict(stack.request("GET", f"/api/campaigns/{cid}", token=admin)[1])

        wait_for(lambda: state()["status"] != "preparing", 3600, "the preparing walk", 0.5)
        prepared_s = time.perf_counter() - clicked
        preparing = stack.request("GET", "/dev/stats.json")[1]
        after = state()
        assert after["status"] in ("scheduled", "running"), after.get("launch_problem")
        print(f"preparing (walk of {CONTACTS:,})   {prepared_s:8.1f} s", flush=True)
        worst_preparing = show_peaks("longest while preparing (request or invocation):", preparing)
        wait_for(lambda: sum(agent.sent_to().values()) > 0, 600, "first send", interval=0.05)
        first_send_s = time.perf_counter() - clicked
        print(f"click to first send            {first_send_s:8.1f} s", flush=True)
        # Materialisation goes on (chunks of 50, then 500): its invocations count too.
        deadline = time.monotonic() + QUEUE_WAIT_S
        while time.monotonic() < deadline and int(state()["counters"]["total"]) < wanted:
            time.sleep(2)
        queued = int(state()["counters"]["total"])
        launched = stack.request("GET", "/dev/stats.json")[1]
        stack.request("POST", f"/api/campaigns/{cid}/cancel", token=admin)
        print(
            f"messages written after {time.perf_counter() - clicked:6.0f} s "
            f"{queued:,} of {wanted:,} (sent to first {wanted:,})"
        )
        worst = show_peaks("longest until then (request or invocation):", launched)
        print(
            f"longest single request/invocation {max(worst, worst_preparing):8.0f} ms "
            f"(goal <= {GOAL_MS:.0f} ms: "
            f"{'met' if max(worst, worst_preparing) <= GOAL_MS else 'MISSED'})"
        )
    finally:
        if agent is not None:
            agent.stop()
        stack.stop()


if __name__ == "__main__":
    main()
