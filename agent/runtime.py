"""The agent: one link to the cloud, one webhook receiver, one driver + sender per session."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import sys
import time
from pathlib import Path

import aiohttp
from pydantic import ValidationError

from agent import __version__
from agent.acks import AckBuffer
from agent.config import AgentConfig
from agent.driver import OpenWASession
from agent.journal import Journal
from agent.link import Link
from agent.openwa import installed_version
from agent.proctree import clean_session_dir
from agent.recovery import Recovery
from agent.sender import SessionSender
from agent.supervisor import reap_orphan
from agent.webhooks import WebhookReceiver
from wacast_protocol import (
    AckItem,
    Acks,
    Batch,
    CancelLeases,
    CloudFrame,
    ErrorFrame,
    Heartbeat,
    Hello,
    Inbound,
    SessionState,
    SessionStateFrame,
    SessionSummary,
    StartSession,
    StopSession,
    Sync,
    Wake,
)

log = logging.getLogger("agent")


def now_ms() -> int:
    return int(time.time() * 1000)


class ProcessMetrics:
    """RSS and CPU of the agent process itself, without psutil."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self._last = (time.monotonic(), self._cpu())

    @staticmethod
    def _cpu() -> float:
        t = os.times()
        return t.user + t.system

    @staticmethod
    def rss_bytes() -> int:
        try:
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            import resource

            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            return int(peak if sys.platform == "darwin" else peak * 1024)

    def cpu_percent(self) -> float:
        now, cpu = time.monotonic(), self._cpu()
        wall, used = now - self._last[0], cpu - self._last[1]
        self._last = (now, cpu)
        return round(100.0 * used / wall, 2) if wall > 0 else 0.0

    def uptime_s(self) -> float:
        return round(time.monotonic() - self.t0, 3)


class Agent:
    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.sessions: dict[str, OpenWASession] = {}
        self.senders: dict[str, SessionSender] = {}
        self.metrics = ProcessMetrics()
        self.journal: Journal | None = None
        self.link: Link | None = None
        self.receiver = WebhookReceiver()
        self.http: aiohttp.ClientSession | None = None
        self._acks = AckBuffer()  # coalesced per message, see agent/acks.py
        self._results_pending = 0
        self._flush = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._failures: asyncio.Queue[BaseException] = asyncio.Queue()
        self._ops: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()
        # the version the configured command runs; replaced by what OpenWA itself announces
        self._openwa_version = installed_version(config.openwa_command)
        self.recovery = Recovery()

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        cfg = self.config
        cfg.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        cfg.sessions_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.journal = Journal(cfg.journal_path)
        self.recovery.journal = self.journal
        unknown = self.journal.recover_unconfirmed()
        if unknown:
            log.warning(
                "journalled sends without confirmation reported as unknown",
                extra={"count": unknown},
            )
        self.reap_leftovers()
        await self.receiver.start()
        self.http = aiohttp.ClientSession()
        self.link = Link(
            cfg.server_url,
            cfg.token,
            self.journal,
            hello=self.hello,
            heartbeat=self.heartbeat,
            on_frame=self.on_frame,
            heartbeat_interval_s=cfg.heartbeat_interval_s,
        )
        self._pack_results()
        self._supervisor = asyncio.get_running_loop().create_task(self._supervise())
        log.info("agent started", extra={"version": __version__, "data_dir": str(cfg.data_dir)})

    async def _supervise(self) -> None:
        """The long-lived tasks, in one group: if one dies on an unexpected error the
        group cancels the rest and :meth:`wait` raises it, so the process exits non-zero
        (launchd restarts it) rather than staying up without a link."""
        assert self.link is not None
        async with asyncio.TaskGroup() as group:
            group.create_task(self.link.run(), name="link")
            group.create_task(self._flusher(), name="results-flusher")
            group.create_task(self._purger(), name="purger")
            group.create_task(self._watched_failed(), name="watched-tasks")

    def _watch(self, task: asyncio.Task[None]) -> None:
        """A per-session loop (a sender; the OpenWA supervisor reports through
        ``on_crash``) dying on an unexpected error fails the agent as the group's own
        tasks do: otherwise its number holds leases and sends nothing."""

        def done(t: asyncio.Task[None]) -> None:
            if not t.cancelled() and (error := t.exception()) is not None:
                self._failures.put_nowait(error)

        task.add_done_callback(done)

    async def _watched_failed(self) -> None:
        raise await self._failures.get()

    async def wait(self) -> None:
        """Until the long-lived tasks end: returns after :meth:`stop`; raises (an
        ``ExceptionGroup``) when one of them failed."""
        assert self._supervisor is not None, "start() first"
        await asyncio.wait({self._supervisor})  # does not cancel it when we are cancelled
        if not self._supervisor.cancelled() and (failure := self._supervisor.exception()):
            raise failure

    async def stop(self) -> None:
        log.info("agent stopping", extra={"sessions": len(self.sessions)})
        for t in list(self._ops):
            t.cancel()
        await self.recovery.stop()
        await asyncio.gather(*(s.stop() for s in self.senders.values()), return_exceptions=True)
        await asyncio.gather(*(s.stop() for s in self.sessions.values()), return_exceptions=True)
        self._pack_results()
        self._flush_acks(force=True)
        # give the link a moment to deliver the last frames; anything left is re-sent next time
        if self.link is not None and self.journal is not None:
            deadline = time.monotonic() + 2.0
            while (
                self.journal.outbox_size()
                and self.link.connected.is_set()
                and time.monotonic() < deadline
            ):
                await asyncio.sleep(0.05)
            await self.link.stop()
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)
        await self.receiver.stop()
        if self.http is not None:
            await self.http.close()
        if self.journal is not None:
            self.journal.close()

    def reap_leftovers(self) -> int:
        """Kill what a previous run left on any session's profile (a browser, an OpenWA)."""
        killed = 0
        for path in sorted(self.config.sessions_dir.iterdir()):
            if path.is_dir():
                reap_orphan(path / "openwa.pid")
                killed += clean_session_dir(path)
        return killed

    def openwa_version(self) -> str | None:
        for s in self.sessions.values():
            if s.openwa_version:
                return s.openwa_version[:40]
        return self._openwa_version

    # ------------------------------------------------------------------ frames out
    def hello(self) -> Hello:
        return Hello(
            openwa_version=self.openwa_version(),
            agent_version=__version__,
            max_sessions=self.config.max_sessions,
            sessions=[
                SessionSummary(
                    session_id=sid,
                    state=s.state,
                    phone=s.phone if s.state == SessionState.connected else None,
                )
                for sid, s in self.sessions.items()
            ],
            in_flight=self.recovery.in_flight(self.senders),
        )

    def heartbeat(self) -> Heartbeat:
        running = sum(1 for s in self.sessions.values() if s.state != SessionState.stopped)
        return Heartbeat(
            openwa_version=self.openwa_version(),
            sessions_running=running,
            rss_bytes=self.metrics.rss_bytes(),
            cpu_percent=self.metrics.cpu_percent(),
            uptime_s=self.metrics.uptime_s(),
            sessions=[
                SessionSummary(session_id=sid, state=s.state) for sid, s in self.sessions.items()
            ],
        )

    def _on_state(self, frame: SessionStateFrame) -> None:
        assert self.link is not None
        self.link.send(frame)
        self.recovery.on_state(frame, self.sessions.get(frame.session_id), self._on_ack)
        if frame.state == SessionState.banned:  # kill-process-on-ban: stop it, keep its data
            self._spawn_op(self._stop_process_only(frame.session_id))

    def _on_ack(self, session_id: str, wa_message_id: str, ack: int, ts: int) -> None:
        assert self.journal is not None
        if not self.journal.is_our_message(wa_message_id):
            return
        if ack >= 2 and self.journal.fold_ack(wa_message_id, ack):
            return  # it rides in the message's result, not yet sent
        self._acks.add(
            AckItem(session_id=session_id, wa_message_id=wa_message_id[:200], ack=ack, ts=ts)
        )
        if len(self._acks) >= 500:  # a full frame; otherwise acks ride the results cadence
            self._flush.set()

    def _on_outgoing(self, session_id: str, to_id: str, wa_message_id: str) -> bool:
        assert self.journal is not None
        if not self.journal.claim_message_id(session_id, to_id, wa_message_id[:200]):
            return False
        log.info("message id learnt after send", extra={"session_id": session_id})
        self._on_result()
        self._flush.set()
        return True

    def _on_inbound(
        self,
        session_id: str,
        from_phone: str,
        body: str,
        msg_id: str,
        ts: int,
        push_name: str | None = None,
        kind: str | None = None,
    ) -> None:
        assert self.link is not None
        try:
            frame = Inbound(
                session_id=session_id,
                from_phone=from_phone,
                body=body[:4096],
                wa_message_id=msg_id[:200] or f"in-{ts}",
                ts=ts,
                push_name=push_name,
                kind=kind,
            )
        except ValidationError:
            log.warning("inbound message dropped (invalid)", extra={"session_id": session_id})
            return
        self.link.send(frame)

    def _on_result(self) -> None:
        self._results_pending += 1
        if self._results_pending >= self.config.results_flush_items:
            self._flush.set()

    def _pack_results(self) -> None:
        assert self.journal is not None
        packed = False
        while self.journal.pack_results(self.config.results_flush_items) is not None:
            packed = True
        self._results_pending = 0
        if packed and self.link is not None:
            self.link.notify()

    def _flush_acks(self, force: bool = False) -> None:
        if self.link is None or self.journal is None:
            return
        items = self._acks.take(force)
        while items:
            chunk, items = items[:500], items[500:]
            self.link.send(Acks(items=chunk))
            self.journal.note_acks((a.wa_message_id, a.ack) for a in chunk)  # after, not before

    async def _flusher(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._flush.wait(), self.config.results_flush_s)
            self._flush.clear()
            self._pack_results()
            self._flush_acks()

    async def _purger(self) -> None:
        while True:
            self.purge_expired()
            await asyncio.sleep(60)

    def purge_expired(self) -> list[str]:
        purged = []
        for marker in self.config.sessions_dir.glob("*/purge_after"):
            sid = marker.parent.name
            try:
                due = int(marker.read_text().strip())
            except (OSError, ValueError):
                continue
            if sid not in self.sessions and now_ms() >= due:
                shutil.rmtree(marker.parent, ignore_errors=True)
                purged.append(sid)
                log.info("session data purged", extra={"session_id": sid})
        return purged

    # ------------------------------------------------------------------ frames in
    def on_frame(self, frame: CloudFrame) -> None:
        if isinstance(frame, Sync):
            self._spawn_op(self._sync(frame))
        elif isinstance(frame, StartSession):
            self.recovery.note_start(frame)
            self._spawn_op(self.start_session(frame.session_id, frame.license_key))
        elif isinstance(frame, StopSession):
            self._spawn_op(self.stop_session(frame.session_id, frame.purge_after))
        elif isinstance(frame, Batch):
            sender = self.senders.get(frame.session_id)
            if sender is None:
                log.warning(
                    "batch for a session not running", extra={"session_id": frame.session_id}
                )
            else:
                sender.on_batch(frame)
        elif isinstance(frame, Wake):
            for sid in frame.session_ids:
                if sid in self.senders:
                    self.senders[sid].wake()
        elif isinstance(frame, CancelLeases):
            if frame.session_id in self.senders:
                self.senders[frame.session_id].cancel(frame.campaign_id, frame.phones)
        elif isinstance(frame, ErrorFrame):
            log.warning(
                "cloud reported an error", extra={"code": frame.code, "error": frame.message}
            )

    def _spawn_op(self, coro: object) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
        self._ops.add(task)
        task.add_done_callback(self._ops.discard)

    async def _sync(self, frame: Sync) -> None:
        wanted = {d.session_id for d in frame.sessions if d.desired == "running"}
        for d in frame.sessions:
            if d.desired == "running":
                await self.start_session(d.session_id, d.license_key)
            else:
                await self.stop_session(d.session_id, d.purge_after)
        for sid in list(self.sessions):
            if sid not in wanted and self.recovery.sync_may_stop(sid, frame):
                await self.stop_session(sid, None)

    async def start_session(self, sid: str, license_key: str | None = None) -> None:
        """Start (or confirm) a session. ``license_key`` is the number's own key as the cloud
        has it now: kept in memory only, applied on the next (re)start; a change restarts."""
        async with self._lock:
            assert self.link is not None and self.journal is not None and self.http is not None
            if sid in self.sessions:
                existing = self.sessions[sid]
                if existing.license_key != license_key:
                    existing.license_key = license_key
                    if existing.state not in (SessionState.stopped,):
                        log.info("licence key changed, restarting", extra={"session_id": sid})
                        await existing.restart()
                        return
                if existing.state in (
                    SessionState.stopped,
                    SessionState.failed,
                    SessionState.qr_expired,
                    SessionState.logged_out,
                ):
                    await existing.start()
                    return
                self.link.send(
                    SessionStateFrame(
                        session_id=sid,
                        state=existing.state,
                        ts=now_ms(),
                        phone=existing.phone if existing.state == SessionState.connected else None,
                    )
                )
                return
            if len(self.sessions) >= self.config.max_sessions:
                self.link.send(
                    SessionStateFrame(
                        session_id=sid,
                        state=SessionState.failed,
                        ts=now_ms(),
                        reason="capacity",
                        detail="agent is at max_sessions",
                    )
                )
                return
            session = OpenWASession(
                sid,
                self.config,
                self.receiver,
                self.http,
                self._on_state,
                self._on_ack,
                self._on_inbound,
            )
            session.license_key = license_key
            session.on_outgoing = self._on_outgoing
            session.program.on_crash = self._failures.put_nowait  # as a dead sender does
            sender = SessionSender(
                session,
                self.link,
                self.journal,
                on_result=self._on_result,
                pull_max=self.config.pull_max,
                idle_poll_s=self.config.idle_poll_s,
            )
            self.sessions[sid] = session
            self.senders[sid] = sender
            await session.start()
            self._watch(sender.start())

    async def _stop_process_only(self, sid: str) -> None:
        session = self.sessions.get(sid)
        if session is not None:
            await session.program.stop()

    async def stop_session(self, sid: str, purge_after: int | None) -> None:
        async with self._lock:
            sender = self.senders.pop(sid, None)
            session = self.sessions.pop(sid, None)
            if sender is not None:
                await sender.stop()
            if session is not None:
                await session.stop()
            self._pack_results()
            if purge_after is not None:
                path = self.config.sessions_dir / sid
                if path.is_dir():
                    (path / "purge_after").write_text(str(purge_after))
            elif session is None and self.link is not None:
                self.link.send(
                    SessionStateFrame(session_id=sid, state=SessionState.stopped, ts=now_ms())
                )

    def session_dir(self, sid: str) -> Path:
        return self.config.sessions_dir / sid
