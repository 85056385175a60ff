"""The account's local settings: country (phone region), time zone, language, opt-out
languages and words, and the first-run step that sets them. See docs/contacts.md."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist

from chalicelib import lazy, optout_words

if TYPE_CHECKING:
    from chalicelib.models.base import now_ms
    from chalicelib.models.users import UserModel
else:  # imported on first use (chalicelib.lazy): cheap cold starts
    now_ms = lazy.attr("chalicelib.models.base", "now_ms")
    UserModel = lazy.attr("chalicelib.models.users", "UserModel")

LANGUAGES = optout_words.LANGUAGES


def check_language(value: str) -> str:
    value = value.strip().lower()
    if value not in LANGUAGES:
        raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
    return value


def check_languages(values: list[str]) -> list[str]:
    return list(dict.fromkeys(check_language(v) for v in values))


def check_words(values: list[str]) -> list[str]:
    for value in values:
        if len(value.strip()) > 60:
            raise ValueError("each word or phrase is at most 60 characters")
        if not optout_words.fold(value):
            raise ValueError(f"{value[:30]!r} has no letters or digits")
    return optout_words.clean_extra_words(values)


def optout_languages_of(user: UserModel) -> list[str]:
    """Accounts from before per-language words keep what opted out then."""
    if user.optout_languages:
        return [str(lang) for lang in user.optout_languages]
    if user.language:
        return list(dict.fromkeys([str(user.language), "en"]))
    return list(optout_words.LEGACY_LANGUAGES)


def optout_settings(user_id: str) -> tuple[list[str], list[str]]:
    """(languages, the account's own words) for reading replies."""
    try:
        user = UserModel.get(
            user_id, attributes_to_get=["optout_languages", "optout_words", "language"]
        )
    except DoesNotExist:
        return list(optout_words.LEGACY_LANGUAGES), []
    return optout_languages_of(user), [str(w) for w in user.optout_words or []]


def user_timezone(user_id: str) -> str:
    try:
        user = UserModel.get(user_id, attributes_to_get=["timezone"])
    except DoesNotExist:
        return "UTC"
    return user.timezone or "UTC"


def view(user: UserModel) -> dict[str, Any]:
    """The local-first fields of ``/api/me``."""
    return {
        # None until chosen: the web app then follows the browser's language.
        "language": user.language,
        "optout_languages": optout_languages_of(user),
        "optout_words": [str(w) for w in user.optout_words or []],
        "onboarded": user.onboarded_at is not None,
    }


def changes_of(patch: dict[str, Any]) -> dict[str, Any]:
    """Profile PATCH fields → attribute changes. ``onboarded: true`` stamps the first
    run as done; choosing a language without opt-out languages turns that language's
    words on (with English: STOP is understood everywhere)."""
    changes = dict(patch)
    if changes.pop("onboarded", None):
        changes["onboarded_at"] = now_ms()
    if "language" in changes and "optout_languages" not in changes:
        changes["optout_languages"] = list(dict.fromkeys([changes["language"], "en"]))
    return changes
