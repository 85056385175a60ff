"""Column mapping: suggestions from header names (incl. Google Contacts and Outlook
exports, Portuguese and Spanish words) and turning one CSV row into contact data."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from chalicelib.contacts.phones import PhoneResult, country_name, normalise

FIELD_KEY = re.compile(r"^[a-z0-9_]{1,40}$")
MAX_FIELDS = 50
MAX_FIELD_VALUE = 1000
MAX_NAME = 200
MAX_TAGS = 20
MAX_TAG = 40
BASE_TARGETS = ("phone", "phone_alt", "name", "first_name", "last_name", "email", "tags", "ignore")
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_TAG_SPLIT = re.compile(r"[,;|]|:::")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Header words, after folding (lower case, accents removed, non-alphanumerics → space).
_PHONE_BEST = {
    "whatsapp",
    "whats app",
    "whatsapp number",
    "zap",
    "wa",
    "mobile",
    "mobile phone",
    "mobile number",
    "cell",
    "cell phone",
    "cellphone",
    "celular",
    "movil",
    "telefono movil",
    "telemovel",
    "numero celular",
    "numero whatsapp",
    "phone 1 value",
    "msisdn",
}
_PHONE_OK = {
    "phone",
    "phone number",
    "telephone",
    "tel",
    "telefone",
    "telefono",
    "fone",
    "numero",
    "number",
    "contact number",
    "primary phone",
    "business phone",
    "home phone",
    "other phone",
    "company main phone",
    "car phone",
    "phone 2 value",
    "phone 3 value",
    "business phone 2",
    "home phone 2",
    "numero de telefone",
    "numero de telefono",
}
_NAME = {
    "name",
    "full name",
    "nome",
    "nombre",
    "nome completo",
    "nombre completo",
    "contact",
    "contact name",
    "display name",
    "contato",
    "contacto",
    "cliente",
    "customer",
}
_FIRST = {
    "first name",
    "first",
    "given name",
    "firstname",
    "primeiro nome",
    "nome proprio",
    "primer nombre",
    "nombre de pila",
    "forename",
}
_LAST = {
    "last name",
    "last",
    "family name",
    "surname",
    "lastname",
    "sobrenome",
    "apellido",
    "apellidos",
    "ultimo nome",
}
_EMAIL_NAMES = {
    "email",
    "e mail",
    "email address",
    "e mail address",
    "e mail 1 value",
    "correo",
    "correo electronico",
    "mail",
    "e mail 2 value",
}
_TAGS = {
    "tags",
    "tag",
    "labels",
    "label",
    "categories",
    "etiquetas",
    "etiqueta",
    "group membership",
    "grupos",
    "groups",
}


# The onboarding languages (de, fr, it, id, hi, tr, ar, nl) besides en/pt/es above.
_PHONE_BEST |= {
    "handy", "handynummer", "mobil", "mobilnummer", "mobiltelefon", "mobilfunk",
    "mobilfunknummer", "portable", "telephone portable", "numero portable", "tel portable",
    "nomor hp", "no hp", "hp", "nomor whatsapp", "nomor wa", "no wa", "mobiel", "mobiel nummer",
    "mobielnummer", "gsm", "cep telefonu", "cep", "cep no", "cellulare", "numero cellulare",
    "telefono cellulare", "cel", "telefono movil", "telefono celular", "mobile no", "whatsapp no",
    "جوال", "الجوال", "موبايل", "الموبايل", "رقم الجوال", "رقم الواتساب", "واتساب",
}  # fmt: skip
_PHONE_OK |= {
    "telefon", "telefonnummer", "rufnummer", "tel nr", "telefon nr", "telephone",
    "numero de telephone", "tel fixe", "nomor telepon", "telepon", "no telp", "telp",
    "nomor", "telefoon", "telefoonnummer", "telefon numarasi", "numara", "nummer",
    "numero di telefono", "phone no", "contact no", "mobile num", "phone num",
    "هاتف", "الهاتف", "رقم الهاتف", "رقم",
}  # fmt: skip
_NAME |= {
    "nama", "nama lengkap", "naam", "volledige naam", "vollstandiger name", "kunde",
    "kundenname", "nom complet", "nom et prenom", "client", "nome e cognome", "ad soyad",
    "isim", "musteri", "klant", "pelanggan", "الاسم", "اسم", "الاسم الكامل",
}  # fmt: skip
_FIRST |= {
    "vorname", "prenom", "nome di battesimo", "nama depan", "voornaam", "adi", "ad",
    "الاسم الاول",
}  # fmt: skip
_LAST |= {
    "nachname", "familienname", "nom", "nom de famille", "cognome", "nama belakang",
    "achternaam", "soyad", "soyadi", "اسم العائلة",
}  # fmt: skip
_EMAIL_NAMES |= {
    "e mail adresse", "email adresse", "courriel", "adresse email", "adresse e mail",
    "posta elettronica", "surel", "alamat email", "e posta", "eposta", "البريد الالكتروني",
    "البريد",
}  # fmt: skip


def fold(header: str) -> str:
    text = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def field_key(header: str, index: int) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", fold(header)).strip("_")[:40].strip("_")
    return key or f"column_{index + 1}"


def _is_type_column(folded: str) -> bool:
    # Google Contacts: "Phone 1 - Type", "E-mail 1 - Type" describe the next column.
    return folded.endswith(" type") and any(w in folded for w in ("phone", "mail", "address"))


def suggest(header: list[str]) -> dict[str, str]:
    """Column index (as a string) → target, for every column."""
    mapping: dict[str, str] = {}
    phones: list[tuple[int, int]] = []  # (rank, index)
    used: set[str] = set()
    fields = 0
    for index, raw in enumerate(header):
        # Non-Latin headers (Arabic) fold to nothing in ASCII: keep their letters.
        folded = fold(raw) or _unicode_fold(raw)
        target = "ignore"
        if not raw.strip() or _is_type_column(folded):
            target = "ignore"
        elif folded in _PHONE_BEST or "whatsapp" in folded or "celular" in folded:
            phones.append((0, index))
            continue
        elif folded in _PHONE_OK or folded.endswith(" phone") or folded.startswith("phone "):
            phones.append((1, index))
            continue
        elif folded in _FIRST and "first_name" not in used:
            target = "first_name"
        elif folded in _LAST and "last_name" not in used:
            target = "last_name"
        elif folded in _NAME and "name" not in used:
            target = "name"
        elif (folded in _EMAIL_NAMES or folded.startswith("e mail")) and "email" not in used:
            target = "email"
        elif folded in _TAGS and "tags" not in used:
            target = "tags"
        elif fields < MAX_FIELDS and not folded.endswith(" type"):
            key = field_key(raw, index)
            while f"field:{key}" in used:
                key = f"{key[:36]}_{index + 1}"
            target = f"field:{key}"
            fields += 1
        used.add(target)
        mapping[str(index)] = target
    for position, (_, index) in enumerate(sorted(phones)):
        mapping[str(index)] = "phone" if position == 0 else "phone_alt"
    return dict(sorted(mapping.items(), key=lambda kv: int(kv[0])))


def _unicode_fold(header: str) -> str:
    from chalicelib.optout_words import fold as letters_fold

    return letters_fold(header)


def phone_share(cells: list[str], region: str) -> float:
    """The share of non-empty cells that read as phone numbers of ``region`` (or with +)."""
    filled = [c for c in cells if c.strip()]
    if not filled:
        return 0.0
    good = 0
    for cell in filled:
        result = normalise(cell, region)
        good += bool(result.e164 and not result.foreign)
    return good / len(filled)


def suggest_phone_by_values(
    suggested: dict[str, str], rows: list[list[str]], region: str
) -> dict[str, str]:
    """No column is called phone (a header in a language we do not know): the column
    whose sample values mostly read as phone numbers becomes the phone."""
    if any(t in ("phone", "phone_alt") for t in suggested.values()):
        return suggested
    width = max((len(row) for row in rows), default=0)
    best, best_share = None, 0.5
    for index in range(width):
        share = phone_share([row[index] for row in rows if index < len(row)], region)
        if share > best_share:
            best, best_share = index, share
    if best is None:
        return suggested
    return {**suggested, str(best): "phone"}


def suggest_without_header(rows: list[list[str]], region: str) -> dict[str, str]:
    """No header: the first column whose cells read as phones is the phone."""
    width = max((len(row) for row in rows), default=0)
    mapping = {str(i): f"field:column_{i + 1}" for i in range(min(width, MAX_FIELDS))}
    for index in range(width):
        cells = [row[index] for row in rows if index < len(row) and row[index].strip()]
        if cells and sum(1 for c in cells if normalise(c, region).e164) * 2 > len(cells):
            mapping[str(index)] = "phone"
            break
    return mapping


def check_target(target: str) -> str | None:
    """A problem with a mapping target, or None."""
    if target in BASE_TARGETS:
        return None
    if target.startswith("field:") and FIELD_KEY.match(target[6:]):
        return None
    return (
        "must be phone, phone_alt, name, first_name, last_name, email, tags, ignore or field:<key>"
    )


def clean_text(value: str, limit: int) -> str:
    if value.isprintable():  # the common case, without a regex
        return value.strip()[:limit]
    return _CONTROL.sub("", value).strip()[:limit]


@lru_cache(maxsize=4096)  # the same few tags repeat on every row of an import
def normalise_tag(raw: str) -> str | None:
    tag = " ".join(clean_text(raw, 200).casefold().split())
    if not tag or len(tag) > MAX_TAG or "," in tag:
        return None
    return tag


@dataclass
class RowData:
    phone: str
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)
    # Folded tag → the spelling in the file, when it differs (for display).
    tag_labels: dict[str, str] = field(default_factory=dict)

    def merge(self, other: RowData) -> None:
        """A later row for the same phone: its non-empty values win, tags add up."""
        for name in ("name", "first_name", "last_name", "email"):
            value = getattr(other, name)
            if value:
                setattr(self, name, value)
        self.fields.update(other.fields)
        self.tags |= other.tags


@dataclass
class Compiled:
    """A mapping resolved against column indexes, ready for fast row conversion."""

    phone_columns: list[int]
    simple: list[tuple[int, str]]
    fields: list[tuple[int, str]]
    tag_columns: list[int]
    width: int


def compile_mapping(mapping: dict[str, str]) -> Compiled:
    phone: list[int] = []
    alt: list[int] = []
    simple: list[tuple[int, str]] = []
    fields: list[tuple[int, str]] = []
    tags: list[int] = []
    for key, target in sorted(mapping.items(), key=lambda kv: int(kv[0])):
        index = int(key)
        if target == "phone":
            phone.append(index)
        elif target == "phone_alt":
            alt.append(index)
        elif target in ("name", "first_name", "last_name", "email"):
            simple.append((index, target))
        elif target == "tags":
            tags.append(index)
        elif target.startswith("field:"):
            fields.append((index, target[6:]))
    width = max((int(k) for k in mapping), default=-1) + 1
    return Compiled(phone + alt, simple, fields, tags, width)


def foreign_reason(result: PhoneResult) -> str:
    return (
        f"reads only as a number in {country_name(result.foreign or '')} ({result.e164}); "
        "check the import's country, or write the number with + and its country code"
    )


def convert(
    cells: list[str],
    compiled: Compiled,
    region: str,
    tags: set[str],
    accept_foreign: bool = False,
) -> tuple[RowData | None, str | None, list[str]]:
    """One row → (data, error, warnings). ``error`` means the row is skipped; its raw
    phone value travels in the error text's caller. A number that is valid only as
    another country's (digits without "+") is refused unless ``accept_foreign``."""
    warnings: list[str] = []
    phone: str | None = None
    reason = "no phone number"
    for index in compiled.phone_columns:
        if index >= len(cells):
            continue
        result = normalise(cells[index], region)
        if result.e164 and result.foreign:
            if not accept_foreign:
                reason = foreign_reason(result)
                continue
            warnings.append(f"read as a number in {country_name(result.foreign)}")
        if result.e164:
            phone = result.e164
            if result.reason:
                warnings.append(result.reason)
            if reason != "no phone number":  # an earlier phone cell was not readable
                warnings.append(f"used column {index + 1}; an earlier phone cell: {reason}")
            break
        if cells[index].strip() or reason == "no phone number":
            reason = result.reason or reason
    if phone is None:
        return None, reason, warnings
    data = RowData(phone, tags=set(tags))
    for index, target in compiled.simple:
        if index < len(cells):
            value = clean_text(cells[index], MAX_NAME if target != "email" else 254)
            if not value:
                continue
            if target == "email":
                if not EMAIL_PATTERN.match(value):
                    warnings.append(f"email ignored, not an address: {value[:60]}")
                    continue
                value = value.lower()
            setattr(data, target, value)
    for index, key in compiled.fields:
        if index < len(cells):
            value = clean_text(cells[index], MAX_FIELD_VALUE)
            if value:
                data.fields[key] = value
    for index in compiled.tag_columns:
        if index < len(cells):
            for part in _TAG_SPLIT.split(cells[index]):
                tag = normalise_tag(part.lstrip("* "))
                if tag and len(data.tags) < MAX_TAGS:
                    data.tags.add(tag)
                    spelled = " ".join(part.lstrip("* ").split())
                    if spelled != tag:
                        data.tag_labels.setdefault(tag, spelled)
    if len(cells) > max(compiled.width, 1) and any(c.strip() for c in cells[compiled.width :]):
        warnings.append(f"row has {len(cells)} columns; cells past column {compiled.width} ignored")
    if not data.name and (data.first_name or data.last_name):
        data.name = " ".join(p for p in (data.first_name, data.last_name) if p)
    return data, None, warnings


def header_looks_like_data(row: list[str], region: str) -> bool:
    """A first row holding a phone number is data, not a header."""
    return any(normalise(cell, region).e164 for cell in row if sum(c.isdigit() for c in cell) >= 6)
