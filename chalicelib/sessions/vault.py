"""Secrets at rest (a number's OpenWA licence key): encrypt on write, decrypt to push.

Two implementations behind one small interface:

* ``KmsCipher`` when ``WACAST_KMS_KEY_ID`` is set (production): KMS Encrypt/Decrypt
  with an encryption context naming the owner, so a ciphertext copied onto another
  number does not decrypt.
* ``AesGcmCipher`` with ``WACAST_SECRETS_KEY`` (32 bytes, base64): AES-256-GCM, the
  owner as associated data for the same reason.

Outside Lambda with neither configured (tests, the local stack, whose data lives in
memory), a random per-process key is used. Inside Lambda that is refused: a key
must be configured. Plaintexts never reach a log line.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.errors import ServiceUnavailable
from chalicelib.logs import logger

if TYPE_CHECKING:
    from chalicelib.models.sessions import WaSessionModel

AES_PREFIX = "a1:"
KMS_PREFIX = "k1:"
NONCE_BYTES = 12


class VaultError(Exception):
    """A ciphertext could not be decrypted (wrong key, tampered, other owner)."""


class Cipher(Protocol):
    def encrypt(self, plaintext: str, owner: str) -> str: ...

    def decrypt(self, token: str, owner: str) -> str: ...


class AesGcmCipher:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the secrets key must be 32 bytes")
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str, owner: str) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), owner.encode())
        return AES_PREFIX + base64.b64encode(nonce + sealed).decode()

    def decrypt(self, token: str, owner: str) -> str:
        from cryptography.exceptions import InvalidTag

        if not token.startswith(AES_PREFIX):
            raise VaultError("not an AES-GCM ciphertext")
        try:
            raw = base64.b64decode(token[len(AES_PREFIX) :], validate=True)
            opened = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], owner.encode())
        except (InvalidTag, ValueError, binascii.Error):
            raise VaultError("ciphertext does not open with this key") from None
        return opened.decode()


class KmsCipher:
    def __init__(self, key_id: str) -> None:
        self.key_id = key_id

    def _kms(self) -> Any:
        from chalicelib import aws

        return aws.client("kms")

    def encrypt(self, plaintext: str, owner: str) -> str:
        reply = self._kms().encrypt(
            KeyId=self.key_id,
            Plaintext=plaintext.encode(),
            EncryptionContext={"wacast:owner": owner},
        )
        return KMS_PREFIX + base64.b64encode(reply["CiphertextBlob"]).decode()

    def decrypt(self, token: str, owner: str) -> str:
        if not token.startswith(KMS_PREFIX):
            raise VaultError("not a KMS ciphertext")
        kms = self._kms()
        try:
            reply = kms.decrypt(
                KeyId=self.key_id,
                CiphertextBlob=base64.b64decode(token[len(KMS_PREFIX) :]),
                EncryptionContext={"wacast:owner": owner},
            )
        except kms.exceptions.InvalidCiphertextException:
            raise VaultError("KMS refused the ciphertext") from None
        return bytes(reply["Plaintext"]).decode()


@lru_cache(maxsize=1)
def cipher() -> Cipher:
    kms_key = os.environ.get("WACAST_KMS_KEY_ID", "").strip()
    if kms_key:
        return KmsCipher(kms_key)
    raw = os.environ.get("WACAST_SECRETS_KEY", "").strip()
    if raw:
        try:
            return AesGcmCipher(base64.b64decode(raw, validate=True))
        except (ValueError, binascii.Error):
            raise ServiceUnavailable(
                "Secret storage is misconfigured; ask the administrator.",
                code="secrets_not_configured",
            ) from None
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        raise ServiceUnavailable(
            "Secret storage is not configured; ask the administrator.",
            code="secrets_not_configured",
        )
    logger.warning("no WACAST_SECRETS_KEY or WACAST_KMS_KEY_ID: using a per-process dev key")
    return AesGcmCipher(secrets.token_bytes(32))


def reset() -> None:
    """Forget the cipher (tests change the configuration)."""
    cipher.cache_clear()


def seal(plaintext: str, owner: str) -> str:
    return cipher().encrypt(plaintext, owner)


def open_(token: str, owner: str) -> str:
    return cipher().decrypt(token, owner)


def owner_of(session: WaSessionModel) -> str:
    """What a number's licence key is sealed to: it opens for that number only."""
    return f"{session.user_id}#{session.session_id}"


def license_key_of(session: WaSessionModel) -> str | None:
    """The number's plaintext licence key for the agent, or None (no key, or it no longer
    opens)."""
    if not session.license_sealed:
        return None
    try:
        return open_(session.license_sealed, owner_of(session))
    except VaultError:
        # Never log the ciphertext or the key: only that it could not be used.
        logger.error("licence key does not decrypt", extra={"session_id": session.session_id})
        return None
