"""Message quota hooks. Billing installs the real rules; until then nothing is limited.

reserve(user_id, n, token) holds n messages at launch (raises a DomainError when the
plan has not enough left; idempotent per token); consume(user_id, n) turns held
messages into used ones as they are sent; release(user_id, n) gives back what will
not be sent (skipped, failed, cancelled). sending_allowed(user_id) → (bool, reason)
lets billing pause sending (e.g. payment failed past its grace).
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.errors import DomainError
from chalicelib.logs import logger


def _reserve(user_id: str, n: int, token: str) -> None:
    return None


def _move(user_id: str, n: int) -> None:
    return None


def _allowed(user_id: str) -> tuple[bool, str | None]:
    return True, None


def _remaining(user_id: str) -> int | None:
    return None  # unlimited


reserve: Callable[[str, int, str], None] = _reserve
consume: Callable[[str, int], None] = _move
release: Callable[[str, int], None] = _move
sending_allowed: Callable[[str], tuple[bool, str | None]] = _allowed
# Messages the plan still allows this period (None: no limit), for the launch summary.
remaining: Callable[[str], int | None] = _remaining


def install(
    *,
    reserve_fn: Callable[[str, int, str], None],
    consume_fn: Callable[[str, int], None],
    release_fn: Callable[[str, int], None],
    allowed_fn: Callable[[str], tuple[bool, str | None]],
) -> None:
    global reserve, consume, release, sending_allowed
    reserve, consume, release, sending_allowed = reserve_fn, consume_fn, release_fn, allowed_fn


def safely(move: str, user_id: str, n: int) -> None:
    """Consume or release; a bookkeeping mismatch is logged, never fatal to sending."""
    fn = consume if move == "consume" else release
    try:
        fn(user_id, n)
    except DomainError as error:
        logger.error(
            "quota bookkeeping",
            extra={"user_id": user_id, "move": move, "n": n, "error": error.code},
        )


def install_remaining(fn: Callable[[str], int | None]) -> None:
    global remaining
    remaining = fn
