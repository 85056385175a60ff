"""Where other modules learn about numbers without sessions importing them.

* ``on_state_change(fn)``: ``fn(session, state, restricted_until)`` runs after a
  number's reported state changed (``service.apply_report``), before its notice goes
  out. Campaigns register one that pauses or resumes the campaigns sending from it.

Listeners must be idempotent: an agent's report may be applied twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.logs import logger

if TYPE_CHECKING:  # an annotation only: bootstrap() runs at every cold start
    from chalicelib.models.sessions import WaSessionModel

StateListener = Callable[["WaSessionModel", str, int | None], None]

_state: list[StateListener] = []


def on_state_change(fn: StateListener) -> StateListener:
    if fn not in _state:
        _state.append(fn)
    return fn


def fire_state_change(session: WaSessionModel, state: str, restricted_until: int | None) -> None:
    for fn in list(_state):
        try:
            fn(session, state, restricted_until)
        except Exception:
            logger.exception(
                "session state listener failed", extra={"session_id": session.session_id}
            )
            raise
