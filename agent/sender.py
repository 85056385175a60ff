"""Per-session sending loop: pull -> batch -> journal -> pace -> send -> results.

At most once: a recipient is journalled before OpenWA is called and a journalled recipient
is never handed to OpenWA again (even if a later batch carries it). Messages whose lease is
about to run out are dropped unsent (the cloud returns expired leases to pending).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agent.driver import SendOutcome
from agent.journal import Journal
from wacast_protocol import (
    REPLY_PREFIX,
    TEST_PREFIX,
    Batch,
    BatchMessage,
    FailReason,
    Outcome,
    Pacing,
    Pull,
    SessionState,
)

log = logging.getLogger("agent.sender")

LEASE_MARGIN_MS = 5_000  # do not start a send this close to the lease's end
PULL_TIMEOUT_S = 30.0
RATE_LIMIT_BACKOFF_S = (60.0, 900.0)
# "typing…" before a send, when the number shows it: as long as the text would take.
TYPING_S_PER_CHAR = 0.03
TYPING_S = (1.0, 6.0)


def typing_s(text: str) -> float:
    return min(TYPING_S[1], max(TYPING_S[0], len(text) * TYPING_S_PER_CHAR))


# Messages of no campaign: an answer from the inbox, a test. They go before the queued
# campaign messages (someone is waiting for them) and do not wait for a campaign's gap.
PRIORITY_PREFIXES = (REPLY_PREFIX, TEST_PREFIX)


def is_priority(msg: BatchMessage) -> bool:
    return msg.campaign_id.startswith(PRIORITY_PREFIXES)


def may_go_restricted(msg: BatchMessage) -> bool:
    """While the number may not start new chats (reachout timelock) only inbox answers go:
    they go into chats that exist. The cloud leases nothing else then either."""
    return msg.campaign_id.startswith(REPLY_PREFIX)


def now_ms() -> int:
    return int(time.time() * 1000)


class SessionDriver(Protocol):
    session_id: str
    state: SessionState

    @property
    def state_changed(self) -> asyncio.Event: ...
    async def send_text(self, to: str, content: str) -> SendOutcome: ...
    async def send_image(self, to: str, file: str, filename: str, caption: str) -> SendOutcome: ...
    async def check_number(self, to: str) -> bool | None: ...
    async def simulate_typing(self, to: str, on: bool) -> bool: ...


class LinkLike(Protocol):
    def send_ephemeral(self, frame: Pull) -> bool: ...


class Pacer:
    def __init__(self, pacing: Pacing, rng: random.Random | None = None) -> None:
        self.pacing = pacing
        self.rng = rng or random.Random()
        try:
            self.tz: ZoneInfo = ZoneInfo(pacing.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("unknown timezone, using UTC", extra={"timezone": pacing.timezone})
            self.tz = ZoneInfo("UTC")

    def gap_s(self) -> float:
        lo, hi = sorted((self.pacing.min_gap_s, self.pacing.max_gap_s))
        return self.rng.uniform(lo, hi)

    def local(self, epoch_ms: int) -> datetime:
        return datetime.fromtimestamp(epoch_ms / 1000, self.tz)

    def day_start_ms(self, epoch_ms: int) -> int:
        local = self.local(epoch_ms)
        return int(local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)

    def next_day_ms(self, epoch_ms: int) -> int:
        local = self.local(epoch_ms).replace(hour=0, minute=0, second=0, microsecond=0)
        return int((local + timedelta(days=1)).timestamp() * 1000)

    def quiet_remaining_s(self, epoch_ms: int) -> float:
        """Seconds until quiet hours end (0 when sending is allowed now)."""
        qs, qe = self.pacing.quiet_start, self.pacing.quiet_end
        if not qs or not qe or qs == qe:
            return 0.0
        local = self.local(epoch_ms)
        minute = local.hour * 60 + local.minute
        start = int(qs[:2]) * 60 + int(qs[3:])
        end = int(qe[:2]) * 60 + int(qe[3:])
        quiet = start <= minute < end if start < end else (minute >= start or minute < end)
        if not quiet:
            return 0.0
        end_dt = local.replace(hour=end // 60, minute=end % 60, second=0, microsecond=0)
        if end_dt <= local:
            end_dt += timedelta(days=1)
        return max(0.0, (end_dt - local).total_seconds())


class SessionSender:
    def __init__(
        self,
        session: SessionDriver,
        link: LinkLike,
        journal: Journal,
        *,
        on_result: Callable[[], None],
        pull_max: int = 20,
        idle_poll_s: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        self.session = session
        self.link = link
        self.journal = journal
        self.on_result = on_result
        self.pull_max = pull_max
        self.idle_poll_s = idle_poll_s
        self.rng = rng or random.Random()
        self.queue: deque[BatchMessage] = deque()
        self.pacer: Pacer | None = None
        self.sent = 0
        self.rate_limit_hits = 0
        self._wake = asyncio.Event()
        self._batch = asyncio.Event()
        self._stopping = False
        self._in_send = False
        self._task: asyncio.Task[None] | None = None
        # A wake while campaign messages are queued may announce an answer: pull once
        # before the next campaign message. Campaign messages wait for their gap until
        # ``_not_before`` (epoch ms), which an answer sent meanwhile does not reset.
        self._urgent = False
        self._not_before = 0

    @property
    def sid(self) -> str:
        return self.session.session_id

    # ------------------------------------------------------------------ inputs
    def wake(self) -> None:
        if self.queue:
            self._urgent = True
        self._wake.set()

    def on_batch(self, batch: Batch) -> None:
        only_priority = bool(batch.messages) and all(is_priority(m) for m in batch.messages)
        if self.pacer is None or not (only_priority or not batch.messages) or not self.queue:
            # An answer's batch (or an idle one) pulled between campaign messages keeps
            # the campaign's pacing for the rest of the queue.
            self.pacer = Pacer(batch.pacing, self.rng)
        queued = {(m.campaign_id, m.phone) for m in self.queue}
        ahead = [m for m in batch.messages if is_priority(m)]
        for msg in reversed(ahead):
            if (msg.campaign_id, msg.phone) not in queued:
                self.queue.appendleft(msg)
                queued.add((msg.campaign_id, msg.phone))
        for msg in batch.messages:
            if (msg.campaign_id, msg.phone) not in queued:
                self.queue.append(msg)
                queued.add((msg.campaign_id, msg.phone))
        self._batch.set()
        log.info(
            "batch",
            extra={
                "session_id": self.sid,
                "messages": len(batch.messages),
                "queued": len(self.queue),
            },
        )

    def cancel(self, campaign_id: str, phones: list[str] | None) -> int:
        keep = deque(
            m
            for m in self.queue
            if not (m.campaign_id == campaign_id and (phones is None or m.phone in phones))
        )
        dropped = len(self.queue) - len(keep)
        self.queue = keep
        log.info(
            "leases cancelled",
            extra={"session_id": self.sid, "campaign_id": campaign_id, "dropped": dropped},
        )
        return dropped

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> asyncio.Task[None]:
        """Start the send loop; returns its task (the agent watches it)."""
        self._task = asyncio.get_running_loop().create_task(self.run())
        return self._task

    async def stop(self, grace_s: float = 10.0) -> None:
        """Let an in-flight send finish (up to ``grace_s``) so it is not reported unknown."""
        self._stopping = True
        self._wake.set()
        self._batch.set()
        if self._task is None:
            return
        if self._in_send:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._task), grace_s)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _sleep(self, seconds: float, *events: asyncio.Event) -> None:
        """Sleep, cut short by any of ``events`` (or by stop)."""
        if seconds <= 0:
            return
        waits = [asyncio.ensure_future(e.wait()) for e in events]
        try:
            await asyncio.wait(waits, timeout=seconds) if waits else await asyncio.sleep(seconds)
        finally:
            for w in waits:
                w.cancel()

    async def _wait_connected(self) -> None:
        # restricted (reachout timelock): sends to existing chats still go out
        while (
            self.session.state not in (SessionState.connected, SessionState.restricted)
            and not self._stopping
        ):
            await self.session.state_changed.wait()

    # ------------------------------------------------------------------ the loop
    async def run(self) -> None:
        while not self._stopping:
            await self._wait_connected()
            if self._stopping:
                return
            if not self.queue:
                await self._pull()
                continue
            await self._step()

    async def _pull(self, wanted: int | None = None) -> None:
        self._batch.clear()
        self._wake.clear()
        if not self.link.send_ephemeral(Pull(session_id=self.sid, max=wanted or self.pull_max)):
            await self._sleep(1.0, self._wake)  # offline: try again soon
            return
        await self._sleep(PULL_TIMEOUT_S, self._batch)
        if not self.queue and self._batch.is_set():  # the cloud had nothing: idle
            # a wake that came while the pull was answered is kept: it may announce work
            # (e.g. the number just connected) that the idle answer did not see
            await self._sleep(self.idle_poll_s, self._wake)

    def _hold_back_new_chats(self) -> int:
        """The number is restricted: drop the queued messages that would start new chats,
        unsent and unjournalled (as a CancelLeases drops them), instead of trying each one
        to have it fail ``restricted``. Their leases are the cloud's to settle: it pauses the
        number's campaigns and cancels their leases, and the lease sweep (or the next
        hello, whose ``in_flight`` no longer lists them) returns them to pending, counted
        neither as sent nor as failed."""
        keep = deque(m for m in self.queue if may_go_restricted(m))
        dropped = len(self.queue) - len(keep)
        self.queue = keep
        if dropped:
            log.warning(
                "number restricted: queued messages left unsent for the cloud to return",
                extra={"session_id": self.sid, "dropped": dropped, "queued": len(keep)},
            )
        return dropped

    async def _step(self) -> None:
        pacer = self.pacer
        assert pacer is not None
        msg = self.queue[0]
        if self.session.state == SessionState.restricted and not may_go_restricted(msg):
            self._hold_back_new_chats()
            return
        now = now_ms()
        if not is_priority(msg):
            if self._urgent or self._wake.is_set():  # (a pull clears the wake)
                self._urgent = False
                # one message: an answer, if one came, goes to the front (else at most
                # one more campaign message is leased behind the queue)
                await self._pull(1)
                return
            if now < self._not_before:
                await self._sleep((self._not_before - now) / 1000, self._wake)
                return
        if msg.lease_until <= now + LEASE_MARGIN_MS:
            self.queue.popleft()
            log.info(
                "lease expired, skipped",
                extra={"session_id": self.sid, "campaign_id": msg.campaign_id},
            )
            return
        if (
            not is_priority(msg)  # answers and tests are outside the campaign's cap
            and pacer.pacing.daily_cap
            and self.journal.sent_since(self.sid, pacer.day_start_ms(now)) >= pacer.pacing.daily_cap
        ):
            log.info(
                "daily cap reached", extra={"session_id": self.sid, "cap": pacer.pacing.daily_cap}
            )
            self.queue.clear()  # leases lapse and return to pending in the cloud
            await self._sleep((pacer.next_day_ms(now) - now) / 1000 + 1, self._wake)
            return
        quiet = 0 if is_priority(msg) else pacer.quiet_remaining_s(now)
        if quiet > 0:
            log.info("quiet hours", extra={"session_id": self.sid, "remaining_s": quiet})
            self.queue = deque(m for m in self.queue if m.lease_until > now + quiet * 1000)
            await self._sleep(quiet, self._wake)  # an answer may still come in the night
            return
        self.queue.popleft()
        row = self.journal.get_send(msg.campaign_id, msg.phone)
        if row is not None and not self.journal.may_resend(row):
            log.warning(
                "already journalled, never re-sent; its outcome is reported again",
                extra={"session_id": self.sid, "campaign_id": msg.campaign_id},
            )
            self.journal.report_again(msg.campaign_id, msg.phone)
            self.on_result()
            return
        outcome = await self._send(msg)
        self.on_result()
        if self._stopping:
            return
        if outcome.reason == FailReason.restricted:
            # not one more attempt at a new chat from this batch (the driver has marked
            # the number restricted; this holds even if its state did not change)
            self._hold_back_new_chats()
        if outcome.reason == FailReason.rate_limited:
            self.rate_limit_hits += 1
            lo, hi = RATE_LIMIT_BACKOFF_S
            delay = min(hi, lo * 2 ** (self.rate_limit_hits - 1)) * self.rng.uniform(0.8, 1.2)
            log.warning(
                "rate limited, backing off", extra={"session_id": self.sid, "delay_s": delay}
            )
            await self._sleep(delay)
            return
        if outcome.outcome == Outcome.sent:
            self.rate_limit_hits = 0
        gap = pacer.gap_s()
        if is_priority(msg):
            # the campaign's own gap still runs from its last message
            self._not_before = max(self._not_before, now_ms() + int(min(gap, 5.0) * 1000))
        else:
            self._not_before = now_ms() + int(gap * 1000)

    async def _send(self, msg: BatchMessage) -> SendOutcome:
        exists = await self.session.check_number(msg.to)
        if exists is not False and self.pacer is not None and self.pacer.pacing.typing:
            # Before the journal: stopping during the pause leaves nothing half-sent.
            await self.session.simulate_typing(msg.to, True)
            await self._sleep(typing_s(msg.text))
        if not self.journal.journal_send(msg.campaign_id, msg.phone, self.sid, msg.to):
            return SendOutcome(Outcome.failed, reason=FailReason.unknown)
        if exists is False:
            outcome = SendOutcome(Outcome.failed, reason=FailReason.not_on_whatsapp)
        else:
            self._in_send = True
            try:
                if msg.media_url:
                    outcome = await self.session.send_image(
                        msg.to, msg.media_url, msg.media_filename or "image", msg.text
                    )
                else:
                    outcome = await self.session.send_text(msg.to, msg.text)
            finally:
                self._in_send = False
        self.journal.finish_send(
            msg.campaign_id,
            msg.phone,
            outcome.outcome.value,
            outcome.wa_message_id,
            outcome.reason.value if outcome.reason else None,
            outcome.detail,
        )
        if outcome.outcome == Outcome.sent:
            self.sent += 1
        log.info(
            "send",
            extra={
                "session_id": self.sid,
                "campaign_id": msg.campaign_id,
                "outcome": outcome.outcome.value,
                "reason": outcome.reason.value if outcome.reason else None,
            },
        )
        return outcome
