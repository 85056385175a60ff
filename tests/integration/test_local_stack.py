"""The local stack as a user meets it: real HTTP, a real WebSocket, real queues."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.integration.stack import ROOT, LocalStack, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    running = LocalStack().start()
    yield running
    assert running.stop() == 0, running.log_path.read_text()[-3000:]


def test_register_login_and_me_over_http(stack: LocalStack) -> None:
    status, user = stack.request(
        "POST",
        "/api/auth/register",
        {"email": "it@example.com", "password": "integration phrase", "name": "It"},
    )
    assert status == 201, user
    token = stack.login("it@example.com", "integration phrase")
    status, me = stack.request("GET", "/api/me", token=token)
    assert status == 200 and me["email"] == user["email"] == "it@example.com"
    status, error = stack.request("GET", "/api/me", token="wct_nope")
    assert status == 401 and error["error"]["code"] == "unauthorized"


def test_sqs_handler_delivers_password_reset_mail(stack: LocalStack) -> None:
    status, _ = stack.request("POST", "/api/auth/password-reset", {"email": "demo@example.com"})
    assert status == 202

    def reset_mail() -> dict | None:
        _, mails = stack.request("GET", "/dev/mail.json")
        return next((m for m in mails if "token=wcr_" in m["body"]), None)

    mail = wait_for(reset_mail, 60, "the reset email")
    assert mail["to"] == "demo@example.com"
    refused, _ = stack.request("GET", "/dev/mail")
    assert refused == 403  # every user's mail: the printed key or an admin's token
    _, page = stack.request("GET", "/dev/mail", token=stack.demo_token())
    assert "Reset your wacast password" in page


def test_schedule_handler_runs(stack: LocalStack) -> None:
    runs = wait_for(
        lambda: stack.request("GET", "/api/health")[1]["schedules"].get("housekeeping"),
        20,
        "the housekeeping schedule",
    )
    assert runs > 0


def test_websocket_refuses_bad_token_and_pushes_through_connections(stack: LocalStack) -> None:
    admin = stack.demo_token()
    status, agent = stack.request("POST", "/api/admin/agents", {"name": "it-agent"}, token=admin)
    assert status == 201
    with pytest.raises(InvalidStatus) as refused:
        connect(
            stack.ws_url, additional_headers={"Authorization": "Bearer wca_wrong"}, open_timeout=10
        )
    assert refused.value.response.status_code == 403
    with connect(
        stack.ws_url,
        additional_headers={"Authorization": f"Bearer {agent['token']}"},
        open_timeout=10,
    ) as ws:
        ws.send("this is not json")
        reply = json.loads(ws.recv(timeout=10))
        assert reply["type"] == "error" and reply["code"] == "invalid_json"
        ws.send(
            json.dumps(
                {
                    "type": "heartbeat",
                    "sessions_running": 0,
                    "rss_bytes": 1,
                    "cpu_percent": 0.0,
                    "uptime_s": 1.0,
                }
            )
        )
        listed = wait_for(
            lambda: [
                a
                for a in stack.request("GET", "/api/admin/agents", token=admin)[1]["items"]
                if a["agent_id"] == agent["agent_id"] and a["online"]
            ],
            10,
            "the agent to show online",
        )
        assert listed[0]["last_heartbeat_at"] > 0


def _closed_by_server(ws: ClientConnection, timeout: float = 15) -> int | None:
    """Read until the server closes ``ws``; its close code (fails if it stays open)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            ws.recv(timeout=max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            break
        except ConnectionClosed:
            return ws.close_code
    raise AssertionError("the server left the connection open")


def test_rotation_and_deletion_close_the_agents_live_socket(stack: LocalStack) -> None:
    """Issue 12: after rotate-token the open connection kept getting batches."""
    admin = stack.demo_token()
    status, agent = stack.request("POST", "/api/admin/agents", {"name": "rotating"}, token=admin)
    assert status == 201
    path = f"/api/admin/agents/{agent['agent_id']}"

    def online(token: str) -> ClientConnection:
        ws = connect(
            stack.ws_url, additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=10
        )
        hello = {"type": "hello", "agent_version": "1", "max_sessions": 1, "sessions": []}
        ws.send(json.dumps(hello))
        return ws

    with online(agent["token"]) as ws:
        status, rotated = stack.request("POST", f"{path}/rotate-token", token=admin)
        assert status == 200
        assert _closed_by_server(ws) == 1000
    with pytest.raises(InvalidStatus) as refused:
        connect(
            stack.ws_url,
            additional_headers={"Authorization": f"Bearer {agent['token']}"},
            open_timeout=10,
        )
    assert refused.value.response.status_code == 403
    with online(rotated["token"]) as ws:
        assert stack.request("DELETE", path, token=admin)[0] == 204
        assert _closed_by_server(ws) == 1000
    with pytest.raises(InvalidStatus) as gone:
        connect(
            stack.ws_url,
            additional_headers={"Authorization": f"Bearer {rotated['token']}"},
            open_timeout=10,
        )
    assert gone.value.response.status_code == 403


def test_dev_mailbox_opens_with_the_url_printed_at_start_only(stack: LocalStack) -> None:
    """Issue 12: /dev/mail was open to anyone who could reach the port."""
    log = stack.log_path.read_text()
    assert "answer this machine (loopback) only" in log
    printed = re.search(r"mailbox\s+(http://\S+/dev/mail\?key=\S+)", log)
    assert printed is not None, log[-2000:]
    assert printed.group(1).startswith(stack.base)
    for path in ("/dev/mail", "/dev/mail?key=guessed", "/dev/billing"):
        assert stack.request("GET", path)[0] == 403, path
    with urllib.request.urlopen(printed.group(1), timeout=15) as page:
        assert page.status == 200 and b"<html" in page.read().lower()


def test_spa_fallback_and_openapi(stack: LocalStack) -> None:
    status, page = stack.request("GET", "/campaigns/123")
    assert status == 200 and "<html" in page.lower()
    status, doc = stack.request("GET", "/api/openapi.json")
    assert status == 200 and "/api/auth/login" in doc["paths"]


def test_taken_port_is_named_clearly(stack: LocalStack) -> None:
    env = {
        **os.environ,
        "WACAST_HTTP_PORT": str(stack.http_port),
        "WACAST_WS_PORT": str(stack.ws_port),
        "WACAST_AWS_PORT": str(stack.aws_port),
    }
    result = subprocess.run(
        [sys.executable, "-m", "infra.local"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"port {stack.http_port}" in result.stderr and "WACAST_HTTP_PORT" in result.stderr


def test_sigterm_stops_cleanly_without_orphans() -> None:
    other = LocalStack().start()
    pid = other.process.pid if other.process else 0
    assert other.stop() == 0
    # Nothing of the stack's process group survives it.
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
