"""Headers in the onboarding languages, phone columns found by their values, the
preview's phone check, and how .xlsx cells become text."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from chalicelib.contacts import mapping
from chalicelib.contacts.regions import phone_check
from chalicelib.contacts.xlsx import cell_text


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            ["Vorname", "Nachname", "Handy", "E-Mail-Adresse"],
            ["first_name", "last_name", "phone", "email"],
        ),
        (["Prénom", "Nom", "Portable", "Courriel"], ["first_name", "last_name", "phone", "email"]),
        (["Nama", "Nomor HP", "Kota"], ["name", "phone", "field:kota"]),
        (["Ad Soyad", "Cep Telefonu"], ["name", "phone"]),
        (["Nome", "Cognome", "Cellulare"], ["name", "last_name", "phone"]),
        (["Voornaam", "Achternaam", "Mobiel"], ["first_name", "last_name", "phone"]),
        (["الاسم", "الجوال"], ["name", "phone"]),
        (["Nombre", "Teléfono", "Celular"], ["name", "phone_alt", "phone"]),
        (["Telefon", "Telefonnummer"], ["phone", "phone_alt"]),
    ],
)
def test_headers_in_many_languages(header: list[str], expected: list[str]) -> None:
    assert list(mapping.suggest(header).values()) == expected


def test_the_phone_column_is_found_by_its_values_when_no_header_says_so() -> None:
    rows = [
        ["Ana", "Rua A", "(11) 98765-4321"],
        ["Bia", "Rua B", "11 91234-5678"],
        ["Cris", "", ""],
    ]
    suggested = mapping.suggest(["Cliente", "Endereço", "Contato zap"])
    assert "phone" not in suggested.values()
    assert mapping.suggest_phone_by_values(suggested, rows, "BR")["2"] == "phone"
    # Too few phone-like values: nothing is guessed.
    assert (
        "phone" not in mapping.suggest_phone_by_values({"0": "name"}, [["x"], ["y"]], "BR").values()
    )


def test_the_phone_check_counts_and_proposes_a_better_country() -> None:
    cells = [f"(11) 9{i:04d}-{i:04d}" for i in range(30)] + ["989318243306", "not a phone"]
    us = phone_check(cells, "US")
    assert (us["checked"], us["valid"], us["other_country"], us["invalid"]) == (32, 0, 1, 31)
    assert us["suggestion"] == {"region": "BR", "country_name": "Brazil", "valid": 30}
    br = phone_check(cells, "BR")
    assert (br["valid"], br["invalid"], br["suggestion"]) == (30, 1, None)
    # A handful more is not worth a suggestion.
    mixed = ["+14155550100"] * 20 + ["(11) 91234-5678"]
    assert phone_check(mixed, "US")["suggestion"] is None


def test_xlsx_cells_become_plain_text() -> None:
    assert cell_text(5511987654321.0) == "5511987654321"  # a phone stored as a number
    assert cell_text(19.9) == "19.9"
    assert cell_text(date(2026, 11, 3)) == "2026-11-03"
    assert cell_text(datetime(2026, 12, 24, 0, 0)) == "2026-12-24"
    assert cell_text(datetime(2026, 12, 24, 18, 30)) == "2026-12-24 18:30"
    assert (cell_text(None), cell_text(True), cell_text("Zoë")) == ("", "TRUE", "Zoë")
