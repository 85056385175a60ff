"""Acks on their way to the cloud, coalesced per message.

Every ack the cloud applies is one conditional write on the message (and a counter
move), so the agent sends only the highest ack per message per frame, and holds a
fresh ``delivered`` (or lower) ack for a moment in case ``read`` follows at once (the
recipient had the chat open): then the two cost one write instead of two. ``read``,
``played`` and errors go at the next flush; a stop flushes everything.
"""

from __future__ import annotations

import time

from wacast_protocol import AckItem

ACK_HOLD_S = 0.5
FINAL = 3  # read; 4 (played) is final too


class AckBuffer:
    def __init__(self, hold_s: float = ACK_HOLD_S) -> None:
        self.hold_s = hold_s
        # (session, message) -> (highest ack so far, when the first one for it came)
        self._items: dict[tuple[str, str], tuple[AckItem, float]] = {}

    def __len__(self) -> int:
        return len(self._items)

    def add(self, item: AckItem) -> None:
        key = (item.session_id, item.wa_message_id)
        held = self._items.get(key)
        if held is None:
            self._items[key] = (item, time.monotonic())
        elif item.ack > held[0].ack:
            self._items[key] = (item, held[1])

    def take(self, force: bool = False) -> list[AckItem]:
        """The acks to send now: all when forced, else final ones and those held long enough."""
        cutoff = time.monotonic() - self.hold_s
        out = [
            item
            for item, since in self._items.values()
            if force or item.ack >= FINAL or item.ack < 0 or since <= cutoff
        ]
        for item in out:
            del self._items[(item.session_id, item.wa_message_id)]
        return out
