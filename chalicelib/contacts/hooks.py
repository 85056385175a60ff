"""Where other modules learn about contacts without contacts importing them.

* ``on_opt_out_confirmed(fn)``: ``fn(user_id, phone)`` runs when the user confirms
  that a reply held for review was an opt-out. Campaigns register one that stops
  what is still pending for that person.
* ``on_contacts_deleted(fn)``: ``fn(user_id, phones)`` runs after contacts are deleted
  (one, or a page of a bulk delete by tag). Conversations register one that erases the
  person's thread: their replies go with them.

Listeners must be idempotent: a confirmation may be retried.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.logs import logger

OptOutListener = Callable[[str, str], None]
DeletedListener = Callable[[str, list[str]], None]

_opt_out: list[OptOutListener] = []
_deleted: list[DeletedListener] = []


def on_opt_out_confirmed(fn: OptOutListener) -> OptOutListener:
    if fn not in _opt_out:
        _opt_out.append(fn)
    return fn


def fire_opt_out_confirmed(user_id: str, phone: str) -> None:
    for fn in list(_opt_out):
        try:
            fn(user_id, phone)
        except Exception:
            logger.exception("opt-out listener failed", extra={"user_id": user_id})
            raise


def on_contacts_deleted(fn: DeletedListener) -> DeletedListener:
    if fn not in _deleted:
        _deleted.append(fn)
    return fn


def check_deletion_wired() -> None:
    """Called before deleting: without the inbox's listener (bootstrap() registers it)
    a deleted contact's thread would stay behind."""
    if not _deleted:
        raise RuntimeError("no contacts-deleted listener installed; call bootstrap() first")


def fire_contacts_deleted(user_id: str, phones: list[str]) -> None:
    for fn in list(_deleted):
        fn(user_id, phones)
