"""Accounts: register, login, logout, tokens, password reset, profile."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field

from chalicelib import lazy
from chalicelib.api import Api, RequestContext
from chalicelib.auth import profile
from chalicelib.basemodel import BaseModel
from chalicelib.epoch import EpochMs, ttl_ms
from chalicelib.pagination import Page, PageQuery

if TYPE_CHECKING:
    import phonenumbers

    from chalicelib.auth import service
    from chalicelib.models.tokens import ApiTokenModel
    from chalicelib.models.users import UserModel
else:  # imported on first use (chalicelib.lazy): cheap cold starts
    phonenumbers = lazy.module("phonenumbers")
    service = lazy.module("chalicelib.auth.service")
    ApiTokenModel = lazy.attr("chalicelib.models.tokens", "ApiTokenModel")
    UserModel = lazy.attr("chalicelib.models.users", "UserModel")

api = Api(__name__, "auth")

Name = Annotated[str, Field(min_length=1, max_length=100)]
Email = Annotated[str, Field(min_length=3, max_length=254)]
Password = Annotated[str, Field(min_length=1, max_length=1024)]


def _known_region(value: str) -> str:
    value = value.upper()
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError("not a supported ISO 3166 region code")
    return value


def _known_timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not an IANA timezone") from None
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RegisterBody(Strict):
    email: Email
    password: Password
    name: Name


class LoginBody(Strict):
    email: Email
    password: Password
    label: str | None = Field(None, max_length=100, description="Names the token, e.g. a device")


class ResetRequestBody(Strict):
    email: Email


class ResetConfirmBody(Strict):
    token: str = Field(min_length=1, max_length=200)
    password: Password


class ProfilePatch(Strict):
    name: Name | None = None
    default_region: Annotated[str, AfterValidator(_known_region)] | None = Field(
        None, description="ISO region used to read phone numbers without a country code"
    )
    timezone: Annotated[str, AfterValidator(_known_timezone)] | None = None
    language: Annotated[str, AfterValidator(profile.check_language)] | None = Field(
        None, description="Your customers' language (and the app's): pt, es, en, …"
    )
    optout_languages: (
        Annotated[
            list[str], Field(min_length=1, max_length=20), AfterValidator(profile.check_languages)
        ]
        | None
    ) = Field(None, description="Languages whose built-in opt-out words count")
    optout_words: (
        Annotated[
            list[Annotated[str, Field(max_length=200)]],
            Field(max_length=50),
            AfterValidator(profile.check_words),
        ]
        | None
    ) = Field(None, description="Your own opt-out words or phrases")
    onboarded: bool | None = Field(None, description="true marks the first-run step as done")


class User(BaseModel):
    user_id: str
    email: str
    name: str
    role: Literal["user", "admin"]
    default_region: str
    timezone: str
    created_at: EpochMs
    language: str | None = Field(None, description="Customers' language; null until chosen")
    optout_languages: list[str] = Field(default_factory=list)
    optout_words: list[str] = Field(default_factory=list)
    onboarded: bool = True

    @classmethod
    def of(cls, user: UserModel) -> User:
        return cls(
            user_id=user.user_id,
            email=user.email or "",
            name=user.name or "",
            role="admin" if user.role == "admin" else "user",
            default_region=user.default_region or "US",
            timezone=user.timezone or "UTC",
            created_at=user.created_at or 0,
            **profile.view(user),
        )


class Token(BaseModel):
    token_id: str
    label: str | None
    created_at: EpochMs
    last_used_at: EpochMs | None
    expires_at: EpochMs

    @classmethod
    def of(cls, record: ApiTokenModel) -> Token:
        return cls(
            token_id=record.token_id,
            label=record.label,
            created_at=record.created_at,
            last_used_at=record.last_used_at,
            expires_at=ttl_ms(record.expires_at),
        )


class LoginResult(BaseModel):
    token: str = Field(description="Opaque bearer token; shown once")
    token_id: str
    expires_at: EpochMs
    user: User


class Accepted(BaseModel):
    message: str


class Registered(BaseModel):
    email: str = Field(description="The address, normalised")
    message: str


@api.route(
    "/api/auth/register",
    "POST",
    body=RegisterBody,
    response=Registered,
    status=201,
    auth=False,
    summary="Create an account (answers the same when the email already has one)",
    errors=(422, 429),
)
def register(ctx: RequestContext, body: RegisterBody) -> Registered:
    email = service.sign_up(body.email, body.password, body.name, ctx.source_ip)
    return Registered(
        email=email,
        message="Sign in to continue. If this address was already registered, we sent it "
        "an email saying what to do.",
    )


@api.route(
    "/api/auth/login",
    "POST",
    body=LoginBody,
    response=LoginResult,
    auth=False,
    summary="Exchange email and password for a bearer token",
    errors=(401, 429),
)
def login(ctx: RequestContext, body: LoginBody) -> LoginResult:
    secret, record = service.login(body.email, body.password, ctx.source_ip, body.label)
    return LoginResult(
        token=secret,
        token_id=record.token_id,
        expires_at=ttl_ms(record.expires_at),
        user=User.of(service.get_user(record.user_id)),
    )


@api.route("/api/auth/logout", "POST", status=204, summary="Revoke the token used for this call")
def logout(ctx: RequestContext) -> None:
    if ctx.token_hash:
        service.revoke_by_hash(ctx.token_hash)


@api.route("/api/me", "GET", response=User, summary="The signed-in user")
def me(ctx: RequestContext) -> User:
    assert ctx.user_id
    return User.of(service.get_user(ctx.user_id))


@api.route("/api/me", "PATCH", body=ProfilePatch, response=User, summary="Update your profile")
def update_me(ctx: RequestContext, body: ProfilePatch) -> User:
    assert ctx.user_id
    changes = profile.changes_of(body.model_dump(exclude_none=True))
    return User.of(service.update_profile(ctx.user_id, changes))


@api.route(
    "/api/auth/tokens",
    "GET",
    query=PageQuery,
    response=Page[Token],
    summary="Your bearer tokens, newest first",
)
def list_tokens(ctx: RequestContext, query: PageQuery) -> Page[Token]:
    assert ctx.user_id
    items, cursor = service.list_tokens(ctx.user_id, query.limit, query.cursor)
    return Page[Token](items=[Token.of(item) for item in items], next_cursor=cursor)


@api.route(
    "/api/auth/tokens/{token_id}",
    "DELETE",
    status=204,
    errors=(404,),
    summary="Revoke one of your tokens",
)
def revoke_token(ctx: RequestContext, token_id: str) -> None:
    assert ctx.user_id
    service.revoke_token(ctx.user_id, token_id)


@api.route(
    "/api/auth/password-reset",
    "POST",
    body=ResetRequestBody,
    response=Accepted,
    status=202,
    auth=False,
    errors=(429,),
    summary="Email a single-use reset link (answers the same for unknown emails)",
)
def password_reset(ctx: RequestContext, body: ResetRequestBody) -> Accepted:
    service.request_password_reset(body.email, ctx.source_ip)
    return Accepted(message="If an account uses this address, a reset link is on its way.")


@api.route(
    "/api/auth/password-reset/confirm",
    "POST",
    body=ResetConfirmBody,
    response=Accepted,
    auth=False,
    errors=(400, 422),
    summary="Set a new password with a reset token",
)
def password_reset_confirm(ctx: RequestContext, body: ResetConfirmBody) -> Accepted:
    service.confirm_password_reset(body.token, body.password)
    return Accepted(message="Your password has been changed. Sign in again on every device.")
