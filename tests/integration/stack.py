"""Run the local stack (``python -m infra.local``) as a subprocess for tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    condition: Callable[[], T | None], timeout: float, what: str, interval: float = 0.2
) -> T:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as error:  # conditions may fail until the thing is up
            last_error = error
        time.sleep(interval)
    raise AssertionError(
        f"timed out after {timeout}s waiting for {what} (last error: {last_error})"
    )


class LocalStack:
    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        self.http_port = free_port()
        self.ws_port = free_port()
        self.aws_port = free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WACAST_"))},
            "WACAST_HTTP_PORT": str(self.http_port),
            "WACAST_WS_PORT": str(self.ws_port),
            "WACAST_AWS_PORT": str(self.aws_port),
            "PYTHONUNBUFFERED": "1",
            "POWERTOOLS_LOG_LEVEL": "INFO",
            # Every test (and bench) client shares one source address (127.0.0.1).
            "WACAST_RATE_PUBLIC_PER_MINUTE": "6000",
            "WACAST_REGISTRATIONS_PER_HOUR": "6000",
            **(extra_env or {}),
        }
        self.process: subprocess.Popen[str] | None = None
        self.log_path = ROOT / "test-artifacts" / f"stack-{self.http_port}.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}"

    def start(self, timeout: float = 60) -> LocalStack:
        self.log_path.parent.mkdir(exist_ok=True)
        log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.local"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        wait_for(lambda: self.request("GET", "/api/health")[0] == 200, timeout, "the stack")
        return self

    def stop(self, timeout: float = 20) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return int(self.process.returncode)

    def request(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            raw = error.read()
            status = error.code
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode("utf-8", "replace")

    def login(self, email: str, password: str) -> str:
        status, body = self.request(
            "POST", "/api/auth/login", {"email": email, "password": password}
        )
        assert status == 200, body
        return str(body["token"])

    def demo_token(self) -> str:
        return self.login("demo@example.com", "wacast-demo-password")


NO_RATE_LIMITS = {
    "WACAST_RATE_WRITES_PER_MINUTE": "100000",
    "WACAST_RATE_READS_PER_MINUTE": "100000",
}


def serve(env: dict[str, str]) -> Iterator[LocalStack]:
    """A module fixture's body: the stack with ``env`` (per-user rate limits lifted),
    stopped cleanly afterwards."""
    running = LocalStack({**NO_RATE_LIMITS, **env}).start()
    yield running
    assert running.stop() == 0
