"""Invoking the Chalice app's handlers the way Lambda would, in-process."""

from __future__ import annotations

import threading
import time
from typing import Any

from chalice import Chalice
from chalice.local import LambdaContext

_lock = threading.Lock()


def context(function_name: str, timeout_s: int = 60) -> LambdaContext:
    return LambdaContext(function_name, memory_size=512, max_runtime_ms=timeout_s * 1000)


def invoke(app: Chalice, name: str, event: dict[str, Any], timeout_s: int = 60) -> Any:
    """Call the handler registered under ``name`` with a Lambda-shaped event."""
    from infra.local.stats import count, peak

    count(f"invoke.{name}")
    handler = app.handler_map[name]
    started = time.perf_counter()
    try:
        return handler(event, context(name, timeout_s))
    finally:
        peak(f"invoke.{name}", (time.perf_counter() - started) * 1000, _what(event))


def _what(event: dict[str, Any]) -> str:
    """A short label for the peak: an SQS record's job, a WebSocket frame's type."""
    records = event.get("Records") or []
    if records:
        body = str(records[0].get("body") or "")
        return body[:120]
    body = str(event.get("body") or "")  # a WebSocket frame: its type says which
    frame_type = body.split('"type":', 1)[1][:40].split(",", 1)[0] if '"type":' in body else ""
    return f"{event.get('requestContext', {}).get('routeKey') or ''} {frame_type}".strip()
