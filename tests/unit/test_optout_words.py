# ruff: noqa: RUF001  (Turkish and Arabic replies on purpose)
"""Opt-out words by language: folding, whole replies, short phrases, maybe-opt-outs,
and the composer's reading of "Reply X"."""

from __future__ import annotations

import pytest

from chalicelib import optout_words
from chalicelib.optout_words import BUILTIN, classify, fold, instructed_words


def variants(text: str) -> list[str]:
    """The ways people type a word: SHOUTING, lower, Title, accents dropped or added,
    punctuation and emoji around it."""
    plain = fold(text)
    return [
        text.upper(),
        text.lower(),
        text.title() + "!",
        plain,
        plain.upper() + ".",
        f"  {text.capitalize()} 🙏",
        f"{text} por favor",
    ]


ALL_ENTRIES = [
    (language, kind, entry)
    for language in ("pt", "es", "de")
    for kind in ("words", "phrases")
    for entry in BUILTIN[language][kind]
]


@pytest.mark.parametrize(("language", "kind", "entry"), ALL_ENTRIES)
def test_every_builtin_word_and_phrase_of_pt_es_de_opts_out(
    language: str, kind: str, entry: str
) -> None:
    for typed in variants(entry):
        verdict = classify(typed, [language])
        assert verdict.kind == "opt_out", (typed, verdict)


def test_folding_ignores_case_accents_punctuation_and_letter_variants() -> None:
    assert fold("Não QUERO mais!!") == "nao quero mais"
    assert fold("ARRÊT") == "arret" and fold("Abmelden.") == "abmelden"
    assert fold("ÇIK") == fold("çık") == "cik"  # Turkish dotless i
    assert fold("إلغاء") == fold("الغاء")  # Arabic alef with hamza


@pytest.mark.parametrize(
    ("reply", "languages"),
    [
        ("SAIR", ["pt"]),
        ("Não quero mais receber", ["pt"]),
        ("Obrigado, mas não quero mais receber essas mensagens", ["pt"]),
        ("no más mensajes por favor", ["es"]),
        ("remove me", ["en"]),
        ("Please remove me from your list", ["en"]),
        ("STOPP", ["de"]),
        ("désabonnez-moi", ["fr"]),
        ("berhenti", ["id"]),
        ("band karo", ["hi"]),
        ("abonelikten çık", ["tr"]),
        ("إلغاء الاشتراك", ["ar"]),
        ("afmelden", ["nl"]),
        ("non voglio più", ["it"]),
        ("stop", ["tr"]),  # STOP works in every language
    ],
)
def test_opt_outs_in_many_languages(reply: str, languages: list[str]) -> None:
    assert classify(reply, languages).kind == "opt_out"


def test_the_accounts_own_words_count_only_for_it() -> None:
    assert classify("Chega!", ["pt"], ["chega"]).kind == "opt_out"
    assert classify("nunca mais me mande", ["pt"], ["nunca mais me mande"]).kind == "opt_out"
    assert classify("Chega!", ["pt"]).kind == "review"  # a hint, not an opt-out


@pytest.mark.parametrize(
    ("reply", "matched"),
    [
        ("pare de mandar isso", "pare"),
        ("Quero cancelar o pedido de ontem", "cancelar"),
        ("isso é spam", "spam"),
        ("BAJA", "baja"),  # a Spanish word while only Portuguese is on
    ],
)
def test_a_reply_that_might_be_an_opt_out_is_flagged_for_review(reply: str, matched: str) -> None:
    verdict = classify(reply, ["pt"])
    assert verdict.kind == "review" and verdict.matched == matched


@pytest.mark.parametrize(
    "reply",
    ["quero 2!", "Bom dia, quero 2 panetones", "Obrigada 😍", "Qual o horário de sábado?", ""],
)
def test_ordinary_replies_are_left_alone(reply: str) -> None:
    assert classify(reply, ["pt", "en"]).kind == "none"


def test_a_long_message_with_a_stop_phrase_is_only_flagged() -> None:
    long = "Oi, tudo bem? " * 6 + "não quero mais receber isso, mas gostaria de saber o preço"
    assert classify(long, ["pt"]).kind == "review"


def test_the_composer_reads_the_word_a_message_asks_for() -> None:
    assert instructed_words("Promo! Responda SAIR para não receber mais mensagens") == ["sair"]
    assert instructed_words('Reply with "stop" to unsubscribe. Antworte mit STOPP') == [
        "stop",
        "stopp",
    ]
    assert instructed_words("Responde BAJA si no quieres más") == ["baja"]
    assert instructed_words("Envie a palavra SAIR") == ["sair"]
    assert instructed_words("Responda com seu pedido até sexta") == []
    assert instructed_words("Feliz Natal! Panetone por R$ 39,90") == []


def test_every_language_has_words_phrases_and_hints() -> None:
    assert set(BUILTIN) >= {"pt", "es", "en", "fr", "de", "it", "id", "hi", "tr", "ar", "nl"}
    for language, lists in BUILTIN.items():
        assert lists["words"] and lists["phrases"] and lists["hints"], language
    assert optout_words.clean_extra_words(["Chega", " chega ", "CHEGA!", "basta já"]) == [
        "Chega",
        "basta já",
    ]
