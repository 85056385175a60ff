"""The contacts queue's SQS handler: import chunks and bulk deletes."""

from __future__ import annotations

from typing import Any

from chalicelib.queues import CONTACTS
from chalicelib.workers import run_batch


def contacts_batch(event: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.contacts.imports import handle_message

    return run_batch(event, CONTACTS, handle_message)
