"""A number's life through the local stack, with a real agent and the OpenWA simulator."""

from __future__ import annotations

import base64
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator

import pytest

from tests.integration.stack import ROOT, LocalStack, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    # No built-in agent: this test runs, kills and restarts its own.
    running = LocalStack({"WACAST_LOCAL_AGENT": "0"}).start()
    yield running
    assert running.stop() == 0


def start_agent(stack: LocalStack, token: str, data_dir: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "WACAST_SERVER_URL": stack.ws_url,
        "WACAST_AGENT_TOKEN": token,
        "WACAST_AGENT_DATA_DIR": data_dir,
        # Manual scan: the test scans the QR it reads from the API.
        "WACAST_OPENWA_COMMAND": f"{sys.executable} -m agent.openwa_sim",
        "WACAST_HEARTBEAT_INTERVAL_S": "15",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "agent"], cwd=ROOT, env=env, start_new_session=True
    )


def decode_qr(data_url: str) -> str:
    import zxingcpp
    from PIL import Image

    png = base64.b64decode(data_url.split(",", 1)[1])
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert results, "the QR image does not decode"
    return str(results[0].text)


def test_add_scan_kill_agent_offline_restart_connected(stack: LocalStack) -> None:
    admin = stack.demo_token()
    status, agent = stack.request(
        "POST", "/api/admin/agents", {"name": "e2e", "capacity": 4}, token=admin
    )
    assert status == 201
    data_dir = tempfile.mkdtemp(prefix="wacast-e2e-agent-")
    process = start_agent(stack, agent["token"], data_dir)
    try:
        wait_for(
            lambda: any(
                a["online"]
                for a in stack.request("GET", "/api/admin/agents", token=admin)[1]["items"]
            ),
            30,
            "the agent online",
        )
        status, session = stack.request("POST", "/api/sessions", {"label": "Shop"}, token=admin)
        assert status == 201, session
        path = f"/api/sessions/{session['session_id']}"
        qr = wait_for(
            lambda: (lambda r: r[1] if r[0] == 200 else None)(
                stack.request("GET", f"{path}/qr", token=admin)
            ),
            30,
            "a QR",
        )
        scan_url = decode_qr(qr["data_url"])
        assert scan_url.startswith("http://127.0.0.1:")
        scanned_at = time.monotonic()
        request = urllib.request.Request(
            scan_url,
            data=b'{"phone": "+5511987654321"}',
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        connected = wait_for(
            lambda: (lambda s: s if s["status"] == "connected" else None)(
                stack.request("GET", path, token=admin)[1]
            ),
            10,
            "connected within 10 s",
        )
        assert time.monotonic() - scanned_at < 10
        assert connected["phone"] == "+5511987654321"

        os.killpg(process.pid, signal.SIGKILL)  # the Mac mini loses power
        process.wait()
        killed_at = time.monotonic()
        wait_for(
            lambda: stack.request("GET", path, token=admin)[1]["status"] == "agent_offline",
            75,
            "agent_offline within 75 s",
            interval=1,
        )
        assert time.monotonic() - killed_at <= 75

        process = start_agent(stack, agent["token"], data_dir)
        back = wait_for(
            lambda: (lambda s: s if s["status"] == "connected" else None)(
                stack.request("GET", path, token=admin)[1]
            ),
            30,
            "connected again, no new scan",
        )
        assert back["phone"] == "+5511987654321"
        states = [h["state"] for h in back["history"]]
        assert states.count("qr_ready") == 1, states  # never asked for a second scan
        _, notices = stack.request("GET", "/api/notifications", token=admin)
        assert any(n["kind"] == "session_agent_offline" for n in notices["items"])
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
