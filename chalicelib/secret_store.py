"""Stripe's secrets: from Secrets Manager or SSM Parameter Store when a name is
configured (deployed), else from the environment (local stack, tests).

* ``WACAST_STRIPE_SECRET_NAME``: a Secrets Manager secret holding JSON
  ``{"secret_key": "sk_…", "webhook_secret": "whsec_…"}``;
* ``WACAST_STRIPE_PARAMETER_PREFIX``: SSM SecureString parameters
  ``<prefix>secret_key`` and ``<prefix>webhook_secret``;
* otherwise ``STRIPE_SECRET_KEY`` / ``STRIPE_WEBHOOK_SECRET``.

Values are cached per container for ``CACHE_SECONDS`` (a rotation is picked up
within that time); a store that cannot be read means billing is unavailable (503),
and the secret itself is never logged.
"""

from __future__ import annotations

import json
import os
import threading
import time

from chalicelib import aws
from chalicelib.config import settings
from chalicelib.logs import logger

CACHE_SECONDS = 900
_lock = threading.Lock()
_cache: dict[str, tuple[float, dict[str, str]]] = {}


class SecretsUnavailable(Exception):
    """The configured store could not be read."""


def _from_secrets_manager(name: str) -> dict[str, str]:
    value = aws.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]
    data = json.loads(value)
    return {k: str(data.get(k) or "") for k in ("secret_key", "webhook_secret")}


def _from_parameters(prefix: str) -> dict[str, str]:
    names = {f"{prefix}secret_key": "secret_key", f"{prefix}webhook_secret": "webhook_secret"}
    reply = aws.client("ssm").get_parameters(Names=list(names), WithDecryption=True)
    found = {names[p["Name"]]: str(p["Value"]) for p in reply.get("Parameters", [])}
    return {k: found.get(k, "") for k in ("secret_key", "webhook_secret")}


def _stripe() -> dict[str, str]:
    name = os.environ.get("WACAST_STRIPE_SECRET_NAME", "")
    prefix = os.environ.get("WACAST_STRIPE_PARAMETER_PREFIX", "")
    if not name and not prefix:
        s = settings()
        return {"secret_key": s.stripe_secret_key, "webhook_secret": s.stripe_webhook_secret}
    source = f"sm:{name}" if name else f"ssm:{prefix}"
    now = time.monotonic()
    with _lock:
        cached = _cache.get(source)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        try:
            values = _from_secrets_manager(name) if name else _from_parameters(prefix)
        except Exception as error:  # botocore errors, bad JSON: billing is unavailable
            logger.error(
                "stripe secrets unreadable",
                extra={"source": source.split(":")[0], "error": type(error).__name__},
            )
            raise SecretsUnavailable(source) from None
        _cache[source] = (now, values)
        return values


def stripe_secret_key() -> str:
    return _stripe()["secret_key"]


def stripe_webhook_secret() -> str:
    return _stripe()["webhook_secret"]


def reset_cache() -> None:
    with _lock:
        _cache.clear()
