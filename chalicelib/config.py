"""Settings from the environment (12-factor). Read lazily so tests can set them first."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

# Durations in settings and environment names end in their unit: _S, _MS, _MINUTES,
# _DAYS. Old names that spelt SECONDS still work, with a warning (see RENAMED).
RENAMED = {
    "WACAST_RATE_BURST_S": "WACAST_RATE_BURST_SECONDS",
    "WACAST_BILLING_GRACE_S": "WACAST_BILLING_GRACE_SECONDS",
    "WACAST_LOCAL_SCHEDULE_S": "WACAST_LOCAL_SCHEDULE_SECONDS",
}


def stage() -> str:
    return os.environ.get("WACAST_STAGE", "dev")


def resource_name(name: str) -> str:
    """Physical name of a table, queue or bucket: wacast-<stage>-<name>."""
    return f"wacast-{stage()}-{name}"


def env(name: str) -> str | None:
    """The variable ``name``, or its old name's value (warned about) if only that is set."""
    raw = os.environ.get(name)
    old = RENAMED.get(name)
    if raw in (None, "") and old and os.environ.get(old) not in (None, ""):
        from chalicelib.logs import logger  # here: logs must not load before settings

        logger.warning("deprecated setting name", extra={"old": old, "new": name})
        return os.environ[old]
    return raw


def _int(name: str, default: int) -> int:
    raw = env(name)
    return int(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    stage: str
    app_url: str
    mail_from: str
    write_rate_per_minute: int
    read_rate_per_minute: int
    rate_burst_s: int
    login_attempts_per_15min_email: int
    login_attempts_per_15min_source: int
    max_body_bytes: int
    token_ttl_days: int
    password_reset_ttl_minutes: int
    uploads_bucket: str
    media_bucket: str
    ws_domain: str
    ws_stage: str
    stripe_secret_key: str
    stripe_webhook_secret: str
    stripe_api_base: str
    stripe_price_starter: str
    stripe_price_pro: str
    billing_grace_s: int
    lease_slack_s: int
    stop_keywords: tuple[str, ...]
    test_sends_per_day: int = 20
    public_rate_per_minute: int = 30
    registrations_per_hour_per_source: int = 20


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings(
        stage=stage(),
        app_url=os.environ.get("WACAST_APP_URL", "http://127.0.0.1:8000"),
        mail_from=os.environ.get("WACAST_MAIL_FROM", "wacast <no-reply@wacast.local>"),
        write_rate_per_minute=_int("WACAST_RATE_WRITES_PER_MINUTE", 60),
        read_rate_per_minute=_int("WACAST_RATE_READS_PER_MINUTE", 600),
        rate_burst_s=_int("WACAST_RATE_BURST_S", 10),
        login_attempts_per_15min_email=_int("WACAST_LOGIN_ATTEMPTS_PER_EMAIL", 10),
        login_attempts_per_15min_source=_int("WACAST_LOGIN_ATTEMPTS_PER_SOURCE", 50),
        max_body_bytes=_int("WACAST_MAX_BODY_BYTES", 1_048_576),
        # Renewed on use past half-life (sliding), so only idle tokens lapse.
        token_ttl_days=_int("WACAST_TOKEN_TTL_DAYS", 30),
        password_reset_ttl_minutes=_int("WACAST_PASSWORD_RESET_TTL_MINUTES", 60),
        uploads_bucket=os.environ.get("WACAST_UPLOADS_BUCKET", resource_name("uploads")),
        media_bucket=os.environ.get("WACAST_MEDIA_BUCKET", resource_name("media")),
        ws_domain=os.environ.get("WACAST_WS_DOMAIN", ""),
        ws_stage=os.environ.get("WACAST_WS_STAGE", stage()),
        # Billing: unset secret key means billing endpoints answer 503 (not configured).
        stripe_secret_key=os.environ.get("STRIPE_SECRET_KEY", ""),
        stripe_webhook_secret=os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        # Where the Stripe client sends API calls; empty means api.stripe.com.
        stripe_api_base=os.environ.get("WACAST_STRIPE_API_BASE", ""),
        stripe_price_starter=os.environ.get("WACAST_STRIPE_PRICE_STARTER", ""),
        stripe_price_pro=os.environ.get("WACAST_STRIPE_PRICE_PRO", ""),
        billing_grace_s=_int("WACAST_BILLING_GRACE_S", 3 * 86400),
        # How long past its turn a leased message may wait before it returns to the outbox.
        lease_slack_s=_int("WACAST_LEASE_SLACK_S", 120),
        # Replies that opt a contact out, besides STOP, UNSUBSCRIBE, PARAR and CANCELAR.
        stop_keywords=tuple(
            w.strip().upper()
            for w in os.environ.get("WACAST_STOP_KEYWORDS", "").split(",")
            if w.strip()
        ),
        # Test sends a user may queue in a rolling day (each also uses one quota message).
        test_sends_per_day=_int("WACAST_TEST_SENDS_PER_DAY", 20),
        # Requests a minute per source address to routes that need no sign-in.
        public_rate_per_minute=_int("WACAST_RATE_PUBLIC_PER_MINUTE", 30),
        registrations_per_hour_per_source=_int("WACAST_REGISTRATIONS_PER_HOUR", 20),
    )


def reset_settings_cache() -> None:
    settings.cache_clear()
