"""Users, and the guard items that make email uniqueness atomic."""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.models.base import region, table_name


class UserModel(Model):
    """One user. Email guard items share the table (user_id = ``email#<email>``)."""

    class Meta:
        table_name = table_name("users")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    user_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    password_hash = UnicodeAttribute(null=True)
    role = UnicodeAttribute(null=True)
    default_region = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(null=True)
    created_at = NumberAttribute(null=True)
    password_changed_at = NumberAttribute(null=True)
    # Local first (docs/contacts.md): the customers' language (also the app's), the
    # languages whose opt-out words count, the account's own opt-out words, and when the
    # first-run step was done.
    language = UnicodeAttribute(null=True)
    optout_languages = ListAttribute(null=True)  # type: ignore[var-annotated]
    optout_words = ListAttribute(null=True)  # type: ignore[var-annotated]
    onboarded_at = NumberAttribute(null=True)
    # Only on guard items: the user that owns the email.
    owner_id = UnicodeAttribute(null=True)
    # Which campaign events also send an email (chalicelib/campaigns/emails.py).
    email_settings = MapAttribute(null=True)  # type: ignore[var-annotated]
    # Days inbound message bodies are kept (chalicelib/conversations); None = default.
    inbox_retention_days = NumberAttribute(null=True)


def email_guard_key(email: str) -> str:
    return f"email#{email}"
