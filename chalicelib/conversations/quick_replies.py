"""Quick replies: an account's saved answers, with the campaign template language
(``{{first_name|there}}``, ``{a|b}``), filled in for the contact of a conversation."""

from __future__ import annotations

import secrets

from pynamodb.exceptions import PutError

from chalicelib.campaigns import templates
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.models.base import now_ms
from chalicelib.models.conversations import ConversationModel, QuickReplyModel

MAX_PER_ACCOUNT = 200


def list_all(user_id: str) -> list[QuickReplyModel]:
    return sorted(QuickReplyModel.query(user_id), key=lambda q: q.name.lower())


def get(user_id: str, quick_reply_id: str) -> QuickReplyModel:
    try:
        return QuickReplyModel.get(user_id, quick_reply_id)
    except QuickReplyModel.DoesNotExist:
        raise NotFound("No such quick reply.") from None


def _check(text: str) -> None:
    try:
        templates.validate(text)
    except templates.TemplateError as error:
        raise ValidationFailed(str(error), code="invalid_template") from None


def _name_taken(user_id: str, name: str, other_than: str | None = None) -> bool:
    return any(
        q.name.lower() == name.lower() and q.quick_reply_id != other_than
        for q in QuickReplyModel.query(user_id)
    )


def create(user_id: str, name: str, text: str) -> QuickReplyModel:
    _check(text)
    existing = list(QuickReplyModel.query(user_id))
    if len(existing) >= MAX_PER_ACCOUNT:
        raise Conflict(
            f"An account can keep {MAX_PER_ACCOUNT} quick replies. Delete one you no longer use.",
            {"max": MAX_PER_ACCOUNT},
            code="too_many",
        )
    if _name_taken(user_id, name):
        raise Conflict(f"A quick reply named “{name}” exists already.", code="duplicate_name")
    now = now_ms()
    item = QuickReplyModel(
        user_id,
        f"qr_{secrets.token_hex(8)}",
        name=name,
        text=text,
        created_at=now,
        updated_at=now,
    )
    try:
        item.save(condition=QuickReplyModel.quick_reply_id.does_not_exist())
    except PutError:  # pragma: no cover - 64 random bits
        raise Conflict("Please try again.", code="conflict") from None
    return item


def update(user_id: str, quick_reply_id: str, name: str, text: str) -> QuickReplyModel:
    item = get(user_id, quick_reply_id)
    _check(text)
    if _name_taken(user_id, name, other_than=quick_reply_id):
        raise Conflict(f"A quick reply named “{name}” exists already.", code="duplicate_name")
    item.update(
        actions=[
            QuickReplyModel.name.set(name),
            QuickReplyModel.text.set(text),
            QuickReplyModel.updated_at.set(now_ms()),
        ]
    )
    return item


def delete(user_id: str, quick_reply_id: str) -> None:
    get(user_id, quick_reply_id).delete()


def fill(user_id: str, text: str, conversation: ConversationModel | None) -> str:
    """The text as it would go to this conversation's contact (variables with no value
    take their fallback, or are left out)."""
    from chalicelib.campaigns.templates import contact_values_of
    from chalicelib.contacts import service as contacts

    values: dict[str, str | None] = {}
    if conversation is not None and conversation.phone:
        try:
            values = contact_values_of(contacts.get_contact(user_id, conversation.phone))
        except NotFound:
            values = templates.contact_values(phone=conversation.phone, name=conversation.name)
    seed = conversation.conversation_id if conversation is not None else ""
    return templates.render(text, values, seed=seed).text
