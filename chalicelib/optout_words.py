# ruff: noqa: RUF001  (word lists in Turkish and Arabic, and typographic quotes, on purpose)
"""Opt-out replies in many languages: what counts as "stop messaging me".

Pure functions, no AWS. A reply is compared after folding (case, accents, Arabic
letter variants, punctuation and emoji removed), so "Não quero mais!!" and
"nao QUERO mais" read the same.

* ``opt_out``: the whole reply is an active word or phrase (politeness such as
  "por favor" / "please" aside), or a short reply contains an active phrase;
* ``review``: the reply only *might* be one (a stop word inside a short sentence, a
  hint such as "pare de mandar", a word of a language the account has not turned on):
  it is stored for the user to confirm, never silently ignored nor acted on.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

# Words and phrases as people write them; folded at import. "stop" is in every list:
# it is understood everywhere WhatsApp is.
BUILTIN: dict[str, dict[str, tuple[str, ...]]] = {
    "pt": {
        "words": (
            "sair", "parar", "pare", "cancelar", "descadastrar", "descadastre", "remover", "stop",
        ),
        "phrases": (
            "não quero mais", "não quero receber", "não quero mais receber", "não mande mais",
            "não me mande mais", "não envie mais", "não me envie mais", "parar de receber",
            "quero sair", "quero sair da lista", "me tire da lista", "me tira da lista",
            "me remova", "me remove", "remover da lista", "cancelar inscrição",
            "quero descadastrar", "sem mais mensagens",
        ),
        "hints": (
            "pare de", "parem de", "para de mandar", "chega", "chega de", "não mande", "não manda",
            "não envie", "não quero", "me tira", "bloquear", "denunciar", "spam", "incomodar",
        ),
    },
    "es": {
        "words": (
            "baja", "alto", "detener", "parar", "cancelar", "desuscribir", "desuscribirme", "stop",
        ),
        "phrases": (
            "no más mensajes", "no quiero más", "no quiero recibir", "no quiero recibir más",
            "darme de baja", "dame de baja", "dar de baja", "quiero darme de baja",
            "no me escriban más", "no me envíen más", "no enviar más", "no me manden más",
            "sácame de la lista", "eliminarme de la lista", "bórrenme", "cancelar suscripción",
        ),
        "hints": (
            "deja de", "dejen de", "no manden", "no envíen", "no quiero", "basta",
            "bloquear", "denunciar", "spam", "molestar",
        ),
    },
    "en": {
        "words": ("stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout"),
        "phrases": (
            "opt out", "remove me", "unsubscribe me", "stop messaging me", "stop sending",
            "stop texting me", "no more messages", "take me off", "take me off the list",
            "take me off your list", "do not contact me", "don't message me", "don't text me",
            "remove me from the list", "remove me from your list",
        ),
        "hints": (
            "stop sending", "don't send", "do not send", "spam", "block", "report you",
            "annoying", "leave me alone", "not interested",
        ),
    },
    "fr": {
        "words": ("stop", "arrêt", "arrêter", "arrêtez", "désabonner", "désinscrire"),
        "phrases": (
            "désabonnez moi", "désinscrivez moi", "je ne veux plus", "plus de messages",
            "ne plus recevoir", "retirez moi", "retirez moi de la liste", "supprimez moi",
        ),
        "hints": ("arrêtez de", "spam", "bloquer", "pas intéressé", "ne m'envoyez"),
    },
    "de": {
        "words": ("stopp", "stop", "abmelden", "abbestellen", "austragen", "abmeldung"),
        "phrases": (
            "keine nachrichten mehr", "nicht mehr schreiben", "bitte austragen",
            "melden sie mich ab", "nicht mehr kontaktieren", "ich möchte keine nachrichten",
            "keine werbung mehr", "schreiben sie mir nicht mehr",
        ),
        "hints": (
            "hört auf", "hören sie auf", "nicht mehr", "spam", "blockieren", "kein interesse",
        ),
    },
    "it": {
        "words": ("stop", "basta", "cancellami", "disiscrivimi", "rimuovimi", "cancellatemi"),
        "phrases": (
            "non voglio più", "non scrivetemi più", "nessun messaggio", "non inviate più",
            "toglietemi dalla lista", "non voglio ricevere",
        ),
        "hints": ("smettete di", "spam", "bloccare", "non mi interessa"),
    },
    "id": {
        "words": ("berhenti", "stop", "unsub", "batal"),
        "phrases": (
            "jangan kirim lagi", "berhenti berlangganan", "hapus saya", "tidak mau lagi",
            "jangan hubungi saya", "keluarkan saya",
        ),
        "hints": ("jangan kirim", "spam", "blokir", "ganggu"),
    },
    "hi": {
        "words": ("stop", "band", "bandh", "ruko"),
        "phrases": (
            "band karo", "bandh karo", "mat bhejo", "message mat bhejo", "nahi chahiye",
            "rok do", "bas karo", "mujhe mat bhejo", "unsubscribe karo",
        ),
        "hints": ("mat bhejo", "spam", "block", "pareshan"),
    },
    "tr": {
        "words": ("dur", "durdur", "iptal", "stop"),
        "phrases": (
            "abonelikten çık", "mesaj göndermeyin", "istemiyorum", "beni çıkar",
            "listeden çıkar", "beni listeden çıkarın", "mesaj atmayın",
        ),
        "hints": ("göndermeyin", "spam", "engelle", "rahatsız"),
    },
    "ar": {
        "words": ("توقف", "إيقاف", "إلغاء", "الغاء", "stop"),
        "phrases": ("إلغاء الاشتراك", "لا ترسل", "لا ترسلوا", "لا تراسلني", "أوقف الرسائل"),
        "hints": ("لا ترسل", "مزعج", "سبام", "spam"),
    },
    "nl": {
        "words": ("stop", "stoppen", "afmelden", "uitschrijven"),
        "phrases": (
            "geen berichten meer", "meld me af", "niet meer sturen", "schrijf me uit",
            "haal me van de lijst",
        ),
        "hints": ("niet meer", "spam", "blokkeren", "geen interesse"),
    },
}  # fmt: skip

LANGUAGES = tuple(BUILTIN)
# Accounts from before per-language words: what used to opt out (STOP, UNSUBSCRIBE,
# PARAR, CANCELAR) stays on.
LEGACY_LANGUAGES = ("en", "pt", "es")
MAX_EXTRA_WORDS = 50
SHORT_REPLY_TOKENS = 12  # an active phrase inside a reply this short is an opt-out
REVIEW_TOKENS = 8  # a stop word inside a reply this short is flagged for review

_POLITE = (
    "por favor", "porfavor", "pf", "pfv", "obrigado", "obrigada", "gracias", "please", "pls",
    "plz", "thanks", "thank you", "bitte", "danke", "merci", "s il vous plait", "grazie",
    "per favore", "tolong", "terima kasih", "lutfen", "tesekkurler", "alstublieft", "aub",
    "ok", "okay", "ja", "sim", "si", "yes", "oi", "ola", "hola", "hi", "hello",
)  # fmt: skip
_ARABIC = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ة": "ه", "ـ": ""})
_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)


def fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form: "Não QUERO mais!" → "nao quero mais"."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("ı", "i").translate(_ARABIC).replace("_", " ")
    return " ".join(_NOT_WORD.sub(" ", text).split())


@dataclass(frozen=True)
class WordSets:
    words: frozenset[str]  # single folded words
    phrases: tuple[tuple[str, ...], ...]  # folded multi-word phrases as token tuples


@lru_cache(maxsize=64)
def _builtin(language: str, kind: str) -> WordSets:
    return _sets(BUILTIN.get(language, {}).get(kind, ()))


def _sets(items: Iterable[str]) -> WordSets:
    words: set[str] = set()
    phrases: set[tuple[str, ...]] = set()
    for item in items:
        tokens = tuple(fold(item).split())
        if len(tokens) == 1:
            words.add(tokens[0])
        elif tokens:
            phrases.add(tokens)
    return WordSets(frozenset(words), tuple(sorted(phrases, key=len, reverse=True)))


_POLITE_SETS = _sets(_POLITE)


def _contains(tokens: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(tokens[i : i + size] == phrase for i in range(len(tokens) - size + 1))


def _strip_polite(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """Drop greetings/"please"/"thanks" at either end: "sair por favor" → ("sair",)."""
    changed = True
    while changed and tokens:
        changed = False
        for phrase in (*_POLITE_SETS.phrases, *((w,) for w in _POLITE_SETS.words)):
            size = len(phrase)
            if tokens[:size] == phrase and len(tokens) > size:
                tokens, changed = tokens[size:], True
            elif tokens[-size:] == phrase and len(tokens) > size:
                tokens, changed = tokens[:-size], True
    return tokens


@dataclass(frozen=True)
class Verdict:
    kind: str  # "opt_out", "review" or "none"
    matched: str | None = None  # the word or phrase that decided it (folded)
    language: str | None = None  # its language, or "custom" for the account's own words


NONE = Verdict("none")


def active_sets(languages: Iterable[str], extra: Iterable[str]) -> list[tuple[str, WordSets]]:
    found = [(lang, _builtin(lang, "words")) for lang in languages if lang in BUILTIN]
    found += [(lang, _builtin(lang, "phrases")) for lang in languages if lang in BUILTIN]
    custom = _sets(extra)
    if custom.words or custom.phrases:
        found.append(("custom", custom))
    return found


def classify(body: str, languages: Iterable[str], extra: Iterable[str] = ()) -> Verdict:
    """What a reply means for opt-out, given the account's languages and own words."""
    tokens = tuple(fold(body[:1000]).split())
    if not tokens:
        return NONE
    languages = [lang for lang in languages if lang in BUILTIN]
    active = active_sets(languages, extra)
    core = _strip_polite(tokens)
    for language, sets in active:
        if len(core) == 1 and core[0] in sets.words:
            return Verdict("opt_out", core[0], language)
        for phrase in sets.phrases:
            if core == phrase:
                return Verdict("opt_out", " ".join(phrase), language)
    if len(tokens) <= SHORT_REPLY_TOKENS:
        for language, sets in active:
            for phrase in sets.phrases:
                if _contains(tokens, phrase):
                    return Verdict("opt_out", " ".join(phrase), language)
    return _maybe(tokens, core, languages, active)


def _maybe(
    tokens: tuple[str, ...],
    core: tuple[str, ...],
    languages: list[str],
    active: list[tuple[str, WordSets]],
) -> Verdict:
    # A word or phrase of a language the account has not turned on, said alone.
    for language in LANGUAGES:
        if language in languages:
            continue
        words, phrases = _builtin(language, "words"), _builtin(language, "phrases")
        if (len(core) == 1 and core[0] in words.words) or core in phrases.phrases:
            return Verdict("review", " ".join(core), language)
    # Any active phrase in a long reply; a stop word inside a short one.
    for language, sets in active:
        for phrase in sets.phrases:
            if _contains(tokens, phrase):
                return Verdict("review", " ".join(phrase), language)
        if len(tokens) <= REVIEW_TOKENS:
            for token in tokens:
                if token in sets.words:
                    return Verdict("review", token, language)
    # Hints: "pare de mandar isso", "spam", "leave me alone" …
    for language in (*languages, *(lang for lang in LANGUAGES if lang not in languages)):
        hints = _builtin(language, "hints")
        for phrase in hints.phrases:
            if _contains(tokens, phrase):
                return Verdict("review", " ".join(phrase), language)
        for token in tokens:
            if token in hints.words:
                return Verdict("review", token, language)
    return NONE


# --- the composer's check ------------------------------------------------------------

# "Reply X", "Responda X", "Antworte mit X" … (folded verbs); the word that follows,
# possibly after a filler such as "com"/"with"/"the word", is what people will send.
_VERBS = frozenset(
    fold(v)
    for v in (
        "reply", "respond", "text", "send", "type", "answer", "write",
        "responda", "responde", "respondam", "responder", "envie", "enviar", "mande", "manda",
        "digite", "escreva", "escribe", "escriba", "envía", "envia", "contesta", "conteste",
        "antworte", "antworten", "antworten sie", "sende", "senden", "schreibe", "schreib",
        "répondez", "réponds", "envoyez", "envoie", "tapez", "écrivez",
        "rispondi", "rispondete", "scrivi", "invia", "inviate",
        "balas", "ketik", "kirim", "bhejein", "bheje", "likhein", "likho",
        "yanıtla", "yanıtlayın", "yaz", "yazın", "gönder", "gönderin",
        "رد", "ارسل", "أرسل", "اكتب",
        "antwoord", "stuur", "typ",
    )
)  # fmt: skip
_FILLERS = frozenset(
    fold(f)
    for f in (
        "com", "con", "with", "mit", "avec", "dengan", "met", "a", "o", "the", "word", "palavra",
        "palabra", "wort", "das", "le", "mot", "la", "il", "parola", "kata", "het", "woord",
        "just", "only", "apenas", "só", "solo", "nur", "seulement", "solo", "sadece", "ile",
        "us", "nos", "uns", "nous", "ci", "kami", "ons", "back", "de", "volta",
    )
)  # fmt: skip
_QUOTED = re.compile(r"[\"“”«»'‘’*]\s*([^\s\"“”«»'‘’*]{2,30})\s*[\"“”«»'‘’*]")


def instructed_words(message: str) -> list[str]:
    """The words a message asks people to reply (folded, in order, unique)."""
    raw_tokens = re.findall(r"[\"“”«»'‘’*]?[\w'-]+[\"“”«»'‘’*]?", message[:5000])
    found: list[str] = []
    for index, raw in enumerate(raw_tokens):
        if fold(raw) not in _VERBS:
            continue
        for candidate in raw_tokens[index + 1 : index + 5]:
            folded = fold(candidate)
            if not folded:
                continue
            bare = candidate.strip("\"“”«»'‘’*")
            quoted = bare != candidate
            shouting = bare.isupper() and len(bare) >= 2
            if quoted or shouting or _known_word(folded):
                if folded not in found:
                    found.append(folded)
                break
            if folded not in _FILLERS:
                break
    for match in _QUOTED.finditer(message[:5000]):
        folded = fold(match.group(1))
        if _known_word(folded) and folded not in found:
            found.append(folded)
    return found


def _known_word(folded: str) -> bool:
    return any(folded in _builtin(lang, "words").words for lang in LANGUAGES)


def languages_of_word(folded: str) -> list[str]:
    return [lang for lang in LANGUAGES if folded in _builtin(lang, "words").words]


def is_active(folded: str, languages: Iterable[str], extra: Iterable[str]) -> bool:
    return any(folded in sets.words for _, sets in active_sets(languages, extra))


def clean_extra_words(words: Iterable[str]) -> list[str]:
    """The account's own words as typed (trimmed, de-duplicated by folded form)."""
    seen: set[str] = set()
    out: list[str] = []
    for word in words:
        text = " ".join(word.split())
        key = fold(text)
        if key and key not in seen:
            seen.add(key)
            out.append(text[:60])
    return out[:MAX_EXTRA_WORDS]
