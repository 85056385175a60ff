"""Flows through the local stack shared by the integration tests and the benchmarks:
an agent process with the OpenWA simulator, a connected number, a CSV import."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from tests.integration.stack import ROOT, LocalStack, wait_for


class Agent:
    def __init__(self, stack: LocalStack, token: str) -> None:
        self.stack = stack
        self.token = token
        self.data_dir = tempfile.mkdtemp(prefix="wacast-e2e-")
        self.record = Path(self.data_dir) / "sent.jsonl"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, extra_env: dict[str, str] | None = None) -> None:
        command = (
            f"{sys.executable} -m agent.openwa_sim --sim-auto-scan 0.5 "
            f"--sim-record {self.record} --sim-ack-delays 1:0.05,2:0.1,3:0.2"
        )
        env = {
            **os.environ,
            # the simulator, like OpenWA, opens new chats only with a licence key; a test of
            # the licence wall passes WACAST_OPENWA_LICENSE_KEY="" in extra_env
            "WACAST_OPENWA_LICENSE_KEY": "e2e-licence",
            **(extra_env or {}),
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


def wait_agent_online(stack: LocalStack) -> None:
    admin = stack.demo_token()
    wait_for(
        lambda: any(
            a["online"] for a in stack.request("GET", "/api/admin/agents", token=admin)[1]["items"]
        ),
        30,
        "an agent online",
    )


def connected_number(stack: LocalStack, token: str) -> str:
    wait_agent_online(stack)
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


def import_csv(
    stack: LocalStack,
    token: str,
    rows: int,
    tag: str,
    lines: list[str] | None = None,
    timeout: float = 60,
) -> None:
    """Import ``lines`` (default: a Brazilian-style file of ``rows`` clients) into ``tag``."""
    lines = lines or ["Nome;Celular;Cidade"] + [
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
        timeout,
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


def registered_agent(stack: LocalStack, name: str) -> Agent:
    """A new agent registered by the demo admin (start it with ``.start()``)."""
    _, info = stack.request("POST", "/api/admin/agents", {"name": name}, token=stack.demo_token())
    return Agent(stack, info["token"])


def create_campaign(
    stack: LocalStack,
    token: str,
    session_id: str,
    tag: str,
    name: str,
    template: str,
    gap_s: tuple[float, float] = (0, 0),
) -> str:
    """A draft to ``tag`` from ``session_id`` with no warm-up and a large cap; its id."""
    status, campaign = stack.request(
        "POST",
        "/api/campaigns",
        {
            "name": name,
            "template": template,
            "audience": {"tags": [tag]},
            "session_ids": [session_id],
            "pacing": {
                "min_gap_s": gap_s[0],
                "max_gap_s": gap_s[1],
                "daily_cap": 100_000,
                "warmup": False,
            },
        },
        token=token,
    )
    assert status == 201, campaign
    return str(campaign["campaign_id"])


def launch_campaign(
    stack: LocalStack,
    token: str,
    session_id: str,
    tag: str,
    name: str,
    template: str,
    gap_s: tuple[float, float] = (0, 0),
) -> str:
    """Create a campaign to ``tag`` from ``session_id`` and schedule it now; its id."""
    cid = create_campaign(stack, token, session_id, tag, name, template, gap_s)
    status, scheduled = stack.request("POST", f"/api/campaigns/{cid}/schedule", token=token)
    assert status == 202, scheduled
    return cid
