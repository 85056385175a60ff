"""Make moto's DynamoDB conditional writes atomic, as DynamoDB's are.

moto's backend does not lock between checking a condition and writing, so
threads (the local stack's HTTP, WebSocket and SQS threads; concurrency tests)
could interleave there and, say, lease one message twice. Serialising the
backend's write methods restores DynamoDB's per-request atomicity.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_lock = threading.RLock()


def serialise_dynamodb_writes() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    for name in (
        "put_item",
        "update_item",
        "delete_item",
        "transact_write_items",
        "batch_write_item",
    ):
        original = getattr(DynamoDBBackend, name, None)
        if original is None or getattr(original, "_serialised", False):
            continue

        def make(method: Any) -> Any:
            @functools.wraps(method)
            def serialised(self: Any, *args: Any, **kwargs: Any) -> Any:
                with _lock:
                    return method(self, *args, **kwargs)

            serialised._serialised = True  # type: ignore[attr-defined]
            return serialised

        setattr(DynamoDBBackend, name, make(original))
