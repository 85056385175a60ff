"""Opaque secrets: generation and one-way hashing for storage."""

from __future__ import annotations

import hashlib
import secrets


def new_secret(prefix: str) -> str:
    # 32 bytes = 256 bits of randomness; the prefix makes leaked tokens recognisable.
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def hash_secret(secret: str) -> str:
    # High-entropy secrets need no slow hash: SHA-256 is enough and keeps lookups cheap.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"
