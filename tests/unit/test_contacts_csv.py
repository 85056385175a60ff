"""The CSV reader: encodings, delimiters, resumable chunks, bad input."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.contacts import csvfile
from chalicelib.contacts.imports import to_utf8
from chalicelib.contacts.mapping import suggest
from tests.contacts.fixtures import csv_bytes

# cp1252 cells avoid bytes that would also read as valid UTF-8 (see docs/contacts.md).
LATIN = "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 .-+()áéíóúãõçñÁÉÍÓÚÃÕÇÑüö\"',;|\t\n"
UNICODE = st.characters(exclude_categories=("Cs", "Cc"), include_characters="\t\r\n")


def _read_back(data: bytes, delimiter: str) -> tuple[str, list[list[str]]]:
    encoding = csvfile.detect_encoding(data, whole=True)
    if encoding.ascii_compatible and not csvfile.bare_cr(data, encoding):
        body, codec = data[encoding.bom :], encoding.codec
    else:
        body, codec = to_utf8(data, encoding, csvfile.bare_cr(data, encoding), True), "utf-8"
    found, end = csvfile.records(body, codec, delimiter, at_eof=True)
    assert end == len(body)
    assert all(r.error is None for r in found), found
    return encoding.label, [r.fields or [] for r in found]


def _rows(alphabet: st.SearchStrategy[str] | str) -> st.SearchStrategy[list[list[str]]]:
    cell = st.text(alphabet=alphabet, max_size=20)
    # A first cell that is plain text keeps rows non-blank and the file non-binary.
    first = st.text(alphabet="abcdefghij", min_size=1, max_size=5)
    row = st.builds(lambda a, rest: [a, *rest], first, st.lists(cell, max_size=5))
    return st.lists(row, min_size=1, max_size=20)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=_rows(UNICODE),
    encoding=st.sampled_from(["utf-8", "utf-16-le", "utf-16-be"]),
    bom=st.booleans(),
    delimiter=st.sampled_from(csvfile.DELIMITERS),
)
def test_unicode_csv_reads_back_the_same(
    rows: list[list[str]], encoding: str, bom: bool, delimiter: str
) -> None:
    data = csv_bytes(rows, encoding, delimiter, bom=bom or encoding.startswith("utf-16"))
    label, read = _read_back(data, delimiter)
    assert read == rows
    expected = {"utf-8": "utf-8-bom" if bom else "utf-8"}.get(encoding, encoding)
    assert label == expected


@settings(max_examples=200, deadline=None)
@given(rows=_rows(LATIN), delimiter=st.sampled_from(csvfile.DELIMITERS))
def test_windows_1252_csv_reads_back_the_same(rows: list[list[str]], delimiter: str) -> None:
    data = csv_bytes(rows, "cp1252", delimiter)
    label, read = _read_back(data, delimiter)
    assert read == rows
    assert label in ("utf-8", "windows-1252")  # pure ASCII is both


@settings(max_examples=200, deadline=None)
@given(rows=_rows(UNICODE), delimiter=st.sampled_from(csvfile.DELIMITERS), data=st.data())
def test_reading_in_chunks_from_any_split_gives_the_same_records(
    rows: list[list[str]], delimiter: str, data: st.DataObject
) -> None:
    """The worker resumes at the end offset of the last whole record of a range."""
    body = csv_bytes(rows, "utf-8", delimiter)
    whole, _ = csvfile.records(body, "utf-8", delimiter, at_eof=True)
    size = data.draw(st.integers(min_value=min(8, len(body)), max_value=len(body) + 1))
    offset, chunked = 0, []
    while offset < len(body):
        piece = body[offset : offset + size]
        at_eof = offset + len(piece) >= len(body)
        found, end = csvfile.records(piece, "utf-8", delimiter, at_eof)
        if not found:  # one record longer than the range: the worker widens it
            size *= 2
            continue
        chunked += [r.fields for r in found]
        offset += end
    assert chunked == [r.fields for r in whole]


@settings(max_examples=100, deadline=None)
@given(
    width=st.integers(2, 6),
    height=st.integers(2, 10),
    delimiter=st.sampled_from(csvfile.DELIMITERS),
    data=st.data(),
)
def test_delimiter_is_sniffed(width: int, height: int, delimiter: str, data: st.DataObject) -> None:
    cell = st.text(alphabet="abcdefghij0123456789 .-", min_size=1, max_size=12)
    rows = [[data.draw(cell) for _ in range(width)] for _ in range(height)]
    text = csv_bytes(rows, "utf-8", delimiter).decode()
    assert csvfile.sniff_delimiter(text) == delimiter


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\r\n\r\n  \n", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b"PK\x03\x04" + b"\x00" * 100, "Excel"),
        (b"%PDF-1.7\n...", "PDF"),
        (bytes(range(256)) * 20, "binary"),
        (b"\x00\x01\x02\x03" * 500, "binary"),
    ],
)
def test_not_text(data: bytes, message: str) -> None:
    with pytest.raises(csvfile.NotText, match=message):
        csvfile.detect_encoding(data, whole=True)


def test_utf16_without_bom_and_latin1_are_detected() -> None:
    text = "nome,telefone\nJoão,11 98765-4321\n"
    assert csvfile.detect_encoding(text.encode("utf-16-le"), True).label == "utf-16-le"
    assert csvfile.detect_encoding(text.encode("utf-16-be"), True).label == "utf-16-be"
    assert csvfile.detect_encoding(text.encode("cp1252"), True).label == "windows-1252"
    assert csvfile.detect_encoding(b"a,b\n\x81\xe9,c\n", True).label == "latin-1"
    # A sample cut inside a multi-byte character is still UTF-8.
    cut = ("a,b\n" + "ç" * 10).encode()[:-1]
    assert csvfile.detect_encoding(cut, whole=False).label == "utf-8"


def test_bare_cr_files() -> None:
    data = b"name,phone\rAna,1\rBo,2\r"
    encoding = csvfile.detect_encoding(data, True)
    assert csvfile.bare_cr(data, encoding)
    found, _ = csvfile.records(to_utf8(data, encoding, True, True), "utf-8", ",", True)
    assert [r.fields for r in found] == [["name", "phone"], ["Ana", "1"], ["Bo", "2"]]


def test_long_lines_unclosed_quotes_and_nul_bytes_are_per_row() -> None:
    data = (
        b"name,phone\n"
        + b"x" * (1024 * 1024)
        + b",1\n"
        + b'"open,2\n'
        + b"ok,3\n" * 60
        + b"nul\x00byte,4\n"
    )
    found, end = csvfile.records(data, "utf-8", ",", at_eof=True)
    assert end == len(data)
    assert found[1].error == "row is longer than 64 KB"
    assert found[2].error == "unclosed quote in this row"
    assert found[3].fields == ["ok", "3"]
    assert found[-1].fields == ["nulbyte", "4"]


def test_records_left_for_the_next_chunk() -> None:
    data = b'a,b\nc,"multi\nline'
    found, end = csvfile.records(data, "utf-8", ",", at_eof=False)
    assert [r.fields for r in found] == [["a", "b"]]
    assert end == 4


def test_google_and_outlook_headers() -> None:
    google = [
        "Name", "Given Name", "Family Name", "Group Membership", "E-mail 1 - Type",
        "E-mail 1 - Value", "Phone 1 - Type", "Phone 1 - Value", "Phone 2 - Type",
        "Phone 2 - Value",
    ]  # fmt: skip
    mapped = suggest(google)
    assert mapped["7"] == "phone" and mapped["9"] == "phone_alt"
    assert mapped["6"] == mapped["8"] == mapped["4"] == "ignore"
    assert (mapped["0"], mapped["1"], mapped["2"]) == ("name", "first_name", "last_name")
    assert mapped["5"] == "email" and mapped["3"] == "tags"
    outlook = ["First Name", "Last Name", "Business Phone", "Mobile Phone", "E-mail Address"]
    mapped = suggest(outlook)
    assert mapped["3"] == "phone" and mapped["2"] == "phone_alt"
    assert (mapped["0"], mapped["1"], mapped["4"]) == ("first_name", "last_name", "email")
    latin = ["Nombre", "Apellido", "Teléfono", "WhatsApp", "Número", "Cidade", "Sobrenome"]
    mapped = suggest(latin)
    assert mapped["3"] == "phone" and mapped["2"] == mapped["4"] == "phone_alt"
    assert (mapped["0"], mapped["1"], mapped["5"]) == ("name", "last_name", "field:cidade")


def test_utf16_codec_names() -> None:
    assert codecs.lookup(csvfile.CODECS["windows-1252"]).name == "cp1252"


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_safe_cell_escapes_formula_starts(value: str) -> None:
    from chalicelib.contacts.service import safe_cell

    assert safe_cell(value) == "'" + value
    assert safe_cell("plain =") == "plain ="
