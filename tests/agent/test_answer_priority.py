"""An answer from the inbox goes ahead of a campaign's queue (issue 16): a wake while
campaign messages wait pulls once; the answer is sent next, without waiting for the
campaign's gap, and the campaign's next message still waits for its gap."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from agent.driver import SendOutcome
from agent.journal import Journal
from agent.sender import SessionSender
from tests.agent.conftest import wait_for
from wacast_protocol import Batch, BatchMessage, Outcome, Pacing, Pull, SessionState

CAMPAIGN = Pacing(min_gap_s=30, max_gap_s=30, daily_cap=1, timezone="UTC")


class FakeSession:
    session_id = "s1"
    state = SessionState.connected

    def __init__(self) -> None:
        self.state_changed = asyncio.Event()
        self.sent: list[tuple[str, str, float]] = []

    async def check_number(self, to: str) -> bool | None:
        return True

    async def send_text(self, to: str, content: str) -> SendOutcome:
        self.sent.append((to, content, time.monotonic()))
        return SendOutcome(Outcome.sent, wa_message_id=f"id-{len(self.sent)}")

    async def send_image(self, to: str, file: str, filename: str, caption: str) -> SendOutcome:
        return await self.send_text(to, caption)


class FakeLink:
    def __init__(self) -> None:
        self.pulls: list[Pull] = []

    def send_ephemeral(self, frame: Pull) -> bool:
        self.pulls.append(frame)
        return True


def _msg(campaign_id: str, i: int, text: str) -> BatchMessage:
    return BatchMessage(
        campaign_id=campaign_id,
        phone=f"+44770090000{i}",
        to=f"44770090000{i}@c.us",
        text=text,
        lease_until=int(time.time() * 1000) + 600_000,
    )


async def test_an_answer_jumps_the_campaign_queue(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    session, link = FakeSession(), FakeLink()
    sender = SessionSender(session, link, journal, on_result=lambda: None)  # type: ignore[arg-type]
    sender.start()
    try:
        await wait_for(lambda: link.pulls, what="the first pull")
        campaign = [_msg("cmp_1", i, f"promo {i}") for i in range(3)]
        sender.on_batch(Batch(session_id="s1", messages=campaign, pacing=CAMPAIGN))
        await wait_for(lambda: len(session.sent) == 1, what="the first campaign message")
        # A wake during the campaign's 30 s gap: one message is pulled, the answer.
        sender.wake()
        await wait_for(lambda: len(link.pulls) == 2, what="the urgent pull")
        assert link.pulls[1].max == 1
        answer = _msg("reply-abc", 9, "R$ 10!")
        sender.on_batch(
            Batch(
                session_id="s1",
                messages=[answer],
                pacing=Pacing(min_gap_s=2, max_gap_s=5, daily_cap=0),
            )
        )
        await wait_for(lambda: len(session.sent) == 2, what="the answer")
        assert session.sent[1][:2] == (answer.to, "R$ 10!")
        # The campaign keeps its pacing (its cap of 1 a day did not stop the answer) and
        # its next message waits for the gap: nothing else went out.
        assert sender.pacer is not None and sender.pacer.pacing.min_gap_s == 30
        await asyncio.sleep(0.3)
        assert len(session.sent) == 2
        assert [m.campaign_id for m in sender.queue] == ["cmp_1", "cmp_1"]
    finally:
        await sender.stop(0.1)
        journal.close()


def test_answers_go_to_the_front_of_a_batch(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    sender = SessionSender(FakeSession(), FakeLink(), journal, on_result=lambda: None)  # type: ignore[arg-type]
    sender.on_batch(
        Batch(
            session_id="s1",
            messages=[_msg("cmp_1", 1, "a"), _msg("cmp_1", 2, "b")],
            pacing=CAMPAIGN,
        )
    )
    sender.on_batch(
        Batch(
            session_id="s1",
            messages=[_msg("reply-1", 3, "x"), _msg("test-cmp_1", 4, "t")],
            pacing=Pacing(min_gap_s=2, max_gap_s=5, daily_cap=0),
        )
    )
    assert [m.campaign_id for m in sender.queue] == ["reply-1", "test-cmp_1", "cmp_1", "cmp_1"]
    assert sender.pacer is not None and sender.pacer.pacing.min_gap_s == 30
    journal.close()
