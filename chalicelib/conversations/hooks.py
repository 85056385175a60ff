"""Conversations plug into contacts' hooks, so contacts never import conversations:
deleting a contact erases their conversations.

``install()`` runs once per process from ``chalicelib.bootstrap``; idempotent and cheap
(the listener imports the inbox when first called, not at cold start).
"""

from __future__ import annotations

from chalicelib.contacts import hooks as contact_hooks


def _contacts_deleted(user_id: str, phones: list[str]) -> None:
    from chalicelib.conversations import inbox

    inbox.erase_contacts(user_id, phones)


def install() -> list[str]:
    """Returns the hooks installed (for logs and tests)."""
    contact_hooks.on_contacts_deleted(_contacts_deleted)
    return ["contacts.contacts_deleted"]
