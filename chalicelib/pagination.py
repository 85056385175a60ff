"""One cursor convention for every list endpoint: ``?limit=&cursor=``.

The cursor is DynamoDB's LastEvaluatedKey, base64url-encoded. On the way back in
it is checked to have the expected key names and to belong to the caller, so a
forged cursor is a 400, never another tenant's page or a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Generic, TypeVar

from pydantic import ConfigDict, Field

from chalicelib.basemodel import BaseModel
from chalicelib.errors import BadRequest

T = TypeVar("T")


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=2048)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page")


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str | None, key_names: set[str], owner: tuple[str, str] | None = None
) -> dict[str, Any] | None:
    """Decode and check a cursor. ``owner`` is (attribute, value) the key must carry."""
    if not cursor:
        return None
    invalid = BadRequest("The cursor is not valid for this list.", code="invalid_cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(key, dict) or set(key) != key_names:
        raise invalid
    for value in key.values():
        if not (
            isinstance(value, dict)
            and len(value) == 1
            and next(iter(value)) in ("S", "N")
            and isinstance(next(iter(value.values())), str)
        ):
            raise invalid
    if owner is not None:
        attribute, expected = owner
        if key[attribute] != {"S": expected}:
            raise invalid
    return key
