"""Replies that opt people out, the ones flagged for review, and the composer's check
that the reply word a message asks for is one that works."""

from __future__ import annotations

import hashlib
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib import optout_words
from chalicelib.auth import profile
from chalicelib.config import settings
from chalicelib.contacts import hooks, service
from chalicelib.errors import Conflict, NotFound
from chalicelib.logs import logger
from chalicelib.models.base import now_ms
from chalicelib.models.contacts import OptOutReviewModel
from chalicelib.pagination import decode_cursor, encode_cursor

LANGUAGE_NAMES = {
    "pt": "Portuguese", "es": "Spanish", "en": "English", "fr": "French", "de": "German",
    "it": "Italian", "id": "Indonesian", "hi": "Hindi (romanised)", "tr": "Turkish",
    "ar": "Arabic", "nl": "Dutch",
}  # fmt: skip


def settings_of(user_id: str) -> tuple[list[str], list[str]]:
    languages, extra = profile.optout_settings(user_id)
    # WACAST_STOP_KEYWORDS: operator-wide extra words, on for every account.
    return languages, [*extra, *settings().stop_keywords]


def handle_reply(
    user_id: str, phone: str, body: str, ts: int, message_id: str
) -> optout_words.Verdict:
    """Opt the sender out, or keep the reply for review, or nothing. Idempotent: a
    re-sent frame finds the opt-out or the review already there."""
    languages, extra = settings_of(user_id)
    verdict = optout_words.classify(body, languages, extra)
    if verdict.kind == "opt_out":
        service.opt_out(user_id, phone, "reply", reply=body)
        logger.info(
            "opted out by reply",
            extra={"user_id": user_id, "matched": verdict.matched, "language": verdict.language},
        )
    elif verdict.kind == "review" and not service.is_opted_out(user_id, phone):
        _save_review(user_id, phone, body, ts, message_id, verdict)
    return verdict


def _save_review(
    user_id: str, phone: str, body: str, ts: int, message_id: str, verdict: optout_words.Verdict
) -> None:
    digest = hashlib.sha256(f"{phone}|{message_id}".encode()).hexdigest()[:12]
    review = OptOutReviewModel(
        user_id,
        f"rev_{int(ts):013d}{digest}",
        phone=phone,
        body=body[:1000],
        matched=verdict.matched,
        language=verdict.language,
        status="open",
        at=int(ts),
    )
    try:
        review.save(condition=OptOutReviewModel.review_id.does_not_exist())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def list_reviews(
    user_id: str, status: str | None, limit: int, cursor: str | None
) -> tuple[list[OptOutReviewModel], str | None]:
    start = decode_cursor(cursor, {"user_id", "review_id"}, owner=("user_id", user_id))
    condition = OptOutReviewModel.status == status if status else None
    result = OptOutReviewModel.query(
        user_id,
        filter_condition=condition,
        limit=limit,
        last_evaluated_key=start,
        scan_index_forward=False,
    )
    items = list(result)
    return items, encode_cursor(result.last_evaluated_key)


def _review(user_id: str, review_id: str) -> OptOutReviewModel:
    try:
        return OptOutReviewModel.get(user_id, review_id)
    except DoesNotExist:
        raise NotFound("No such reply to review.") from None


def decide(user_id: str, review_id: str, confirm: bool) -> OptOutReviewModel:
    """Confirm (opt the person out with their reply, skip what is still pending for
    them) or dismiss. Deciding again the same way changes nothing."""
    review = _review(user_id, review_id)
    status = "confirmed" if confirm else "dismissed"
    if review.status == status:
        return review
    if review.status != "open":
        raise Conflict(f"This reply was already {review.status}.", code="review_decided")
    if confirm:
        service.opt_out(user_id, review.phone, "reply_confirmed", reply=review.body)
        hooks.fire_opt_out_confirmed(user_id, review.phone)  # campaigns stop what is pending
    try:
        review.update(
            actions=[
                OptOutReviewModel.status.set(status),
                OptOutReviewModel.decided_at.set(now_ms()),
            ],
            condition=OptOutReviewModel.status == "open",
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        review.refresh()
    return review


def check_message(user_id: str, text: str) -> dict[str, Any]:
    """The reply words a message asks for, whether each opts people out on this
    account, and a warning in plain words when one does not."""
    languages, extra = settings_of(user_id)
    words: list[dict[str, Any]] = []
    warning = None
    for folded in optout_words.instructed_words(text):
        word = folded.upper()
        known_in = optout_words.languages_of_word(folded)
        active = optout_words.is_active(folded, languages, extra)
        words.append({"word": word, "active": active, "languages": known_in})
        if active or warning:
            continue
        named = " / ".join(LANGUAGE_NAMES[lang] for lang in known_in)
        if named:
            warning = (
                f"Your message asks people to reply {word}, but {word} does not opt anyone out "
                f"on your account: it is a {named} word and that language is not turned on. "
                "Turn it on in Settings → Opt-out words, or change the message."
            )
        else:
            warning = (
                f"Your message asks people to reply {word}, but {word} is not one of your "
                "opt-out words, so those replies would not stop your messages. Add it in "
                "Settings → Opt-out words, or change the message."
            )
    return {"words": words, "warning": warning, "languages": languages}


def words_overview(user_id: str) -> dict[str, Any]:
    """Every built-in list, which languages are on, and the account's own words."""
    languages, extra = profile.optout_settings(user_id)
    return {
        "languages": [
            {
                "code": code,
                "name": LANGUAGE_NAMES[code],
                "active": code in languages,
                "words": list(optout_words.BUILTIN[code]["words"]),
                "phrases": list(optout_words.BUILTIN[code]["phrases"]),
            }
            for code in optout_words.LANGUAGES
        ],
        "extra_words": extra,
        "operator_words": list(settings().stop_keywords),
    }
