"""API bearer tokens and password-reset tokens, both stored only as hashes."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import region, table_name


class TokensByUser(GlobalSecondaryIndex["ApiTokenModel"]):
    class Meta:
        index_name = "by_user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class ApiTokenModel(Model):
    class Meta:
        table_name = table_name("api_tokens")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    token_hash = UnicodeAttribute(hash_key=True)
    token_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    role = UnicodeAttribute(default="user")
    label = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    last_used_at = NumberAttribute(null=True)
    expires_at = TTLAttribute()
    by_user = TokensByUser()


class PasswordResetModel(Model):
    class Meta:
        table_name = table_name("password_resets")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    token_hash = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    created_at = NumberAttribute()
    used_at = NumberAttribute(null=True)
    expires_at = TTLAttribute()
