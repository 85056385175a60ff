"""Phone normalisation: examples of every common local form, and properties."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from chalicelib.contacts.phones import normalise, path_phone

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
REGIONS = ["BR", "US", "GB", "DE", "MX", "ES", "PT", "IN", "FR", "AR", "NG", "ID"]


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(11) 98765-4321", "BR", "+5511987654321"),
        ("11 98765 4321", "BR", "+5511987654321"),
        ("11.98765.4321", "BR", "+5511987654321"),
        ("+55 (11) 98765-4321", "US", "+5511987654321"),
        ("0055 11 98765 4321", "US", "+5511987654321"),
        ("5511987654321", "US", "+5511987654321"),
        ("(202) 555-0143", "US", "+12025550143"),
        ("202.555.0143", "US", "+12025550143"),
        ("1-202-555-0143", "US", "+12025550143"),
        ("07911 123456", "GB", "+447911123456"),
        ("+44 7911 123456", "BR", "+447911123456"),
        ("00447911123456", "BR", "+447911123456"),
        ("tel: +1 202 555 0143", "BR", "+12025550143"),
        ("+44 07911 123456", "US", "+447911123456"),
        ("+55 0 11 98765 4321", "US", "+5511987654321"),
        ("+39 06 1234 5678", "US", "+390612345678"),
    ],
)
def test_local_forms(raw: str, region: str, expected: str) -> None:
    result = normalise(raw, region)
    assert result.e164 == expected, result
    assert result.reason is None


def test_several_numbers_take_first_valid_and_say_so() -> None:
    result = normalise("123 / (11) 98765-4321; (11) 91234-5678", "BR")
    assert result.e164 == "+5511987654321"
    assert result.reason and "several numbers" in result.reason


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "no phone number"),
        ("   ", "no phone number"),
        ("n/a", "no digits"),
        ("12", "not a valid"),
        ("+999 1234 5678", "not a valid"),
        ("1" * 500, "not a valid"),
        ("12 / 34", "none of the 2"),
        ("😀📞", "no digits"),
    ],
)
def test_invalid_numbers_say_why(raw: str, reason: str) -> None:
    result = normalise(raw, "US")
    assert result.e164 is None
    assert result.reason and reason in result.reason


def test_path_phone_forms() -> None:
    assert path_phone("+5511987654321") == "+5511987654321"
    assert path_phone("%2B5511987654321") == "+5511987654321"
    assert path_phone("5511987654321") == "+5511987654321"
    assert path_phone("abc") is None
    assert path_phone("%2B0123") is None


def _valid_numbers() -> st.SearchStrategy[phonenumbers.PhoneNumber]:
    def build(region: str, tail: int) -> phonenumbers.PhoneNumber | None:
        example = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
        assert example is not None
        national = str(example.national_number)
        digits = national[: max(0, len(national) - 4)] + f"{tail:04d}"[-min(4, len(national)) :]
        number = phonenumbers.parse("+" + str(example.country_code) + digits)
        return number if phonenumbers.is_valid_number(number) else None

    return st.builds(build, st.sampled_from(REGIONS), st.integers(0, 9999)).filter(
        lambda n: n is not None
    )


@settings(max_examples=300, deadline=None)
@given(number=_valid_numbers(), style=st.sampled_from(["e164", "intl", "national", "00", "dots"]))
def test_every_format_of_a_valid_number_normalises_to_its_e164(
    number: phonenumbers.PhoneNumber, style: str
) -> None:
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    region = phonenumbers.region_code_for_number(number)
    if style == "e164":
        text = e164
    elif style == "intl":
        text = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    elif style == "national":
        text = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    elif style == "00":
        text = "00 " + e164[1:]
    else:
        text = ".".join(re.findall(r"\d{1,3}", e164[1:]))
        text = "+" + text
    assert normalise(text, region).e164 == e164


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300), st.sampled_from(REGIONS))
def test_any_text_gives_e164_or_a_reason_never_an_error(raw: str, region: str) -> None:
    result = normalise(raw, region)
    if result.e164 is None:
        assert result.reason
    else:
        assert E164.match(result.e164)
        assert normalise(result.e164, region).e164 == result.e164  # idempotent
