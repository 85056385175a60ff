"""The plan's limit on numbers. Billing replaces ``check`` with the plan's rule."""

from __future__ import annotations

from collections.abc import Callable

# (user_id, sessions the user has now) -> raises a DomainError when one more is not allowed.
SessionLimit = Callable[[str, int], None]


def _no_limit(user_id: str, current: int) -> None:
    return None


check: SessionLimit = _no_limit


def set_check(rule: SessionLimit) -> None:
    global check
    check = rule
