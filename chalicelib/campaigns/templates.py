"""Message templates: ``{{variable|fallback}}`` and spintax ``{Hi|Hello}``.

Rendering is a plain scan over the text: no expression language, no attribute
access, nothing executes. Output is bounded to WhatsApp's 4,096 characters.
Spintax choices are seeded by the recipient, so a message rendered twice (preview,
then send; or a retry) reads the same.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_LENGTH = 4096
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
MAX_TEMPLATE_LENGTH = 8192
MAX_SPINTAX_DEPTH = 5
VARIABLE = re.compile(r"{{\s*([A-Za-z_][A-Za-z0-9_]{0,39})\s*(?:\|([^{}]{0,200}))?}}")
BUILTIN = ("name", "first_name", "last_name", "phone", "email")


class TemplateError(ValueError):
    """The template itself is malformed (unbalanced braces, too deep, too long)."""


@dataclass(frozen=True)
class Rendered:
    text: str
    missing: tuple[str, ...]  # variables with no value and no fallback
    truncated: bool


def variables(template: str) -> list[str]:
    """Variable names the template uses, in order of first use."""
    seen: list[str] = []
    for match in VARIABLE.finditer(template):
        if match.group(1) not in seen:
            seen.append(match.group(1))
    return seen


def required_variables(template: str) -> list[str]:
    """Variables that have no fallback anywhere they are used."""
    required: list[str] = []
    for match in VARIABLE.finditer(template):
        name, fallback = match.group(1), match.group(2)
        if fallback is None and name not in required:
            required.append(name)
    return required


def validate(template: str) -> None:
    if len(template) > MAX_TEMPLATE_LENGTH:
        raise TemplateError(f"The message is longer than {MAX_TEMPLATE_LENGTH} characters.")
    stripped = VARIABLE.sub("", template)
    depth = 0
    for char in stripped:
        if char == "{":
            depth += 1
            if depth > MAX_SPINTAX_DEPTH:
                raise TemplateError("Spintax is nested too deeply.")
        elif char == "}":
            depth -= 1
            if depth < 0:
                raise TemplateError("A '}' has no matching '{'.")
    if depth != 0:
        raise TemplateError("A '{' is never closed: write {option one|option two}.")
    if re.search(r"{{[^{}|]*}}", stripped):
        raise TemplateError("A variable is malformed: write {{name}} or {{name|fallback}}.")


def _spin(text: str, rng: random.Random) -> str:
    """Resolve innermost {a|b|c} groups first, until none is left."""
    innermost = re.compile(r"{([^{}]*)}")
    for _ in range(1000):
        match = innermost.search(text)
        if match is None:
            return text
        choice = rng.choice(match.group(1).split("|"))
        text = text[: match.start()] + choice + text[match.end() :]
    return text


def render(
    template: str, values: Mapping[str, str | None], seed: str = "", limit: int = MAX_LENGTH
) -> Rendered:
    # The API refuses control characters; a template stored before that is cleaned
    # here, because NUL is the parking mark below and any of them would break a send.
    template = _CONTROL.sub("", template)
    validate(template)
    missing: list[str] = []
    substituted: list[str] = []

    def park(match: re.Match[str]) -> str:
        name, fallback = match.group(1), match.group(2)
        value = (values.get(name) or "").strip()
        if not value:
            if fallback is None and name not in missing:
                missing.append(name)
            value = (fallback or "").strip()
        # Values are data, not spintax: keep them out of the spin pass.
        substituted.append(value)
        return f"\x00{len(substituted) - 1}\x00"

    skeleton = VARIABLE.sub(park, template)
    rng = random.Random(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))
    text = _spin(skeleton, rng)
    text = re.sub("\x00(\\d+)\x00", lambda m: substituted[int(m.group(1))], text)
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    truncated = len(text) > limit
    return Rendered(text=text[:limit], missing=tuple(missing), truncated=truncated)


def contact_values(
    *,
    phone: str,
    name: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    fields: Mapping[str, str] | None = None,
) -> dict[str, str | None]:
    """The variables a contact offers: built-ins, then custom fields (built-ins win)."""
    first = first_name or ((name or "").split(" ")[0] if name else None)
    values: dict[str, str | None] = dict(fields or {})
    values.update(
        {
            "phone": phone,
            "name": name or " ".join(p for p in (first_name, last_name) if p) or None,
            "first_name": first,
            "last_name": last_name,
            "email": email,
        }
    )
    return values


def contact_values_of(contact: Any) -> dict[str, str | None]:
    """A stored contact's values for the template variables."""
    import chalicelib.contacts.service as contacts

    return contact_values(
        phone=contact.phone,
        name=contact.name,
        first_name=contact.first_name,
        last_name=contact.last_name,
        email=contact.email,
        fields=contacts.fields_of(contact),
    )
