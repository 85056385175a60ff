"""Campaigns end to end: local stack, a real agent process, the OpenWA simulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.stack import ROOT, LocalStack, wait_for

pytestmark = pytest.mark.integration

FINAL = {"sent", "delivered", "read", "failed", "skipped", "unknown", "cancelled"}


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    running = LocalStack(
        {
            "WACAST_LOCAL_AGENT": "0",
            "WACAST_LOCAL_SCHEDULE_SECONDS": "3",  # lease sweeps and health checks every 3 s
            "WACAST_LEASE_SLACK_S": "15",
            "WACAST_RATE_WRITES_PER_MINUTE": "100000",
            "WACAST_RATE_READS_PER_MINUTE": "100000",
        }
    ).start()
    yield running
    assert running.stop() == 0


class Agent:
    def __init__(self, stack: LocalStack, token: str) -> None:
        self.stack = stack
        self.token = token
        self.data_dir = tempfile.mkdtemp(prefix="wacast-e2e-")
        self.record = Path(self.data_dir) / "sent.jsonl"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = (
            f"{sys.executable} -m agent.openwa_sim --sim-auto-scan 0.5 "
            f"--sim-record {self.record} --sim-ack-delays 1:0.05,2:0.1,3:0.2"
        )
        env = {
            **os.environ,
            "WACAST_SERVER_URL": self.stack.ws_url,
            "WACAST_AGENT_TOKEN": self.token,
            "WACAST_AGENT_DATA_DIR": self.data_dir,
            "WACAST_OPENWA_COMMAND": command,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agent"], cwd=ROOT, env=env, start_new_session=True
        )

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)

    def sent_to(self) -> Counter[str]:
        if not self.record.exists():
            return Counter()
        lines = [json.loads(line) for line in self.record.read_text().splitlines() if line]
        return Counter(str(line.get("to", "")) for line in lines)


def connected_number(stack: LocalStack, token: str) -> str:
    admin = stack.demo_token()
    wait_for(
        lambda: any(
            a["online"] for a in stack.request("GET", "/api/admin/agents", token=admin)[1]["items"]
        ),
        30,
        "an agent online",
    )
    status, session = stack.request("POST", "/api/sessions", {"label": "Shop"}, token=token)
    assert status == 201, session
    wait_for(
        lambda: (
            stack.request("GET", f"/api/sessions/{session['session_id']}", token=token)[1]["status"]
            == "connected"
        ),
        30,
        "connected",
    )
    return str(session["session_id"])


def import_csv(stack: LocalStack, token: str, rows: int, tag: str) -> None:
    lines = ["Nome;Celular;Cidade"] + [
        f"Cliente {i};(11) 9{i:04d}-{i:04d};São Paulo" for i in range(rows)
    ]
    status, created = stack.request(
        "POST",
        "/api/contacts/imports",
        {"filename": "clientes.csv", "content": "\n".join(lines)},
        token=token,
    )
    assert status == 201, created
    import_id = created["import"]["import_id"]
    status, started = stack.request(
        "POST",
        f"/api/contacts/imports/{import_id}/start",
        {"default_region": "BR", "tags": [tag]},
        token=token,
    )
    assert status in (200, 202), started
    done = wait_for(
        lambda: (lambda v: v if v["status"] == "completed" else None)(
            stack.request("GET", f"/api/contacts/imports/{import_id}", token=token)[1]
        ),
        60,
        "the import to complete",
    )
    assert done["created"] == rows and done["invalid"] == 0


def campaign_done(stack: LocalStack, token: str, campaign_id: str) -> dict[str, Any] | None:
    _, campaign = stack.request("GET", f"/api/campaigns/{campaign_id}", token=token)
    return campaign if campaign["status"] == "completed" else None


def all_messages(stack: LocalStack, token: str, campaign_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        _, page = stack.request(
            "GET",
            f"/api/campaigns/{campaign_id}/messages?limit=200"
            + (f"&cursor={cursor}" if cursor else ""),
            token=token,
        )
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def new_user(stack: LocalStack, email: str) -> str:
    stack.request(
        "POST",
        "/api/auth/register",
        {"email": email, "password": "campaign e2e phrase", "name": "Loja"},
    )
    return stack.login(email, "campaign e2e phrase")


def test_fifty_recipients_all_sent_delivered_read(stack: LocalStack) -> None:
    admin = stack.demo_token()
    _, agent_info = stack.request("POST", "/api/admin/agents", {"name": "e2e-1"}, token=admin)
    agent = Agent(stack, agent_info["token"])
    agent.start()
    try:
        token = new_user(stack, "loja@example.com")
        session_id = connected_number(stack, token)
        import_csv(stack, token, 50, "clientes")
        status, campaign = stack.request(
            "POST",
            "/api/campaigns",
            {
                "name": "Black Friday",
                "template": "{Olá|Oi} {{first_name|cliente}} de {{cidade}}!",
                "audience": {"tags": ["clientes"]},
                "session_ids": [session_id],
                "pacing": {"min_gap_s": 0, "max_gap_s": 0, "daily_cap": 1000, "warmup": False},
            },
            token=token,
        )
        assert status == 201, campaign
        cid = campaign["campaign_id"]
        status, scheduled = stack.request("POST", f"/api/campaigns/{cid}/schedule", token=token)
        assert status == 200, scheduled
        done = wait_for(lambda: campaign_done(stack, token, cid), 90, "the campaign to finish")
        wait_for(
            lambda: (
                stack.request("GET", f"/api/campaigns/{cid}", token=token)[1]["counters"]["read"]
                == 50
            ),
            30,
            "every read receipt",
        )
        final = stack.request("GET", f"/api/campaigns/{cid}", token=token)[1]
        assert final["counters"]["total"] == 50
        assert final["funnel"] == {"sent": 50, "delivered": 50, "read": 50}
        assert sum(final["counters"][k] for k in ("pending", "leased", "failed", "unknown")) == 0
        assert done["progress"] == 1.0
        sent = agent.sent_to()
        assert len(sent) == 50 and max(sent.values()) == 1
    finally:
        agent.stop()


def test_agent_killed_mid_campaign_nobody_twice_nobody_lost(stack: LocalStack) -> None:
    admin = stack.demo_token()
    _, agent_info = stack.request("POST", "/api/admin/agents", {"name": "e2e-2"}, token=admin)
    agent = Agent(stack, agent_info["token"])
    agent.start()
    try:
        token = new_user(stack, "loja2@example.com")
        session_id = connected_number(stack, token)
        import_csv(stack, token, 90, "todos")
        _, campaign = stack.request(
            "POST",
            "/api/campaigns",
            {
                "name": "Crash test",
                "template": "Oi {{first_name|cliente}}",
                "audience": {"tags": ["todos"]},
                "session_ids": [session_id],
                "pacing": {"min_gap_s": 0.05, "max_gap_s": 0.1, "daily_cap": 1000, "warmup": False},
            },
            token=token,
        )
        cid = campaign["campaign_id"]
        stack.request("POST", f"/api/campaigns/{cid}/schedule", token=token)
        wait_for(lambda: sum(agent.sent_to().values()) >= 30, 60, "sending under way")
        agent.kill()  # kill -9 mid-campaign
        time.sleep(0.5)  # let any in-flight webhook land nowhere; nothing is asserted on it
        agent.start()
        wait_for(lambda: campaign_done(stack, token, cid), 180, "the campaign to finish")
        messages = all_messages(stack, token, cid)
        assert len(messages) == 90 and len({m["phone"] for m in messages}) == 90
        assert all(m["status"] in FINAL for m in messages)
        unknown = [m for m in messages if m["status"] == "unknown"]
        assert len(unknown) <= 1, unknown  # at most the one send in flight at the kill
        sent = agent.sent_to()
        assert max(sent.values()) == 1, [p for p, n in sent.items() if n > 1]
        delivered = {
            m["phone"].lstrip("+") for m in messages if m["status"] in ("sent", "delivered", "read")
        }
        assert {p.split("@")[0] for p in sent} >= delivered
    finally:
        agent.stop()


def test_websocket_dropped_repeatedly_mid_campaign(stack: LocalStack) -> None:
    import json as _json
    import urllib.request

    admin = stack.demo_token()
    _, agent_info = stack.request("POST", "/api/admin/agents", {"name": "e2e-3"}, token=admin)
    agent = Agent(stack, agent_info["token"])
    agent.start()
    management = f"http://127.0.0.1:{stack.ws_port}/@connections"
    try:
        token = new_user(stack, "loja3@example.com")
        session_id = connected_number(stack, token)
        import_csv(stack, token, 60, "drop")
        _, campaign = stack.request(
            "POST",
            "/api/campaigns",
            {
                "name": "Flaky network",
                "template": "Oi {{first_name|cliente}}",
                "audience": {"tags": ["drop"]},
                "session_ids": [session_id],
                "pacing": {"min_gap_s": 0.05, "max_gap_s": 0.1, "daily_cap": 1000, "warmup": False},
            },
            token=token,
        )
        cid = campaign["campaign_id"]
        stack.request("POST", f"/api/campaigns/{cid}/schedule", token=token)
        drops = 0
        deadline = time.monotonic() + 120
        while campaign_done(stack, token, cid) is None and time.monotonic() < deadline:
            if drops < 5 and sum(agent.sent_to().values()) >= 10 * (drops + 1):
                with urllib.request.urlopen(management, timeout=5) as response:
                    for connection_id in _json.loads(response.read()):
                        request = urllib.request.Request(
                            f"{management}/{connection_id}", method="DELETE"
                        )
                        urllib.request.urlopen(request, timeout=5).close()
                drops += 1
            time.sleep(0.2)
        assert drops == 5, "the campaign finished before every drop"
        done = wait_for(lambda: campaign_done(stack, token, cid), 120, "the campaign to finish")
        assert done["counters"]["total"] == 60
        messages = all_messages(stack, token, cid)
        assert all(m["status"] in ("sent", "delivered", "read") for m in messages), Counter(
            m["status"] for m in messages
        )
        sent = agent.sent_to()
        assert len(sent) == 60 and max(sent.values()) == 1
    finally:
        agent.stop()
