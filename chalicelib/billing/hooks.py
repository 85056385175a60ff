"""Where other modules plug into billing without billing importing them.

* ``on_pause(fn)``: ``fn(user_id, reason)`` runs when the dunning sweep stops a
  user's sending (grace over). Campaigns register one that pauses running campaigns
  with that reason.
* ``on_resume(fn)``: ``fn(user_id)`` runs when a paused user pays.
* ``count_sessions(fn)``: ``fn(user_id) -> int``, the user's WhatsApp numbers,
  shown by ``GET /api/billing``.

Listeners must be idempotent: a webhook or sweep may run twice.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.logs import logger

PauseListener = Callable[[str, str], None]
ResumeListener = Callable[[str], None]
SessionCounter = Callable[[str], int]

_pause: list[PauseListener] = []
_resume: list[ResumeListener] = []
_counter: list[SessionCounter] = []


def on_pause(fn: PauseListener) -> PauseListener:
    if fn not in _pause:
        _pause.append(fn)
    return fn


def on_resume(fn: ResumeListener) -> ResumeListener:
    if fn not in _resume:
        _resume.append(fn)
    return fn


def count_sessions(fn: SessionCounter) -> SessionCounter:
    _counter[:] = [fn]
    return fn


def sessions_of(user_id: str) -> int:
    return _counter[0](user_id) if _counter else 0


def fire_pause(user_id: str, reason: str) -> None:
    for fn in list(_pause):
        try:
            fn(user_id, reason)
        except Exception:
            logger.exception("pause listener failed", extra={"user_id": user_id})
            raise


def fire_resume(user_id: str) -> None:
    for fn in list(_resume):
        try:
            fn(user_id)
        except Exception:
            logger.exception("resume listener failed", extra={"user_id": user_id})
            raise


def clear() -> None:
    """Tests only: forget pause/resume listeners (the session counter stays)."""
    _pause.clear()
    _resume.clear()
