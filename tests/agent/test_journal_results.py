"""The journal packs ``results`` frames through the protocol's ``Results`` model."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from agent.journal import Journal
from wacast_protocol import Results, parse_agent_frame


def _frames(journal: Journal) -> list[dict[str, object]]:
    return [json.loads(raw) for _, raw in journal.outbox_after(0)]


def test_results_frames_are_valid_protocol_frames(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.db")
    try:
        for phone in ("+5511900000001", "+5511900000002", "+5511900000003"):
            assert journal.journal_send("cmp_1", phone, "s1", f"{phone[1:]}@c.us")
        journal.finish_send("cmp_1", "+5511900000001", "sent", wa_message_id="true_1@c.us_A")
        assert journal.fold_ack("true_1@c.us_A", 3)  # read before the result left
        journal.finish_send(
            "cmp_1", "+5511900000002", "failed", reason="not_on_whatsapp", detail="x" * 900
        )
        journal.finish_send("cmp_1", "+5511900000003", "unknown")

        seq = journal.pack_results()
        assert seq is not None
        (frame,) = _frames(journal)
        parsed = parse_agent_frame(json.dumps(frame))  # what the cloud does with it
        assert isinstance(parsed, Results) and parsed.seq == seq
        items = {item.phone: item for item in parsed.items}
        assert items["+5511900000001"].ack == 3
        assert items["+5511900000001"].wa_message_id == "true_1@c.us_A"
        assert items["+5511900000002"].reason == "not_on_whatsapp"
        assert len(items["+5511900000002"].detail or "") == 500
        assert items["+5511900000003"].outcome == "unknown"
        assert "reason" not in frame["items"][2]  # type: ignore[index]  # unset: left out
        assert journal.pack_results() is None
    finally:
        journal.close()


def test_a_row_the_protocol_cannot_carry_is_set_aside_not_blocking(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    journal = Journal(tmp_path / "journal.db")
    try:
        for phone in ("+5511900000001", "+5511900000002"):
            journal.journal_send("cmp_1", phone, "s1", f"{phone[1:]}@c.us")
        # A reason the protocol does not know (a bug elsewhere in the agent).
        journal.finish_send("cmp_1", "+5511900000001", "failed", reason="made_up_reason")
        journal.finish_send("cmp_1", "+5511900000002", "failed", reason="invalid_number")
        with caplog.at_level(logging.ERROR, logger="agent"):
            assert journal.pack_results() is not None
        (frame,) = _frames(journal)
        parsed = parse_agent_frame(json.dumps(frame))
        assert isinstance(parsed, Results)
        assert [item.phone for item in parsed.items] == ["+5511900000002"]
        assert "does not fit the protocol" in caplog.text
        assert journal.unreported_count() == 0 and journal.pack_results() is None
    finally:
        journal.close()
