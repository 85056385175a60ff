"""Counters of what the local stack does, for benchmarks: GET /dev/stats.json.

DynamoDB requests by operation (counted where moto answers them), WebSocket
frames in and out, Lambda-style invocations by handler.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

_lock = threading.Lock()
_counts: Counter[str] = Counter()


def count(key: str, amount: int = 1) -> None:
    with _lock:
        _counts[key] += amount


def snapshot() -> dict[str, Any]:
    with _lock:
        return dict(_counts)


def count_dynamodb_requests() -> None:
    """Count every DynamoDB API call moto's server answers, by operation."""
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    if getattr(original, "_counted", False):
        return

    def counted(self: Any) -> Any:
        count(f"dynamodb.{self._get_action()}")
        return original(self)

    counted._counted = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = counted  # type: ignore[method-assign]
