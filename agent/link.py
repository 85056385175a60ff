"""The agent's one WebSocket link to the cloud, with store-and-forward.

* ``async for ws in connect(...)`` reconnects with jittered exponential backoff; explicit
  open/ping/close timeouts; ``Authorization: Bearer`` header, and after a 401/403 the next
  attempts alternate to a ``?token=`` query parameter (for gateways that drop the header);
* ``hello`` is the first frame of every connection, then heartbeats every interval;
* :meth:`Link.send` writes a frame to the SQLite outbox with the next ``seq`` *before* it is
  sent; it is deleted only when a ``receipt`` names its seq. Every new connection (and every
  agent restart) re-sends what is unreceipted, in seq order. The cloud dedupes on seq.
* :meth:`Link.send_ephemeral` is for frames that are worthless later (hello, heartbeat, pull).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import urllib.parse
from collections.abc import Callable, Generator

from pydantic import BaseModel
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from agent import __version__
from agent.journal import Journal
from wacast_protocol import CloudFrame, ProtocolError, Receipt, dump_frame, parse_cloud_frame

log = logging.getLogger("agent.link")


class AuthRejected(Exception):
    pass


def jittered_backoff(base: float, cap: float) -> Callable[[], Generator[float]]:
    def delays() -> Generator[float]:
        n = 0
        while True:
            yield min(cap, base * 2**n) * random.uniform(0.5, 1.0)
            n += 1

    return delays


class Link:
    def __init__(
        self,
        url: str,
        token: str,
        journal: Journal,
        *,
        hello: Callable[[], BaseModel],
        heartbeat: Callable[[], BaseModel],
        on_frame: Callable[[CloudFrame], None],
        heartbeat_interval_s: float = 15.0,
        ping_interval_s: float = 20.0,
        ping_timeout_s: float = 20.0,
        open_timeout_s: float = 10.0,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 30.0,
    ) -> None:
        self.url = url
        self.token = token
        self.journal = journal
        self.hello = hello
        self.heartbeat = heartbeat
        self.on_frame = on_frame
        self.heartbeat_interval_s = heartbeat_interval_s
        self.ping_interval_s = ping_interval_s
        self.ping_timeout_s = ping_timeout_s
        self.open_timeout_s = open_timeout_s
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self.connected = asyncio.Event()
        self.connections = 0
        self._wakeup = asyncio.Event()
        self._ephemeral: asyncio.Queue[str] = asyncio.Queue(maxsize=1000)
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._ws: ClientConnection | None = None

    # ------------------------------------------------------------------ sending
    def send(self, frame: BaseModel) -> int:
        """Journal the frame with a new seq (it survives disconnects and restarts)."""
        data = frame.model_dump(mode="json", exclude_none=True)
        data.pop("seq", None)
        seq = self.journal.add_frame(data)
        self._wakeup.set()
        return seq

    def notify(self) -> None:
        """Frames were added to the outbox by someone else (e.g. Journal.pack_results)."""
        self._wakeup.set()

    def send_ephemeral(self, frame: BaseModel) -> bool:
        """Send if connected; dropped otherwise (the caller retries on its own schedule)."""
        if not self.connected.is_set():
            return False
        try:
            self._ephemeral.put_nowait(dump_frame(frame))
        except asyncio.QueueFull:
            return False
        self._wakeup.set()
        return True

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self) -> None:
        self._stopping.set()
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _uri(self, token_in_query: bool) -> str:
        if not token_in_query:
            return self.url
        parts = urllib.parse.urlsplit(self.url)
        query = [*urllib.parse.parse_qsl(parts.query), ("token", self.token)]
        return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))

    @staticmethod
    def _process_exception(exc: Exception) -> Exception | None:
        if isinstance(exc, InvalidStatus) and exc.response.status_code in (401, 403):
            return AuthRejected(str(exc))
        if isinstance(exc, OSError | TimeoutError | InvalidHandshake | ConnectionClosed):
            return None  # retry with backoff
        return exc

    async def run(self) -> None:
        token_in_query = False
        auth_failures = 0
        while not self._stopping.is_set():
            host = urllib.parse.urlsplit(self.url).hostname or ""
            try:
                async for ws in connect(
                    self._uri(token_in_query),
                    additional_headers={"Authorization": f"Bearer {self.token}"},
                    user_agent_header=f"wacast-agent/{__version__}",
                    open_timeout=self.open_timeout_s,
                    ping_interval=self.ping_interval_s,
                    ping_timeout=self.ping_timeout_s,
                    close_timeout=5,
                    max_size=2**20,
                    proxy=None if host in ("127.0.0.1", "localhost") else True,
                    reconnect_delays=jittered_backoff(self.backoff_base_s, self.backoff_cap_s),
                    process_exception=self._process_exception,
                ):
                    auth_failures = 0
                    started = time.monotonic()
                    try:
                        await self._session(ws)
                    except ConnectionClosed as exc:
                        log.warning(
                            "link closed", extra={"code": exc.rcvd.code if exc.rcvd else None}
                        )
                    finally:
                        self.connected.clear()
                        self._ws = None
                    if self._stopping.is_set():
                        return
                    if time.monotonic() - started < 5:  # do not hammer a flapping server
                        await asyncio.sleep(random.uniform(0.2, 1.0) * self.backoff_base_s * 2)
            except AuthRejected as exc:
                auth_failures += 1
                token_in_query = not token_in_query
                delay = min(self.backoff_cap_s, self.backoff_base_s * 2**auth_failures)
                log.error(
                    "server refused the agent token", extra={"error": str(exc), "retry_in_s": delay}
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay * random.uniform(0.5, 1))

    async def _session(self, ws: ClientConnection) -> None:
        self._ws = ws
        self.connections += 1
        while not self._ephemeral.empty():  # stale ephemeral frames are not worth sending
            self._ephemeral.get_nowait()
        await ws.send(dump_frame(self.hello()))
        log.info(
            "link connected",
            extra={"connections": self.connections, "outbox": self.journal.outbox_size()},
        )
        self.connected.set()
        tasks = [
            asyncio.create_task(self._reader(ws)),
            asyncio.create_task(self._writer(ws)),
            asyncio.create_task(self._heartbeats()),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for t in done:
                t.result()
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _reader(self, ws: ClientConnection) -> None:
        async for raw in ws:
            try:
                frame = parse_cloud_frame(raw)
            except ProtocolError as exc:
                log.warning(
                    "bad frame from cloud", extra={"code": exc.code, "details": exc.details}
                )
                continue
            if isinstance(frame, Receipt):
                self.journal.receipt(frame.seqs)
                continue
            try:
                self.on_frame(frame)
            except Exception:
                log.exception("frame handler failed", extra={"type": frame.type})

    async def _writer(self, ws: ClientConnection) -> None:
        cursor = 0
        while True:
            self._wakeup.clear()
            while not self._ephemeral.empty():
                await ws.send(self._ephemeral.get_nowait())
            rows = self.journal.outbox_after(cursor, 100)
            for seq, raw in rows:
                await ws.send(raw)
                cursor = seq
            if not rows and self._ephemeral.empty():
                await self._wakeup.wait()

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_interval_s)
            self.send_ephemeral(self.heartbeat())
