"""Lazily created AWS clients.

Never created at import time, so tests (moto) and cold starts stay clean. boto3
honours the standard AWS_ENDPOINT_URL / AWS_REGION variables, which is how the
local stack points everything at moto.
"""

from __future__ import annotations

import threading
from typing import Any

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def client(service: str) -> Any:
    with _lock:
        found = _clients.get(service)
        if found is None:
            import boto3  # here, not at module level: `import app` stays cheap

            found = boto3.client(service)
            _clients[service] = found
        return found


def reset_clients() -> None:
    """Forget cached clients (tests switch moto backends between cases)."""
    with _lock:
        _clients.clear()
