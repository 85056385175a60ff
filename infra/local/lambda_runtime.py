"""Invoking the Chalice app's handlers the way Lambda would, in-process."""

from __future__ import annotations

import threading
from typing import Any

from chalice import Chalice
from chalice.local import LambdaContext

_lock = threading.Lock()


def context(function_name: str, timeout_s: int = 60) -> LambdaContext:
    return LambdaContext(function_name, memory_size=512, max_runtime_ms=timeout_s * 1000)


def invoke(app: Chalice, name: str, event: dict[str, Any], timeout_s: int = 60) -> Any:
    """Call the handler registered under ``name`` with a Lambda-shaped event."""
    from infra.local.stats import count

    count(f"invoke.{name}")
    handler = app.handler_map[name]
    return handler(event, context(name, timeout_s))
