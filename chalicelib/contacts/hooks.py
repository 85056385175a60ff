"""Where other modules learn about contacts without contacts importing them.

* ``on_opt_out_confirmed(fn)``: ``fn(user_id, phone)`` runs when the user confirms
  that a reply held for review was an opt-out. Campaigns register one that stops
  what is still pending for that person.

Listeners must be idempotent: a confirmation may be retried.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.logs import logger

OptOutListener = Callable[[str, str], None]

_opt_out: list[OptOutListener] = []


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
