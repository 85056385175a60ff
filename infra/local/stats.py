"""Counters of what the local stack does, for benchmarks: GET /dev/stats.json.

DynamoDB requests by operation (counted where moto answers them), WebSocket
frames in and out, Lambda-style invocations by handler; and peaks: the longest API
request and the longest invocation of each handler (``peak_ms.<key>`` with what it was,
``peak_what.<key>``), since the start or since ``GET /dev/stats.json?reset=peaks``.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

_lock = threading.Lock()
_counts: Counter[str] = Counter()
_peaks: dict[str, tuple[float, str]] = {}


def count(key: str, amount: int = 1) -> None:
    with _lock:
        _counts[key] += amount


def peak(key: str, ms: float, what: str = "") -> None:
    """Keep the longest duration seen under ``key`` (and what took it)."""
    with _lock:
        if ms > _peaks.get(key, (-1.0, ""))[0]:
            _peaks[key] = (ms, what)


def reset_peaks() -> None:
    with _lock:
        _peaks.clear()


def snapshot() -> dict[str, Any]:
    with _lock:
        found: dict[str, Any] = dict(_counts)
        for key, (ms, what) in _peaks.items():
            found[f"peak_ms.{key}"] = round(ms, 1)
            found[f"peak_what.{key}"] = what
        return found


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
