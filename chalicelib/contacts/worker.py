"""The contacts queue's SQS handler: import chunks and bulk deletes."""

from __future__ import annotations

from typing import Any

from chalicelib.batch import run_batch
from chalicelib.queues import CONTACTS


def contacts_batch(event: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.contacts.imports import handle_message

    return run_batch(event, CONTACTS, handle_message)
