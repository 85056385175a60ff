"""Reading user CSV files: encoding and delimiter detection, and a record reader
that knows the byte offset where every record ends (so import chunks can resume
at an exact offset, and a chunk can be re-read identically after a redelivery).

Pure functions on bytes: no AWS here.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

MAX_RECORD_BYTES = 64 * 1024  # a longer row is reported, never parsed
MAX_RECORD_LINES = 50  # a quoted field spanning more lines is a stray quote
MAX_COLUMNS = 200
DELIMITERS = (",", ";", "\t", "|")
csv.field_size_limit(MAX_RECORD_BYTES)

CODECS = {
    "utf-8": "utf-8",
    "utf-8-bom": "utf-8",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "windows-1252": "cp1252",
    "latin-1": "latin-1",
}
_MAGIC = {
    b"PK\x03\x04": "an Excel workbook or ZIP archive (save it as CSV first)",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (save it as CSV first)",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
}


class NotText(ValueError):
    """The file is not a text CSV (binary, empty, unreadable)."""


@dataclass(frozen=True)
class Encoding:
    label: str  # what we report: utf-8, utf-8-bom, utf-16-le, utf-16-be, windows-1252, latin-1
    bom: int  # bytes to skip at the start

    @property
    def codec(self) -> str:
        return CODECS[self.label]

    @property
    def ascii_compatible(self) -> bool:
        return not self.label.startswith("utf-16")


def detect_encoding(sample: bytes, whole: bool) -> Encoding:
    """Decide how to decode a file from its first bytes. ``whole``: sample is the file."""
    if not sample.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise NotText("The file is empty.")
    for magic, what in _MAGIC.items():
        if sample.startswith(magic):
            raise NotText(f"This is {what}, not a CSV file.")
    if sample.startswith(codecs.BOM_UTF8):
        return Encoding("utf-8-bom", 3)
    if sample.startswith(codecs.BOM_UTF16_LE):
        return Encoding("utf-16-le", 2)
    if sample.startswith(codecs.BOM_UTF16_BE):
        return Encoding("utf-16-be", 2)
    head = sample[:4096]
    if len(head) >= 4:
        even_zero = head[0::2].count(0) / max(1, len(head[0::2]))
        odd_zero = head[1::2].count(0) / max(1, len(head[1::2]))
        if odd_zero > 0.3 and even_zero < 0.05:
            return _checked(sample, Encoding("utf-16-le", 0))
        if even_zero > 0.3 and odd_zero < 0.05:
            return _checked(sample, Encoding("utf-16-be", 0))
    try:
        sample.decode("utf-8")
        return _checked(sample, Encoding("utf-8", 0))
    except UnicodeDecodeError as error:
        # A sample cut in the middle of a character is still UTF-8.
        if (
            not whole
            and error.start >= len(sample) - 3
            and error.reason == "unexpected end of data"
        ):
            return _checked(sample, Encoding("utf-8", 0))
    try:
        sample.decode("cp1252")
        return _checked(sample, Encoding("windows-1252", 0))
    except UnicodeDecodeError:
        return _checked(sample, Encoding("latin-1", 0))


def _checked(sample: bytes, encoding: Encoding) -> Encoding:
    text = sample[encoding.bom :].decode(encoding.codec, "replace")
    if not text:
        raise NotText("The file is empty.")
    # A stray NUL or control character is a bad row, not a binary file.
    control = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\r\n") or ch == "\x7f")
    if control > max(2, len(text) // 100):
        raise NotText("This looks like a binary file, not a CSV file.")
    return encoding


def bare_cr(sample: bytes, encoding: Encoding) -> bool:
    """Old Mac files end lines with CR alone."""
    text = sample[encoding.bom : 65536].decode(encoding.codec, "replace")
    return "\r" in text and "\n" not in text


@dataclass
class Record:
    start: int  # byte offsets relative to the buffer's base
    end: int
    fields: list[str] | None
    error: str | None = None
    raw: str = ""


@dataclass
class RecordReader:
    """Reads whole CSV records from a buffer of an ASCII-compatible encoding.

    Records never straddle the end of the buffer unless ``at_eof``: a record that
    would is left for the next chunk (its start is where the next chunk begins).
    """

    data: bytes
    codec: str
    delimiter: str
    at_eof: bool
    base: int = 0
    _pos: int = 0
    _exhausted: bool = False
    _lines: int = 0
    stopped_at: int = field(default=0)

    def _feed(self) -> Iterator[str]:
        data = self.data
        while True:
            if self._pos >= len(data):
                self._exhausted = True
                return
            newline = data.find(b"\n", self._pos)
            if newline == -1:
                if not self.at_eof:
                    self._exhausted = True
                    return
                newline = len(data) - 1
            line = data[self._pos : newline + 1]
            self._pos = newline + 1
            self._lines += 1
            if len(line) > MAX_RECORD_BYTES:
                line = line[:MAX_RECORD_BYTES]  # the record is rejected anyway
            yield line.decode(self.codec, "replace").replace("\x00", "")

    def __iter__(self) -> Iterator[Record]:
        reader = csv.reader(self._feed(), delimiter=self.delimiter, strict=False)
        while True:
            start = self._pos
            self._lines = 0
            self._exhausted = False
            try:
                fields = next(reader)
            except StopIteration:
                self.stopped_at = start
                return
            except csv.Error as error:
                yield Record(start, self._pos, None, f"unreadable row ({error})", self._raw(start))
                reader = csv.reader(self._feed(), delimiter=self.delimiter, strict=False)
                continue
            if self._exhausted and not self.at_eof:
                # Cut by the end of the buffer: the next chunk reads it whole, unless
                # nothing at all fits (then it is too long or has an unclosed quote).
                self.stopped_at = start
                return
            if self._lines > MAX_RECORD_LINES or self._pos - start > MAX_RECORD_BYTES:
                first_line_end = self.data.find(b"\n", start)
                if self._lines > 1 and first_line_end != -1:
                    # A stray quote swallowed later lines: report the first, go on after it.
                    self._pos = first_line_end + 1
                    yield Record(
                        start, self._pos, None, "unclosed quote in this row", self._raw(start)
                    )
                else:
                    yield Record(
                        start, self._pos, None, "row is longer than 64 KB", self._raw(start)
                    )
                reader = csv.reader(self._feed(), delimiter=self.delimiter, strict=False)
                continue
            if len(fields) > MAX_COLUMNS:
                fields = fields[:MAX_COLUMNS]
            yield Record(start, self._pos, fields)
        # unreachable

    def _raw(self, start: int) -> str:
        end = self.data.find(b"\n", start)
        end = len(self.data) if end == -1 else end
        return self.data[start : min(end, start + 200)].decode(self.codec, "replace")


def records(data: bytes, codec: str, delimiter: str, at_eof: bool) -> tuple[list[Record], int]:
    """All whole records in ``data`` and the offset just after the last one."""
    reader = RecordReader(data, codec, delimiter, at_eof)
    found = list(reader)
    return found, (found[-1].end if found else 0)


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most consistent columns."""
    lines = [line for line in text.splitlines()[:30] if line.strip()]
    if not lines:
        return ","
    best, best_score = ",", (-1.0, 0)
    for delimiter in DELIMITERS:
        try:
            rows = list(csv.reader(lines, delimiter=delimiter, strict=False))
        except csv.Error:
            continue
        widths = [len(row) for row in rows]
        modal = max(set(widths), key=widths.count)
        if modal < 2:
            continue
        score = (widths.count(modal) / len(widths), modal)
        if score > best_score:
            best, best_score = delimiter, score
    return best


_SEP_LINE = re.compile(r"sep=(.)")


def excel_sep(text: str) -> str | None:
    """Excel's ``sep=;`` first line names the delimiter."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip()
    match = _SEP_LINE.fullmatch(first)
    return match.group(1) if match and match.group(1) in DELIMITERS else None


def is_sep_line(fields: list[str], delimiter: str) -> bool:
    return _SEP_LINE.fullmatch(delimiter.join(fields).strip()) is not None


def is_blank(fields: list[str]) -> bool:
    return not any(cell.strip() for cell in fields)
