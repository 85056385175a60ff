"""What the agent does so that a restart costs seconds and loses nothing.

* ``hello.in_flight``: the sends the journal holds without a receipted outcome, plus
  the messages still queued to send. The cloud returns every other lease at once.
* A ``sync`` answers the ``hello`` it was computed for: it never stops a session whose
  ``start_session`` was issued after the sync was computed (or, without stamps, arrived
  after that ``hello`` went out). Heartbeats report what runs, and the cloud corrects
  the rest.
* Acks lost while the agent (or OpenWA) was down: once a session connects after the
  agent started, OpenWA is asked for the current ack of every message sent from it in
  the last 7 days that has not been read, and changes are reported as ``acks``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from agent.journal import Journal
from wacast_protocol import (
    BatchMessage,
    LeaseRef,
    SessionState,
    SessionStateFrame,
    StartSession,
    Sync,
)

log = logging.getLogger("agent.recovery")

# Beyond this many the agent says "unknown" (None) and its leases wait for their expiry:
# ~100 bytes a reference keeps hello well inside API Gateway's 128 KB frame limit.
IN_FLIGHT_MAX = 1_000
ACK_CATCH_UP_DAYS = 7
ACK_CATCH_UP_CONCURRENCY = 4
ACK_CATCH_UP_RETRY_S = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)  # pauses before each round
READ = 3


def now_ms() -> int:
    return int(time.time() * 1000)


class QueueHolder(Protocol):
    queue: Iterable[BatchMessage]


class MessageLookup(Protocol):
    session_id: str
    state: SessionState

    async def call(self, method: str, args: dict[str, Any], timeout: float = 60.0) -> Any: ...


AckEmitter = Callable[[str, str, int, int], None]  # session_id, wa_message_id, ack, ts


def ack_of(response: Any) -> int | None:
    """The ack in OpenWA's ``getMessageById`` answer (a serialized message), if any."""
    if isinstance(response, dict):
        ack = response.get("ack")
        if isinstance(ack, int) and not isinstance(ack, bool) and -1 <= ack <= 4:
            return ack
    return None


class Recovery:
    def __init__(self, journal: Journal | None = None) -> None:
        self.journal = journal  # set once the agent has opened it
        self.hello_sent_ms = 0
        # session id -> (issued_at from the cloud or None, local receipt time)
        self.starts: dict[str, tuple[int | None, int]] = {}
        self.caught_up: set[str] = set()
        self._tasks: set[asyncio.Task[int]] = set()

    # ------------------------------------------------------------------ hello
    def in_flight(self, senders: dict[str, Any]) -> list[LeaseRef] | None:
        """Leases this agent still holds: journalled without a receipted result, or queued."""
        self.hello_sent_ms = now_ms()
        refs: dict[tuple[str, str, str], None] = {}
        assert self.journal is not None
        for sid, cid, phone in self.journal.unreceipted_sends():
            refs[(sid, cid, phone)] = None
        for sid, sender in senders.items():
            for msg in list(getattr(sender, "queue", ())):
                refs[(sid, msg.campaign_id, msg.phone)] = None
        if len(refs) > IN_FLIGHT_MAX:
            log.warning("too many sends in flight to list in hello", extra={"count": len(refs)})
            return None
        out = []
        for sid, cid, phone in refs:
            try:
                out.append(LeaseRef(session_id=sid, campaign_id=cid, phone=phone))
            except ValueError:
                continue  # not a lease the cloud could have made
        return out

    # ------------------------------------------------------------------ sync vs start
    def note_start(self, frame: StartSession) -> None:
        self.starts[frame.session_id] = (frame.issued_at, now_ms())

    def sync_may_stop(self, session_id: str, sync: Sync) -> bool:
        """May a sync that does not list ``session_id`` as running stop it?"""
        start = self.starts.get(session_id)
        if start is None:
            return True
        issued_at, received_ms = start
        if issued_at is not None and sync.computed_at is not None:
            fresh = issued_at >= sync.computed_at
        else:  # no stamps: a start that came after our hello is newer than its answer
            fresh = received_ms >= self.hello_sent_ms
        if fresh:
            log.info(
                "stale sync ignored for a freshly started session",
                extra={"session_id": session_id},
            )
        return not fresh

    # ------------------------------------------------------------------ ack catch-up
    def on_state(
        self, frame: SessionStateFrame, session: MessageLookup | None, emit: AckEmitter
    ) -> None:
        """First ``connected`` of a session since the agent started: catch up its acks."""
        if frame.state != SessionState.connected or session is None:
            return
        if frame.session_id in self.caught_up:
            return
        self.caught_up.add(frame.session_id)
        task = asyncio.get_running_loop().create_task(self.catch_up_acks(session, emit))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def catch_up_acks(self, session: MessageLookup, emit: AckEmitter) -> int:
        """Ask OpenWA for the current ack of each recent unread message; report the changes.

        OpenWA's REST API may open a moment after its READY event, so calls that could not
        be made are retried with a growing pause while the session stays connected."""
        sid = session.session_id
        assert self.journal is not None
        since = now_ms() - ACK_CATCH_UP_DAYS * 86_400_000
        pending = dict(self.journal.unread_sends(sid, since))
        checked, changed = len(pending), 0
        gate = asyncio.Semaphore(ACK_CATCH_UP_CONCURRENCY)

        async def one(wa_id: str, known: int) -> bool:
            nonlocal changed
            async with gate:
                try:
                    response = await session.call("getMessageById", {"messageId": wa_id}, 30)
                except Exception as exc:
                    log.info(
                        "ack catch-up call failed",
                        extra={"session_id": sid, "error": repr(exc)[:200]},
                    )
                    return False
            ack = ack_of(response)
            if ack is not None and ack > known:
                emit(sid, wa_id, ack, now_ms())
                changed += 1
            return True

        for pause in ACK_CATCH_UP_RETRY_S:
            if not pending:
                break
            await asyncio.sleep(pause)
            if session.state != SessionState.connected:
                break
            items = list(pending.items())
            done = await asyncio.gather(*(one(wa_id, known) for wa_id, known in items))
            pending = {
                wa_id: known for (wa_id, known), ok in zip(items, done, strict=True) if not ok
            }
        if pending:  # not all answered: the session's next connect tries again
            self.caught_up.discard(sid)
        log.info(
            "acks caught up",
            extra={"session_id": sid, "checked": checked, "changed": changed, "left": len(pending)},
        )
        return changed

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
