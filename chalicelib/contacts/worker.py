"""The contacts queue's SQS handler: import chunks and bulk deletes."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.logs import logger


def contacts_batch(event: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.contacts.imports import handle_message

    failures = []
    for record in event.get("Records", []):
        try:
            receive_count = int((record.get("attributes") or {}).get("ApproximateReceiveCount", 1))
            handle_message(json.loads(record["body"]), receive_count)
        except Exception:
            logger.exception("contacts job failed", extra={"message_id": record.get("messageId")})
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
