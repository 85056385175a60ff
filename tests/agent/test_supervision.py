"""The agent process supervises its long-lived tasks: one dying ends the process
non-zero (launchd then restarts it); SIGTERM still ends it cleanly with 0. A number's
send loop dying fails the agent the same way."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.runtime import Agent
from agent.sender import SessionSender
from tests.agent.conftest import PY, FakeCloud, make_config
from wacast_protocol import StartSession

# Runs the real ``python -m agent`` entry point; only the purger is replaced, by one
# that fails the way a bug would, once the agent is up.
BROKEN_PURGER = """
import asyncio, sys
import agent.__main__ as entry
from agent.runtime import Agent

async def broken_purger(self):
    await asyncio.sleep(0.5)
    raise RuntimeError("purger broke")

Agent._purger = broken_purger
sys.exit(entry.main())
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            # Nobody listens there: the link keeps retrying, as with the cloud unreachable.
            "WACAST_SERVER_URL": f"ws://127.0.0.1:{_free_port()}/",
            "WACAST_AGENT_TOKEN": "wca_test",
            "WACAST_AGENT_DATA_DIR": str(tmp_path / "data"),
            "WACAST_OPENWA_COMMAND": f"{sys.executable} -m agent.openwa_sim",
            "WACAST_LOG_LEVEL": "INFO",
        }
    )
    return env


def _wait_exit(proc: subprocess.Popen[str], deadline_s: float) -> int | None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        code = proc.poll()
        if code is not None:
            return code
        time.sleep(0.05)
    return None


def _wait_started(log: Path, proc: subprocess.Popen[str], deadline_s: float = 30) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists() and "agent started" in log.read_text():
            return
        time.sleep(0.05)
    pytest.fail(f"the agent did not start: {log.read_text() if log.exists() else ''}")


def test_a_failing_task_ends_the_process_non_zero(tmp_path: Path) -> None:
    log = tmp_path / "agent.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", BROKEN_PURGER], env=_env(tmp_path), stderr=err, text=True
        )
    try:
        code = _wait_exit(proc, 30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text()
    assert code == 1, text
    assert "agent started" in text
    assert "a long-lived task failed" in text and "purger broke" in text


def test_sigterm_still_stops_cleanly(tmp_path: Path) -> None:
    log = tmp_path / "agent.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "agent"], env=_env(tmp_path), stderr=err, text=True
        )
    try:
        _wait_started(log, proc)
        proc.send_signal(signal.SIGTERM)
        code = _wait_exit(proc, 30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 0, log.read_text()
    assert "agent stopped" in log.read_text()


async def _one_number_agent_fails_with(
    cloud: FakeCloud, tmp_path: Path, error: type[Exception], words: str
) -> None:
    """An agent told to run one number (the simulator, never scanned) ends with ``error``."""

    async def play(c: FakeCloud, ws: object, frame: dict[str, object]) -> None:
        if frame["type"] == "hello":
            await c.send(StartSession(session_id="s1"))

    cloud.on_frame = play
    agent = Agent(
        make_config(
            tmp_path,
            server_url=cloud.url,
            openwa_command=[PY, "-m", "agent.openwa_sim", "--sim-auto-scan", "0"],
        )
    )
    await agent.start()
    try:
        with pytest.raises(ExceptionGroup) as caught:
            await asyncio.wait_for(agent.wait(), 60)
        assert caught.group_contains(error, match=words)
    finally:
        await agent.stop()


async def test_a_dead_send_loop_fails_the_agent(
    cloud: FakeCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken_pull(self: SessionSender) -> None:
        raise RuntimeError("sender broke")  # as a bug in the loop would, once connected

    monkeypatch.setattr(SessionSender, "_pull", broken_pull)
    await _one_number_agent_fails_with(cloud, tmp_path, RuntimeError, "sender broke")


async def test_a_dead_openwa_supervisor_fails_the_agent(
    cloud: FakeCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agent.supervisor import Program

    async def broken_spawn(self: Program) -> object:
        raise ValueError("supervisor broke")  # not the OSError a failed spawn raises

    monkeypatch.setattr(Program, "_spawn", broken_spawn)
    await _one_number_agent_fails_with(cloud, tmp_path, ValueError, "supervisor broke")
