"""Excel (.xlsx) imports: the first sheet becomes a UTF-8 CSV working copy, and the
CSV path (preview, mapping, chunks, limits, report) takes it from there.

openpyxl in read-only mode streams rows; ``data_only`` gives formula cells their
cached values (what Excel last showed), never the formula text. Dates become ISO
dates; whole numbers stay whole ("5511987654321", not "5.511987654321e12").
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, time
from typing import Any

from chalicelib import aws
from chalicelib.config import settings
from chalicelib.errors import PayloadTooLarge, ValidationFailed
from chalicelib.models.base import now_ms
from chalicelib.models.contacts import ImportModel

ZIP_MAGIC = b"PK\x03\x04"
MAX_ROWS = 500_000  # as for CSV; the rest is not converted (the CSV limit reports it)
MAX_COLUMNS = 200
MAX_UNZIPPED = 200 * 1024 * 1024  # a zip bomb stops here


def needs_conversion(item: ImportModel) -> bool:
    return item.filename.lower().endswith(".xlsx") and item.source_format != "xlsx"


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e17 else repr(value)
    return str(value)


def to_csv(data: bytes) -> bytes:
    """The first sheet of an .xlsx file as UTF-8 CSV."""
    from openpyxl import load_workbook  # ~90 ms to import: only imports of .xlsx pay it

    refused = ValidationFailed(
        "This file is not an Excel workbook we can read. Save it as .xlsx or CSV and try again.",
        code="not_xlsx",
    )
    if not data.startswith(ZIP_MAGIC):
        raise refused
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED:
                raise PayloadTooLarge("This workbook is too large once unpacked.")
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise refused from None
    try:
        sheet = workbook.worksheets[0]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        for count, row in enumerate(sheet.iter_rows(values_only=True)):
            if count >= MAX_ROWS + 1:
                break
            cells = [cell_text(v) for v in row[:MAX_COLUMNS]]
            while cells and cells[-1] == "":
                cells.pop()
            writer.writerow(cells)
    finally:
        workbook.close()
    return out.getvalue().encode("utf-8")


def convert_upload(item: ImportModel, size: int) -> tuple[ImportModel, int]:
    """Convert the uploaded workbook once; the import then reads the CSV copy."""
    s3 = aws.client("s3")
    bucket = settings().uploads_bucket
    data = s3.get_object(Bucket=bucket, Key=item.upload_key)["Body"].read()
    converted = to_csv(data)
    key = item.upload_key.rsplit("/", 1)[0] + "/sheet.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=converted, ContentType="text/csv")
    item.update(
        actions=[
            ImportModel.upload_key.set(key),
            ImportModel.source_format.set("xlsx"),
            ImportModel.size.set(len(converted)),
            ImportModel.updated_at.set(now_ms()),
        ]
    )
    return item, len(converted)
