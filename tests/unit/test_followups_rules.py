"""Pure rules of follow-ups: who each kind reaches, and the default send time."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from chalicelib.campaigns.followups import default_send_at, matches


def _message(status: str, read: bool = False, replied: bool = False) -> SimpleNamespace:
    return SimpleNamespace(
        status=status, read_at=1 if read else None, replied_at=2 if replied else None
    )


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # status, read receipt, reply → (not_read, not_replied, read_not_replied)
        (_message("sent"), (True, True, False)),
        (_message("delivered"), (True, True, False)),
        (_message("read", read=True), (False, True, True)),
        (_message("read", read=True, replied=True), (False, False, False)),
        # Replied with read receipts off: it was read, so never "not read".
        (_message("delivered", replied=True), (False, False, False)),
        # Never arrived: no follow-up of any kind.
        (_message("failed"), (False, False, False)),
        (_message("skipped"), (False, False, False)),
        (_message("cancelled"), (False, False, False)),
        (_message("unknown"), (False, False, False)),
        (_message("pending"), (False, False, False)),
    ],
)
def test_each_kind_reaches_exactly_its_recipients(
    message: SimpleNamespace, expected: tuple[bool, bool, bool]
) -> None:
    kinds = ("not_read", "not_replied", "read_not_replied")
    assert tuple(matches(message, kind) for kind in kinds) == expected


def _ms(text: str, zone: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp() * 1000)


def test_default_send_time_keeps_the_local_time_across_a_clock_change() -> None:
    # Lisbon leaves summer time on 25 Oct 2026: two days later is still 10:00 there.
    origin = SimpleNamespace(first_sent_at=_ms("2026-10-24T10:00", "Europe/Lisbon"))
    now = _ms("2026-10-24T12:00", "Europe/Lisbon")
    due = default_send_at(origin, 2, "Europe/Lisbon", now=now)  # type: ignore[arg-type]
    assert due == _ms("2026-10-26T10:00", "Europe/Lisbon")
    assert due - origin.first_sent_at == 49 * 3_600_000


def test_no_default_send_time_once_it_has_passed() -> None:
    origin = SimpleNamespace(first_sent_at=_ms("2026-10-01T10:00", "UTC"))
    now = _ms("2026-11-28T10:00", "UTC")
    assert default_send_at(origin, 2, "UTC", now=now) is None  # type: ignore[arg-type]
    assert default_send_at(origin, 60, "UTC", now=now) == _ms("2026-11-30T10:00", "UTC")
