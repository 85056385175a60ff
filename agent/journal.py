"""SQLite journal (stdlib sqlite3, WAL): the outbox of frames awaiting a cloud receipt, and
the send journal that guarantees a message is never handed to OpenWA twice.

Send rows move ``journalled -> sent | failed``; a row still ``journalled`` when the agent
starts again was maybe sent, so it becomes ``unknown`` and is reported, never retried.
Finished rows carry ``reported = 0`` until they are packed into a ``results`` frame in the
same transaction that puts that frame in the outbox, so a crash loses no result.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from wacast_protocol import ResultItem, Results

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY, frame TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sends (
    campaign_id TEXT NOT NULL, phone TEXT NOT NULL, session_id TEXT NOT NULL,
    to_id TEXT NOT NULL, status TEXT NOT NULL, wa_message_id TEXT, reason TEXT,
    created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, reported INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, phone));
CREATE INDEX IF NOT EXISTS sends_unreported ON sends (reported, status);
CREATE INDEX IF NOT EXISTS sends_wa_id ON sends (wa_message_id);
CREATE INDEX IF NOT EXISTS sends_session_day ON sends (session_id, status, updated_ms);
"""


log = logging.getLogger("agent")


def now_ms() -> int:
    return int(time.time() * 1000)


# OpenWA refused these before anything went out, so a retry may send again.
RESEND_SAFE = frozenset(
    {
        "needs_license",
        "not_on_whatsapp",
        "invalid_number",
        "no_chats",
        "chat_not_found",
        "broadcast_refused",
        "restricted",
        "rate_limited",
    }
)


@dataclass(frozen=True)
class SendRow:
    campaign_id: str
    phone: str
    session_id: str
    status: str
    wa_message_id: str | None
    reason: str | None
    updated_ms: int


class Journal:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(sends)")}
        if "detail" not in columns:  # journals of agents before OpenWA refusal details
            self._db.execute("ALTER TABLE sends ADD COLUMN detail TEXT")
        self._add_ack_column()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------------ outbox
    def _next_seq(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key='next_seq'").fetchone()
        seq = int(row[0]) if row else 1
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('next_seq', ?)", (str(seq + 1),))
        return seq

    def _add_frame(self, frame: dict[str, Any]) -> int:
        seq = self._next_seq()
        body = dict(frame, seq=seq)
        self._db.execute(
            "INSERT INTO outbox VALUES (?, ?, ?)",
            (seq, json.dumps(body, separators=(",", ":")), now_ms()),
        )
        return seq

    def add_frame(self, frame: dict[str, Any]) -> int:
        """Store a frame (a JSON-able dict without seq); returns its seq."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                seq = self._add_frame(frame)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return seq

    def outbox_after(self, seq: int, limit: int = 100) -> list[tuple[int, str]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, frame FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
            )
            return [(int(s), str(f)) for s, f in rows]

    def receipt(self, seqs: list[int]) -> int:
        with self._lock:
            cur = self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])
            return cur.rowcount

    def outbox_size(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    # ------------------------------------------------------------------ send journal
    def journal_send(self, campaign_id: str, phone: str, session_id: str, to_id: str) -> bool:
        """Record intent to send, BEFORE calling OpenWA. False if this recipient was
        journalled before and may have been reached then: it must not be sent again. Only
        an earlier attempt that OpenWA refused outright (``RESEND_SAFE``) may go again:
        the user retried it, e.g. once the number has its licence key."""
        with self._lock:
            ts = now_ms()
            cur = self._db.execute(
                "INSERT OR IGNORE INTO sends (campaign_id, phone, session_id, to_id, status,"
                " created_ms, updated_ms) VALUES (?, ?, ?, ?, 'journalled', ?, ?)",
                (campaign_id, phone, session_id, to_id, ts, ts),
            )
            if cur.rowcount == 1:
                return True
            safe = sorted(RESEND_SAFE)
            cur = self._db.execute(
                "UPDATE sends SET status='journalled', session_id=?, to_id=?, reason=NULL,"
                " detail=NULL, wa_message_id=NULL, reported=0, updated_ms=?"
                " WHERE campaign_id=? AND phone=? AND status='failed'"
                f" AND reason IN ({','.join('?' * len(safe))})",
                (session_id, to_id, ts, campaign_id, phone, *safe),
            )
            return cur.rowcount == 1

    def may_resend(self, row: SendRow) -> bool:
        return row.status == "failed" and row.reason in RESEND_SAFE

    def report_again(self, campaign_id: str, phone: str) -> None:
        """A recipient leased again that must not be re-sent (a retry of a failure that
        may have gone out, or a send whose result was lost): its journalled outcome is
        reported once more, so the cloud settles the lease instead of waiting on it. A send
        that never finished is reported ``unknown``."""
        with self._lock:
            self._db.execute(
                "UPDATE sends SET status='unknown', reason=NULL, updated_ms=?"
                " WHERE campaign_id=? AND phone=? AND status='journalled'",
                (now_ms(), campaign_id, phone),
            )
            self._db.execute(
                "UPDATE sends SET reported=0 WHERE campaign_id=? AND phone=?",
                (campaign_id, phone),
            )

    def finish_send(
        self,
        campaign_id: str,
        phone: str,
        status: str,
        wa_message_id: str | None = None,
        reason: str | None = None,
        detail: str | None = None,
    ) -> None:
        if status not in ("sent", "failed", "unknown"):
            raise ValueError(status)
        with self._lock:
            self._db.execute(
                "UPDATE sends SET status=?, wa_message_id=?, reason=?, detail=?, updated_ms=?"
                " WHERE campaign_id=? AND phone=? AND status='journalled'",
                (status, wa_message_id, reason, detail, now_ms(), campaign_id, phone),
            )

    def claim_message_id(
        self, session_id: str, to_id: str, wa_message_id: str, within_ms: int = 3_600_000
    ) -> bool:
        """A message from this number to ``to_id`` was seen with its id: give it to the
        oldest recent send to that chat that went out without one (sendImage answered
        ``true``) and report that send again, now with its id, so acks can match."""
        with self._lock:
            if self._db.execute(
                "SELECT 1 FROM sends WHERE wa_message_id=?", (wa_message_id,)
            ).fetchone():
                return False
            row = self._db.execute(
                "SELECT campaign_id, phone FROM sends WHERE session_id=? AND to_id=?"
                " AND status='sent' AND wa_message_id IS NULL AND updated_ms >= ?"
                " ORDER BY updated_ms LIMIT 1",
                (session_id, to_id, now_ms() - within_ms),
            ).fetchone()
            if row is None:
                return False
            self._db.execute(
                "UPDATE sends SET wa_message_id=?, reported=0 WHERE campaign_id=? AND phone=?",
                (wa_message_id, row[0], row[1]),
            )
            return True

    def recover_unconfirmed(self) -> int:
        """At startup: every send still 'journalled' may or may not have gone out."""
        with self._lock:
            cur = self._db.execute(
                "UPDATE sends SET status='unknown', reason=NULL, updated_ms=?"
                " WHERE status='journalled'",
                (now_ms(),),
            )
            return cur.rowcount

    def get_send(self, campaign_id: str, phone: str) -> SendRow | None:
        with self._lock:
            row = self._db.execute(
                "SELECT campaign_id, phone, session_id, status, wa_message_id, reason, updated_ms"
                " FROM sends WHERE campaign_id=? AND phone=?",
                (campaign_id, phone),
            ).fetchone()
        return SendRow(*row) if row else None

    def is_our_message(self, wa_message_id: str) -> bool:
        with self._lock:
            return (
                self._db.execute(
                    "SELECT 1 FROM sends WHERE wa_message_id=?", (wa_message_id,)
                ).fetchone()
                is not None
            )

    def sent_since(self, session_id: str, since_ms: int) -> int:
        with self._lock:
            return int(
                self._db.execute(
                    "SELECT COUNT(*) FROM sends WHERE session_id=? AND status IN ('sent','unknown')"
                    " AND updated_ms >= ?",
                    (session_id, since_ms),
                ).fetchone()[0]
            )

    def unreported_count(self) -> int:
        with self._lock:
            return int(
                self._db.execute(
                    "SELECT COUNT(*) FROM sends WHERE reported=0 AND status != 'journalled'"
                ).fetchone()[0]
            )

    def pack_results(self, limit: int = 50) -> int | None:
        """Move up to ``limit`` finished, unreported sends into one outbox ``results`` frame
        (one transaction). Returns the frame's seq, or None if nothing was pending."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                rows = self._db.execute(
                    "SELECT campaign_id, phone, session_id, status, wa_message_id, reason,"
                    " updated_ms, detail, ack FROM sends"
                    " WHERE reported=0 AND status != 'journalled'"
                    " ORDER BY updated_ms LIMIT ?",
                    (limit,),
                ).fetchall()
                if not rows:
                    self._db.execute("ROLLBACK")
                    return None
                items: list[ResultItem] = []
                for cid, phone, sid, status, wa_id, reason, ts, detail, ack in rows:
                    try:
                        items.append(
                            ResultItem(
                                campaign_id=cid,
                                phone=phone,
                                session_id=sid,
                                outcome=status,
                                ts=ts,
                                wa_message_id=wa_id or None,
                                reason=reason or None,
                                detail=detail[:500] if detail else None,
                                # delivered/read before the result left: rides along
                                ack=ack if status == "sent" and ack >= 2 else None,
                            )
                        )
                    except ValidationError as error:
                        # A bug wrote a row the protocol cannot carry: set it aside
                        # (reported = -1, kept for a look), loudly, rather than hold up
                        # every result behind it. The journal still never sends it twice.
                        log.error(
                            "journalled result does not fit the protocol; set aside",
                            extra={
                                "campaign_id": cid,
                                "errors": error.errors(include_url=False, include_input=False),
                            },
                        )
                        self._db.execute(
                            "UPDATE sends SET reported=-1 WHERE campaign_id=? AND phone=?",
                            (cid, phone),
                        )
                if not items:
                    self._db.execute("COMMIT")
                    return None
                frame = Results(items=items).model_dump(mode="json", exclude_none=True)
                frame.pop("seq", None)
                seq = self._add_frame(frame)
                self._db.executemany(
                    "UPDATE sends SET reported=1 WHERE campaign_id=? AND phone=?",
                    [(item.campaign_id, item.phone) for item in items],
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return seq

    # ------------------------------------------------------------------ recovery
    def _add_ack_column(self) -> None:
        """Journals made before acks were kept get the column (0 = none seen yet)."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(sends)")}
        if "ack" not in columns:
            self._db.execute("ALTER TABLE sends ADD COLUMN ack INTEGER NOT NULL DEFAULT 0")

    def note_acks(self, acks: Iterable[tuple[str, int]]) -> None:
        """Keep the highest ack reported for our messages. Called once the acks are in the
        outbox, so a crash before that leaves them to the ack catch-up after a restart."""
        with self._lock:
            self._db.executemany(
                "UPDATE sends SET ack=? WHERE wa_message_id=? AND ack < ?",
                [(ack, wa_id, ack) for wa_id, ack in acks],
            )

    def fold_ack(self, wa_message_id: str, ack: int) -> bool:
        """An ack for a sent message whose result is not packed yet rides in that result
        (one write in the cloud instead of two). True when folded."""
        with self._lock:
            cur = self._db.execute(
                "UPDATE sends SET ack=MAX(ack, ?) WHERE wa_message_id=? AND reported=0"
                " AND status='sent'",
                (ack, wa_message_id),
            )
            return cur.rowcount == 1

    def unread_sends(self, session_id: str, since_ms: int) -> list[tuple[str, int]]:
        """(wa_message_id, highest ack seen) of messages sent since ``since_ms`` not yet read."""
        with self._lock:
            rows = self._db.execute(
                "SELECT wa_message_id, ack FROM sends WHERE session_id=? AND status='sent'"
                " AND wa_message_id IS NOT NULL AND updated_ms >= ? AND ack >= 0 AND ack < 3",
                (session_id, since_ms),
            ).fetchall()
        return [(str(w), int(a)) for w, a in rows]

    def unreceipted_sends(self) -> list[tuple[str, str, str]]:
        """(session_id, campaign_id, phone) of sends whose outcome the cloud has not
        receipted: still journalled, finished but not packed, or packed into a
        ``results`` frame still in the outbox."""
        with self._lock:
            rows = self._db.execute(
                "SELECT session_id, campaign_id, phone FROM sends WHERE reported=0"
            ).fetchall()
            frames = self._db.execute("SELECT frame FROM outbox ORDER BY seq").fetchall()
        out = [(str(s), str(c), str(p)) for s, c, p in rows]
        for (raw,) in frames:
            try:
                frame = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(frame, dict) or frame.get("type") != "results":
                continue
            for item in frame.get("items") or []:
                if isinstance(item, dict):
                    out.append(
                        (
                            str(item.get("session_id", "")),
                            str(item.get("campaign_id", "")),
                            str(item.get("phone", "")),
                        )
                    )
        return out
