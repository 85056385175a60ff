from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


async def wait_for(cond: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll ``cond`` (sync or async) until truthy or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def decode_qr(data_url: str) -> str:
    """Decode the QR in a data:image/png;base64 URL with zxing-cpp (a real decoder)."""
    import zxingcpp
    from PIL import Image

    assert data_url.startswith("data:image/png;base64,")
    img = Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1])))
    results = zxingcpp.read_barcodes(img)
    assert results, "no QR code found in the PNG"
    return str(results[0].text)


class Collector:
    """An in-test HTTP receiver that records every JSON POST per path."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.base = ""

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [b for p, b in self.posts if p == path]

    async def handle(self, request: web.Request) -> web.Response:
        self.posts.append((request.path, json.loads(await request.read())))
        return web.json_response({"ok": True})


@pytest.fixture
async def collector() -> AsyncIterator[Collector]:
    col = Collector()
    app = web.Application()
    app.router.add_post("/{tail:.*}", col.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    col.base = f"http://127.0.0.1:{port}"
    yield col
    await runner.cleanup()


SpawnSim = Callable[..., Awaitable[asyncio.subprocess.Process]]


@pytest.fixture
async def spawn_sim(tmp_path: Path) -> AsyncIterator[SpawnSim]:
    procs: list[asyncio.subprocess.Process] = []

    async def spawn(*args: str) -> asyncio.subprocess.Process:
        log = open(tmp_path / f"sim-{len(procs)}.log", "wb")  # noqa: SIM115
        proc = await asyncio.create_subprocess_exec(
            PY,
            "-m",
            "agent.openwa_sim",
            *args,
            env=child_env(),
            stdout=log,
            stderr=log,
            cwd=tmp_path,
        )
        log.close()
        procs.append(proc)
        return proc

    yield spawn
    for proc in procs:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


@pytest.fixture(scope="session")
def openwa_pkg() -> Path:
    """The pinned @open-wa/wa-automate package, installed once by scripts/openwa_install.sh
    (a no-op when the cache already has it). Its root directory."""
    import shutil
    import subprocess

    from agent.config import pinned_openwa_bin

    if shutil.which("npm") is None or shutil.which("node") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have node and npm for the OpenWA tests")
        pytest.skip("node/npm not installed")
    out = subprocess.run(
        ["bash", str(REPO / "scripts" / "openwa_install.sh")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    binary = Path(out.stdout.strip().splitlines()[-1])
    assert binary == pinned_openwa_bin() and binary.is_file()
    return binary.parents[1]


def make_config(tmp_path: Path, **kw: Any) -> Any:
    from agent.config import AgentConfig

    base: dict[str, Any] = dict(
        server_url="ws://127.0.0.1:1/ws",
        token="t",
        data_dir=tmp_path / "agent",
        openwa_command=[PY, "-m", "agent.openwa_sim", "--sim-qr-refresh", "30"],
        startsecs=0.5,
        startretries=3,
        stop_grace_s=3.0,
        startup_deadline_s=30.0,
        qr_timeout_s=60.0,
        # the simulator, like OpenWA, opens new chats only with a licence key (or to contacts)
        license_key="LK-sim-test",
    )
    base.update(kw)
    return AgentConfig(**base)


class SessionHarness:
    """A driver session wired to a real webhook receiver and a real simulator process."""

    def __init__(
        self,
        session: Any,
        frames: list[Any],
        acks: list[tuple[str, str, int, int]],
        inbound: list[tuple[str, str, str, str, int, str | None]],
    ) -> None:
        self.session = session
        self.frames = frames
        self.acks = acks
        self.inbound = inbound

    def states(self) -> list[str]:
        return [str(f.state) for f in self.frames]

    def control_url(self) -> str:
        return str(json.loads((self.session.dir / "sim-control.json").read_text())["control_url"])


@pytest.fixture
async def make_session(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[SessionHarness]]]:
    import aiohttp

    from agent.driver import OpenWASession
    from agent.webhooks import WebhookReceiver

    receiver = WebhookReceiver()
    await receiver.start()
    http = aiohttp.ClientSession()
    made: list[Any] = []

    async def make(
        session_id: str = "s1", extra: list[str] | None = None, **cfg: Any
    ) -> SessionHarness:
        frames: list[Any] = []
        acks: list[tuple[str, str, int, int]] = []
        inbound: list[tuple[str, str, str, str, int, str | None]] = []
        session = OpenWASession(
            session_id,
            make_config(tmp_path, **cfg),
            receiver,
            http,
            frames.append,
            lambda *a: acks.append(a),
            lambda *a: inbound.append(a),
            extra_args=extra,
        )
        made.append(session)
        await session.start()
        return SessionHarness(session, frames, acks, inbound)

    yield make
    for s in made:
        await s.stop()
    await http.close()
    await receiver.stop()


class FakeCloud:
    """A real in-test ``websockets`` server that plays the cloud side of the protocol."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []  # every frame received, all connections
        self.connections: list[Any] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.receipts = True
        self.drop_every: int | None = None  # close the connection after every N-th frame
        self.require_query_token = False
        self.on_frame: Callable[[FakeCloud, Any, dict[str, Any]], Awaitable[None]] | None = None
        self.url = ""
        self._server: Any = None
        self._count = 0

    def seqs(self) -> list[int]:
        return [f["seq"] for f in self.frames if "seq" in f]

    def of_type(self, t: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f["type"] == t]

    async def send(self, frame: Any) -> None:
        from wacast_protocol import dump_frame

        ws = self.connections[-1]
        await ws.send(dump_frame(frame))

    async def start(self) -> None:
        from websockets.asyncio.server import serve
        from websockets.http11 import Response

        def process_request(conn: Any, request: Any) -> Response | None:
            self.headers.append(dict(request.headers))
            self.paths.append(request.path)
            if self.require_query_token and "token=tok" not in request.path:
                return conn.respond(401, "unauthorised\n")  # type: ignore[no-any-return]
            return None

        async def handler(ws: Any) -> None:
            from websockets.exceptions import ConnectionClosed

            self.connections.append(ws)
            try:
                async for raw in ws:
                    frame = json.loads(raw)
                    self.frames.append(frame)
                    self._count += 1
                    if self.drop_every and self._count % self.drop_every == 0:
                        ws.transport.abort()  # the network drops, before the receipt
                        return
                    if self.receipts and "seq" in frame:
                        await ws.send(
                            json.dumps({"type": "receipt", "v": 1, "seqs": [frame["seq"]]})
                        )
                    if self.on_frame is not None:
                        await self.on_frame(self, ws, frame)
            except ConnectionClosed:
                pass

        port = free_port()
        self._server = await serve(handler, "127.0.0.1", port, process_request=process_request)
        self.url = f"ws://127.0.0.1:{port}/ws"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


@pytest.fixture
async def cloud() -> AsyncIterator[FakeCloud]:
    c = FakeCloud()
    await c.start()
    yield c
    await c.stop()
