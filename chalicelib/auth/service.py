"""Registration, login, bearer tokens and password reset."""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib import mail, ratelimit
from chalicelib.auth import passwords
from chalicelib.auth.secrets_ import hash_secret, new_secret
from chalicelib.config import settings
from chalicelib.errors import (
    BadRequest,
    Conflict,
    NotFound,
    RateLimited,
    Unauthorized,
    ValidationFailed,
)
from chalicelib.logs import logger
from chalicelib.models.base import expiry, now_ms, now_s
from chalicelib.models.tokens import ApiTokenModel, PasswordResetModel
from chalicelib.models.users import UserModel, email_guard_key
from chalicelib.pagination import decode_cursor, encode_cursor

TOKEN_PREFIX = "wct"
RESET_PREFIX = "wcr"
LAST_USED_RESOLUTION_MS = (
    3_600_000  # refresh last_used_at at most hourly: one write, not one per call
)
LOGIN_MAX_WAIT_S = 3600  # the growing wait after wrong passwords stops growing here


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: str
    token_hash: str
    refresh: str = ""  # "touch": record the use; "renew": also extend the lifetime


def normalise_email(raw: str) -> str:
    # Imported here: it compiles large regexes, a cost only sign-up and sign-in need.
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationFailed(
            "The email address is not valid.", [{"loc": ["email"], "msg": str(error)}]
        ) from None
    # Addresses are case-insensitive in practice; one account per address.
    return result.normalized.lower()


def _check_password(password: str, email: str | None) -> None:
    problem = passwords.policy_problem(password, email)
    if problem:
        raise ValidationFailed(problem, [{"loc": ["password"], "msg": problem}])


def new_user_id() -> str:
    return f"usr_{secrets.token_hex(8)}"


def register(email: str, password: str, name: str, role: str = "user") -> UserModel:
    email = normalise_email(email)
    _check_password(password, email)
    user = UserModel(
        new_user_id(),
        email=email,
        name=name.strip(),
        password_hash=passwords.hash_password(password),
        role=role,
        default_region="US",
        timezone="UTC",
        created_at=now_ms(),
        password_changed_at=now_ms(),
    )
    guard = UserModel(email_guard_key(email), owner_id=user.user_id, created_at=now_ms())
    try:
        with TransactWrite(connection=Connection(region=UserModel.Meta.region)) as transaction:
            transaction.save(guard, condition=UserModel.user_id.does_not_exist())
            transaction.save(user, condition=UserModel.user_id.does_not_exist())
    except TransactWriteError:
        raise Conflict("An account with this email already exists.", code="email_taken") from None
    logger.info("user registered", extra={"user_id": user.user_id})
    return user


def sign_up(email: str, password: str, name: str, source_ip: str) -> str:
    """Register without revealing whether the address already has an account.

    Both outcomes answer the same; the owner of a taken address gets an email
    (at most hourly) saying someone tried and how to sign in or reset instead.
    Returns the normalised email.
    """
    per_hour = settings().registrations_per_hour_per_source
    ratelimit.consume(
        f"register-ip:{source_ip}", ratelimit.Rate(per_hour, 3600, max(1, per_hour // 2))
    )
    try:
        return str(register(email, password, name).email)
    except Conflict as error:
        if error.code != "email_taken":
            raise
    email = normalise_email(email)
    try:
        ratelimit.consume(f"register-taken:{email}", ratelimit.Rate(1, 3600, 1))
    except RateLimited:
        return email  # told recently: no mail bombing through this form
    app_url = settings().app_url
    mail.enqueue(
        to=email,
        subject="Someone tried to create a wacast account with your email",
        text=(
            "Hello,\n\n"
            "Someone (hopefully you) tried to create a wacast account with this address, "
            "but it already has one.\n\n"
            f"Sign in: {app_url}/auth/login\n"
            f"Forgot your password? Reset it: {app_url}/auth/forgot\n\n"
            "If it was not you, ignore this email: nothing changed in your account.\n"
        ),
        kind="register_taken",
    )
    logger.info("registration for an existing email")
    return email


def find_user_by_email(email: str) -> UserModel | None:
    try:
        guard = UserModel.get(email_guard_key(email), consistent_read=True)
        return UserModel.get(guard.owner_id, consistent_read=True)
    except UserModel.DoesNotExist:
        return None


def get_user(user_id: str) -> UserModel:
    try:
        return UserModel.get(user_id)
    except UserModel.DoesNotExist:
        raise NotFound("No such user.") from None


def _source_buckets(email: str, source_ip: str) -> list[tuple[str, ratelimit.Rate]]:
    s = settings()
    per_email = s.login_attempts_per_15min_email
    per_source = s.login_attempts_per_15min_source
    return [
        (f"login-ip:{source_ip}", ratelimit.Rate(per_source, 900, per_source)),
        (f"login-pair:{email}|{source_ip}", ratelimit.Rate(per_email, 900, per_email)),
    ]


def _email_bucket(email: str) -> tuple[str, ratelimit.Rate]:
    per_email = settings().login_attempts_per_15min_email
    return f"login-email:{email}", ratelimit.Rate(per_email, 900, per_email)


def login(
    email: str, password: str, source_ip: str, label: str | None
) -> tuple[str, ApiTokenModel]:
    """Sign in. Throttling, so that it slows guessing without locking the owner out:

    * buckets per source and per (email, source) refuse a source that keeps failing,
      even with the right password: they stop one machine, never the owner's own;
    * the per-email bucket never refuses a correct password. Once it is empty each
      wrong password answers 429 with a wait that grows by one interval per further
      wrong attempt (capped), instead of 401.
    Only failures spend tokens.
    """
    failure = Unauthorized("Email or password is incorrect.", code="invalid_credentials")
    try:
        email = normalise_email(email)
    except ValidationFailed:
        raise failure from None
    sources = _source_buckets(email, source_ip)
    for bucket, rate in sources:
        try:
            ratelimit.check(bucket, rate)
        except RateLimited as error:
            # Said in words on the sign-in form: this device, not the account, is slowed.
            raise RateLimited(
                "Too many failed sign-ins from this device. Wait "
                f"{_minutes(error.retry_after)} before trying again, or reset your password.",
                retry_after=error.retry_after,
                details={"reason": "failed_sign_ins_from_here"},
            ) from None
    user = find_user_by_email(email)
    if user is None or not user.password_hash:
        passwords.verify_password(passwords.dummy_hash(), password)  # same cost either way
        ok = False
    else:
        ok = passwords.verify_password(user.password_hash, password)
    if not ok or user is None:
        for bucket, rate in sources:
            with contextlib.suppress(RateLimited):  # a concurrent failure emptied it
                ratelimit.consume(bucket, rate)
        bucket, rate = _email_bucket(email)
        try:
            ratelimit.consume(bucket, rate)
        except RateLimited:
            wait_s = ratelimit.penalise(bucket, rate, max_wait_s=LOGIN_MAX_WAIT_S)
            raise RateLimited(
                "Too many wrong passwords for this account. Wait "
                f"{_minutes(wait_s)} before trying again, or reset your password.",
                retry_after=wait_s,
                details={"reason": "wrong_passwords"},
            ) from None
        raise failure
    assert user.password_hash
    if passwords.needs_rehash(user.password_hash):
        user.update(actions=[UserModel.password_hash.set(passwords.hash_password(password))])
    return issue_token(user, label or "login")


def _minutes(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def issue_token(user: UserModel, label: str) -> tuple[str, ApiTokenModel]:
    secret = new_secret(TOKEN_PREFIX)
    token_hash = hash_secret(secret)
    created = now_ms()
    record = ApiTokenModel(
        token_hash,
        token_id=f"tok_{token_hash[:16]}",
        user_id=user.user_id,
        role=user.role or "user",
        label=label[:100],
        created_at=created,
        expires_at=expiry(now_s() + settings().token_ttl_days * 86_400),
    )
    record.save(condition=ApiTokenModel.token_hash.does_not_exist())
    return secret, record


def authenticate(authorization: str) -> Principal | None:
    """The principal behind an ``Authorization: Bearer …`` value, or None."""
    scheme, _, secret = authorization.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret.startswith(f"{TOKEN_PREFIX}_") or len(secret) > 200:
        return None
    token_hash = hash_secret(secret)
    try:
        record = ApiTokenModel.get(token_hash)
    except ApiTokenModel.DoesNotExist:
        return None
    # TTL deletion is lazy (up to days late), so check expiry ourselves.
    if record.expires_at is None or record.expires_at.timestamp() <= now_s():
        return None
    now = now_ms()
    # Sliding lifetime: a token used past half its life gets a full one again, so an
    # active device stays signed in while a forgotten one lapses. The authorizer only
    # reads (its IAM role can do nothing else); the API handler writes via touch().
    ttl_s = settings().token_ttl_days * 86_400
    refresh = ""
    if record.expires_at.timestamp() - now // 1000 < ttl_s / 2:
        refresh = "renew"
    elif not record.last_used_at or now - record.last_used_at > LAST_USED_RESOLUTION_MS:
        refresh = "touch"
    return Principal(
        user_id=record.user_id, role=record.role, token_hash=token_hash, refresh=refresh
    )


def touch(token_hash: str, refresh: str) -> None:
    """Record a token's use (at most hourly) and, with ``renew``, give it a full lifetime."""
    now = now_ms()
    actions: list[Action] = [ApiTokenModel.last_used_at.set(now)]
    if refresh == "renew":
        ttl_s = settings().token_ttl_days * 86_400
        actions.append(ApiTokenModel.expires_at.set(expiry(now // 1000 + ttl_s)))
    with contextlib.suppress(UpdateError):  # revoked meanwhile: nothing to record
        ApiTokenModel(token_hash).update(
            actions=actions, condition=ApiTokenModel.token_hash.exists()
        )


def revoke_by_hash(token_hash: str) -> None:
    with contextlib.suppress(DeleteError):  # already gone: logout is idempotent
        ApiTokenModel(token_hash).delete(condition=ApiTokenModel.token_hash.exists())


def list_tokens(
    user_id: str, limit: int, cursor: str | None
) -> tuple[list[ApiTokenModel], str | None]:
    start = decode_cursor(
        cursor, {"token_hash", "user_id", "created_at"}, owner=("user_id", user_id)
    )
    result = ApiTokenModel.by_user.query(
        user_id, limit=limit, last_evaluated_key=start, scan_index_forward=False
    )
    items = list(result)
    return items, encode_cursor(result.last_evaluated_key)


def revoke_token(user_id: str, token_id: str) -> None:
    for record in ApiTokenModel.by_user.query(
        user_id, filter_condition=ApiTokenModel.token_id == token_id
    ):
        revoke_by_hash(record.token_hash)
        return
    raise NotFound("No such token.")


def revoke_all(user_id: str) -> int:
    count = 0
    for record in ApiTokenModel.by_user.query(user_id):
        revoke_by_hash(record.token_hash)
        count += 1
    return count


def request_password_reset(email: str, source_ip: str) -> None:
    """Email a single-use reset link. Silent when the address is unknown."""
    try:
        email = normalise_email(email)
    except ValidationFailed:
        return
    s = settings()
    ratelimit.consume(f"reset-email:{email}", ratelimit.Rate(5, 3600, 3))
    ratelimit.consume(f"reset-ip:{source_ip}", ratelimit.Rate(30, 3600, 10))
    user = find_user_by_email(email)
    if user is None:
        logger.info("password reset for unknown email")
        return
    secret = new_secret(RESET_PREFIX)
    PasswordResetModel(
        hash_secret(secret),
        user_id=user.user_id,
        created_at=now_ms(),
        expires_at=expiry(now_s() + s.password_reset_ttl_minutes * 60),
    ).save()
    link = f"{s.app_url}/auth/reset?token={secret}"
    mail.enqueue(
        to=email,
        subject="Reset your wacast password",
        text=(
            f"Hello {user.name or ''},\n\n"
            f"Someone (hopefully you) asked to reset the password of your wacast account.\n"
            f"Open this link within {s.password_reset_ttl_minutes} minutes to choose a new one:\n\n"
            f"{link}\n\nIf it was not you, ignore this email: your password stays as it is.\n"
        ),
        kind="password_reset",
    )


def confirm_password_reset(token: str, new_password: str) -> None:
    invalid = BadRequest("This reset link is invalid, used or expired.", code="invalid_reset_token")
    if not token.startswith(f"{RESET_PREFIX}_") or len(token) > 200:
        raise invalid
    try:
        reset = PasswordResetModel.get(hash_secret(token), consistent_read=True)
    except PasswordResetModel.DoesNotExist:
        raise invalid from None
    if reset.used_at or reset.expires_at is None or reset.expires_at.timestamp() <= now_s():
        raise invalid
    user = get_user(reset.user_id)
    _check_password(new_password, user.email)
    try:
        reset.update(
            actions=[PasswordResetModel.used_at.set(now_ms())],
            condition=PasswordResetModel.used_at.does_not_exist(),
        )
    except UpdateError:
        raise invalid from None
    user.update(
        actions=[
            UserModel.password_hash.set(passwords.hash_password(new_password)),
            UserModel.password_changed_at.set(now_ms()),
        ]
    )
    # A reset means the old password may be known to someone else: end every session.
    revoke_all(user.user_id)


def update_profile(user_id: str, changes: dict[str, Any]) -> UserModel:
    user = get_user(user_id)
    actions = [getattr(UserModel, key).set(value) for key, value in changes.items()]
    if actions:
        user.update(actions=actions, condition=UserModel.user_id.exists())
    return user
