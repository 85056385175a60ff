"""A campaign through the whole local stack at zero gap, with the OpenWA simulator.

Prints messages per second end to end, DynamoDB requests per sent message (all,
and writes), cloud invocations (WebSocket frames in + SQS handler calls) per
message, and launch-to-first-send latency. BENCH_RECIPIENTS sets the size
(default 10,000).
"""

from __future__ import annotations

import os
import time

from tests.integration.flows import connected_number, create_campaign, import_csv, registered_agent
from tests.integration.stack import LocalStack, wait_for

RECIPIENTS = int(os.environ.get("BENCH_RECIPIENTS", "10000"))
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
AREAS = ("202", "415", "312", "617", "206", "303", "512", "646", "213", "305")


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
        admin = stack.demo_token()  # on the Pro plan: 50,000 messages a month
        agent = registered_agent(stack, "bench")
        agent.start({"WACAST_LOG_LEVEL": "WARNING"})
        sid = connected_number(stack, admin)
        lines = ["name,phone"] + [
            f"Person {i},+1{AREAS[i // 10000]}555{i % 10000:04d}" for i in range(RECIPIENTS)
        ]
        for start in range(1, len(lines), 2000):  # files of 2,000: one request stays short
            part = [lines[0], *lines[start : start + 2000]]
            import_csv(stack, admin, len(part) - 1, "bench", lines=part, timeout=1800)
        cid = create_campaign(stack, admin, sid, "bench", "bench", "Hi {{first_name|there}}")
        before = stack.request("GET", "/dev/stats.json")[1]
        launched = time.perf_counter()
        status, body = stack.request("POST", f"/api/campaigns/{cid}/schedule", token=admin)
        assert status == 202, body
        wait_for(
            lambda: agent is not None and sum(agent.sent_to().values()) > 0,
            60,
            "first send",
            interval=0.02,
        )
        first_send = time.perf_counter() - launched
        wait_for(
            lambda: (
                stack.request("GET", f"/api/campaigns/{cid}", token=admin)[1]["status"]
                == "completed"
            ),
            3600,
            "completion",
            interval=1,
        )
        elapsed = time.perf_counter() - launched
        wait_for(
            lambda: (
                stack.request("GET", f"/api/campaigns/{cid}", token=admin)[1]["counters"]["read"]
                == RECIPIENTS
            ),
            300,
            "read receipts",
            interval=1,
        )
        after = stack.request("GET", "/dev/stats.json")[1]
        final = stack.request("GET", f"/api/campaigns/{cid}", token=admin)[1]
        # Counters only: the peak_* entries are durations and labels, not counts.
        delta = {
            k: v - before.get(k, 0)
            for k, v in after.items()
            if not k.startswith("peak_") and isinstance(v, int)
        }
        ddb = {k.split(".", 1)[1]: v for k, v in delta.items() if k.startswith("dynamodb.") and v}
        writes = sum(v for k, v in ddb.items() if k in WRITES)
        invocations = delta.get("ws.frames_in", 0) + sum(
            v for k, v in delta.items() if k.startswith("invoke.") and k.endswith("_worker")
        )
        sent = final["funnel"]["sent"]
        print(f"recipients                     {RECIPIENTS}")
        print(f"sent / delivered / read        {final['funnel']}")
        print(
            f"launch to completion           {elapsed:8.1f} s   "
            f"({sent / elapsed:6.1f} messages/s end to end)"
        )
        print(f"launch to first send           {first_send:8.2f} s   (goal < 2 s)")
        print(
            f"DynamoDB requests per message  {sum(ddb.values()) / sent:8.2f}   "
            f"(writes {writes / sent:.2f}; goal <= 4 writes)"
        )
        print(f"cloud invocations per message  {invocations / sent:8.3f}   (goal <= 0.25)")
        print(
            "DynamoDB requests by operation "
            + ", ".join(f"{k} {v}" for k, v in sorted(ddb.items(), key=lambda kv: -kv[1]))
        )
        print(f"sent twice to anyone           {max(agent.sent_to().values()) > 1}")
    finally:
        if agent is not None:
            agent.stop()
        stack.stop()


if __name__ == "__main__":
    main()
