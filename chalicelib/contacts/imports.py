"""CSV import: upload → preview → start → chunked worker → report.

The worker handles one chunk (≤ CHUNK_ROWS records, read through an S3 byte
range) per SQS message and enqueues the next offset, so no Lambda runs long and
nothing per-row rides SQS. A chunk is idempotent under redelivery:

1. a message whose offset is not the import's ``next_offset`` is stale and ignored;
2. the chunk's outcome (counts, tag deltas) is recorded in ``pending`` *before*
   any contact is written, conditionally on ``next_offset``; a redelivery reuses it;
3. contact writes are full-item puts of ``merge(existing, rows)``, and merging
   twice gives the same item, so rewriting them is harmless;
4. one transaction advances ``next_offset``, adds the counts and the tag counters,
   and clears ``pending``, conditionally on ``next_offset`` still being the offset.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import csv
import io
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from chalicelib import aws, jobs, queues
from chalicelib.config import settings
from chalicelib.contacts import csvfile, mapping, regions, service, xlsx
from chalicelib.contacts.mapping import RowData
from chalicelib.errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed
from chalicelib.logs import logger
from chalicelib.models.base import now_ms
from chalicelib.models.contacts import ContactModel, ImportModel, OptOutModel

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 500_000
INLINE_MAX_BYTES = 1024 * 1024
CHUNK_ROWS = 2_000
RANGE_BYTES = 2 * 1024 * 1024
SAMPLE_BYTES = 256 * 1024
PREVIEW_ROWS = 20
PREVIEW_CELL = 200
UPLOAD_URL_SECONDS = 900
REPORT_URL_SECONDS = 900
MAX_IMPORT_TAGS = 10
MODES = ("add", "update", "opt_out")
TERMINAL = ("completed", "failed", "cancelled")
STARTABLE = ("uploaded", "ready")
COUNTERS = (
    "rows_read", "created", "updated", "existing", "duplicates", "invalid", "warnings",
    "already_opted_out", "opted_out", "blank",
)  # fmt: skip


def _prefix(user_id: str, import_id: str) -> str:
    return f"imports/{user_id}/{import_id}/"


def _s3() -> Any:
    return aws.client("s3")


def _bucket() -> str:
    return settings().uploads_bucket


def get_import(user_id: str, import_id: str) -> ImportModel:
    try:
        return ImportModel.get(user_id, import_id)
    except DoesNotExist:
        raise NotFound("No such import.") from None


def list_imports(
    user_id: str, limit: int, cursor: str | None
) -> tuple[list[ImportModel], str | None]:
    from chalicelib.pagination import decode_cursor, encode_cursor

    start = decode_cursor(cursor, {"user_id", "import_id"}, owner=("user_id", user_id))
    result = ImportModel.query(
        user_id, limit=limit, last_evaluated_key=start, scan_index_forward=False
    )
    items = list(result)
    return items, encode_cursor(result.last_evaluated_key)


# --- 1. create -----------------------------------------------------------------------


def decode_inline(content: str | None, content_base64: str | None) -> bytes | None:
    if content is not None:
        return content.encode("utf-8")
    if content_base64 is not None:
        try:
            return base64.b64decode(content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed(
                "content_base64 is not valid base64.", [{"loc": ["content_base64"]}]
            ) from None
    return None


def create_import(
    user_id: str, filename: str, content: bytes | None
) -> tuple[ImportModel, dict[str, Any] | None]:
    """A new import. With ``content`` the file is stored at once; otherwise the
    answer carries a presigned PUT URL for the browser to upload to."""
    # Sortable ids: newest first in listings.
    import_id = f"imp_{now_ms():013d}{secrets.token_hex(4)}"
    key = _prefix(user_id, import_id) + "upload.csv"
    now = now_ms()
    item = ImportModel(
        user_id,
        import_id,
        status="awaiting_upload",
        filename=filename,
        upload_key=key,
        created_at=now,
        updated_at=now,
    )
    upload = None
    if content is not None:
        if len(content) > INLINE_MAX_BYTES:
            raise PayloadTooLarge(
                "Send files over 1 MB through the upload URL.", {"max_bytes": INLINE_MAX_BYTES}
            )
        _s3().put_object(Bucket=_bucket(), Key=key, Body=content)
        item.status = "uploaded"
        item.size = len(content)
    else:
        from chalicelib.uploads import presigned_post

        # A presigned POST: S3 itself refuses more than MAX_FILE_BYTES.
        url, fields = presigned_post(
            _bucket(),
            key,
            max_bytes=MAX_FILE_BYTES,
            content_type="text/csv",
            type_prefix="",  # browsers label CSV files inconsistently
            expires=UPLOAD_URL_SECONDS,
        )
        upload = {
            "url": url,
            "fields": fields,
            "method": "POST",
            "expires_in": UPLOAD_URL_SECONDS,
            "max_bytes": MAX_FILE_BYTES,
        }
    item.save(condition=ImportModel.import_id.does_not_exist())
    return item, upload


# --- 2. preview ----------------------------------------------------------------------


@dataclass
class Sample:
    encoding: csvfile.Encoding
    delimiter: str
    records: list[csvfile.Record]
    utf8: bytes  # the sample, as UTF-8 with LF-or-CRLF lines
    whole: bool


def _fail(item: ImportModel, message: str) -> None:
    item.update(
        actions=[
            ImportModel.status.set("failed"),
            ImportModel.error.set(message),
            ImportModel.finished_at.set(now_ms()),
            ImportModel.updated_at.set(now_ms()),
        ]
    )


def _ensure_uploaded(item: ImportModel) -> int:
    from botocore.exceptions import ClientError

    try:
        head = _s3().head_object(Bucket=_bucket(), Key=item.upload_key)
    except ClientError:
        raise Conflict("The file has not been uploaded yet.", code="upload_missing") from None
    size = int(head["ContentLength"])
    if size > MAX_FILE_BYTES:
        _fail(item, "The file is larger than 50 MB.")
        raise PayloadTooLarge("The file is larger than 50 MB.", {"max_bytes": MAX_FILE_BYTES})
    return size


def _read_range(key: str, start: int, length: int) -> tuple[bytes, int]:
    """Bytes [start, start+length) of an object, and the object's total size."""
    response = _s3().get_object(
        Bucket=_bucket(), Key=key, Range=f"bytes={start}-{start + length - 1}"
    )
    data = response["Body"].read()
    total = int(str(response.get("ContentRange", "")).rpartition("/")[2] or len(data))
    return data, total


def to_utf8(data: bytes, encoding: csvfile.Encoding, cr_only: bool, final: bool) -> bytes:
    text = codecs.getincrementaldecoder(encoding.codec)("replace").decode(
        data[encoding.bom :], final=final
    )
    if cr_only:
        text = text.replace("\r", "\n")
    return text.encode("utf-8")


def sample(item: ImportModel, size: int) -> Sample:
    head, _ = _read_range(item.upload_key, 0, min(SAMPLE_BYTES, max(size, 1))) if size else (b"", 0)
    whole = len(head) >= size
    encoding = csvfile.detect_encoding(head, whole)
    cr_only = csvfile.bare_cr(head, encoding)
    utf8 = to_utf8(head, encoding, cr_only, final=whole)
    text = utf8.decode("utf-8", "replace")
    delimiter = csvfile.excel_sep(text) or csvfile.sniff_delimiter(text)
    found, _ = csvfile.records(utf8, "utf-8", delimiter, whole)
    if found and found[0].fields and csvfile.is_sep_line(found[0].fields, delimiter):
        found = found[1:]
    return Sample(encoding, delimiter, found, utf8, whole)


def preview(user_id: str, import_id: str, region: str | None = None) -> dict[str, Any]:
    item = get_import(user_id, import_id)
    if item.status == "failed":
        raise ValidationFailed(item.error or "The import failed.", code="import_failed")
    size = _ensure_uploaded(item)
    if xlsx.needs_conversion(item):
        try:
            item, size = xlsx.convert_upload(item, size)
        except ValidationFailed as error:
            _fail(item, error.message)
            raise
    try:
        found = sample(item, size)
    except csvfile.NotText as error:
        _fail(item, str(error))
        code = "empty_file" if "empty" in str(error) else "not_csv"
        raise ValidationFailed(str(error), code=code) from None
    region = region or service.user_region(user_id)
    rows = [r for r in found.records if r.fields is not None and not csvfile.is_blank(r.fields)]
    errors = [
        {"offset": r.start, "reason": r.error, "value": r.raw}
        for r in found.records[: PREVIEW_ROWS + 1]
        if r.error
    ]
    has_header = bool(rows) and not mapping.header_looks_like_data(rows[0].fields or [], region)
    header = (rows[0].fields or []) if has_header else []
    data = [r.fields or [] for r in (rows[1:] if has_header else rows)][:PREVIEW_ROWS]
    # Long cells are cut for display only (the import reads them whole).
    data = [[cell[:PREVIEW_CELL] for cell in row] for row in data]
    suggested = (
        mapping.suggest(header) if has_header else mapping.suggest_without_header(data, region)
    )
    # Headers in a language we do not know: the column of phone-like values is the phone.
    suggested = mapping.suggest_phone_by_values(suggested, data, region)
    phone_columns = [int(k) for k, t in suggested.items() if t in ("phone", "phone_alt")][:1]
    sample_rows = [r.fields or [] for r in (rows[1:] if has_header else rows)]
    phone_cells = [row[i] for row in sample_rows for i in phone_columns if i < len(row)]
    width = max([len(header), *(len(row) for row in data)], default=0)
    if item.status in ("awaiting_upload", "uploaded", "ready"):
        item.update(
            actions=[
                ImportModel.status.set("ready"),
                ImportModel.size.set(size),
                ImportModel.encoding.set(found.encoding.label),
                ImportModel.delimiter.set(found.delimiter),
                ImportModel.has_header.set(has_header),
                ImportModel.header.set(header[: csvfile.MAX_COLUMNS]),
                ImportModel.suggested_mapping.set(suggested),
                ImportModel.updated_at.set(now_ms()),
            ],
            condition=ImportModel.status.is_in("awaiting_upload", "uploaded", "ready"),
        )
    return {
        "import_id": item.import_id,
        "size": size,
        "encoding": found.encoding.label,
        "delimiter": found.delimiter,
        "has_header": has_header,
        "header": header,
        "rows": data,
        "columns": [
            {
                "index": i,
                "header": header[i] if i < len(header) else "",
                "sample": [row[i] for row in data[:5] if i < len(row)],
                "suggested": suggested.get(str(i), "ignore"),
            }
            for i in range(min(width, csvfile.MAX_COLUMNS))
        ],
        "suggested_mapping": suggested,
        "default_region": region,
        "row_errors": errors,
        "phones": regions.phone_check(phone_cells, region),
    }


# --- 3. start / cancel ---------------------------------------------------------------


def resolve_mapping(raw: dict[str, str], header: list[str]) -> dict[str, str]:
    """Keys are column indexes ("0", "1", …) or header names; values are targets."""
    resolved: dict[str, str] = {}
    problems = []
    for key, target in raw.items():
        index: int | None = None
        if key.isdigit():
            index = int(key)
        elif header.count(key) == 1:
            index = header.index(key)
        problem = mapping.check_target(target)
        if index is None or index >= csvfile.MAX_COLUMNS:
            problems.append({"loc": ["mapping", key], "msg": "unknown column"})
        elif problem:
            problems.append({"loc": ["mapping", key], "msg": problem})
        else:
            resolved[str(index)] = target
    if not problems and not any(t in ("phone", "phone_alt") for t in resolved.values()):
        problems.append({"loc": ["mapping"], "msg": "map at least one column to phone"})
    if problems:
        raise ValidationFailed("The mapping is not valid.", problems)
    return resolved


def start(
    user_id: str,
    import_id: str,
    raw_mapping: dict[str, str] | None,
    default_region: str | None,
    tags: list[str],
    mode: str,
    has_header: bool | None = None,
    delimiter: str | None = None,
    accept_other_countries: bool = False,
) -> ImportModel:
    item = get_import(user_id, import_id)
    if item.status not in STARTABLE and item.status != "awaiting_upload":
        raise Conflict(f"This import is already {item.status}.", code="import_not_startable")
    if item.encoding is None:
        preview(user_id, import_id)
        item = get_import(user_id, import_id)
    header = list(item.header or [])
    if raw_mapping is None:
        raw_mapping = dict(item.suggested_mapping.as_dict()) if item.suggested_mapping else {}
    resolved = resolve_mapping(raw_mapping, header)
    clean_tags = []
    labels: dict[str, str] = {}
    for tag in tags[:MAX_IMPORT_TAGS]:
        normal = mapping.normalise_tag(tag)
        if normal is None:
            raise ValidationFailed("A tag is not valid.", [{"loc": ["tags"], "msg": tag[:50]}])
        clean_tags.append(normal)
        labels.setdefault(normal, " ".join(tag.split()))
    service.remember_tag_labels(user_id, labels)  # shown as typed, matched case-folded
    try:
        item.update(
            actions=[
                ImportModel.status.set("queued"),
                ImportModel.mapping.set(resolved),
                ImportModel.default_region.set(default_region or service.user_region(user_id)),
                ImportModel.tags.set(sorted(set(clean_tags))),
                ImportModel.mode.set(mode),
                ImportModel.has_header.set(item.has_header if has_header is None else has_header),
                ImportModel.delimiter.set(delimiter or item.delimiter or ","),
                ImportModel.accept_foreign.set(accept_other_countries),
                ImportModel.started_at.set(now_ms()),
                ImportModel.updated_at.set(now_ms()),
            ],
            condition=ImportModel.status.is_in(*STARTABLE),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict(
                "This import has already started.", code="import_not_startable"
            ) from None
        raise
    queues.send(queues.CONTACTS, jobs.ImportChunk(user_id=user_id, import_id=import_id, offset=-1))
    return item


def cancel(user_id: str, import_id: str) -> ImportModel:
    item = get_import(user_id, import_id)
    try:
        item.update(
            actions=[
                ImportModel.status.set("cancelled"),
                ImportModel.finished_at.set(now_ms()),
                ImportModel.updated_at.set(now_ms()),
            ],
            condition=ImportModel.status.is_in(
                "awaiting_upload", "uploaded", "ready", "queued", "running"
            ),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict(
                f"This import is already {item.status}.", code="import_finished"
            ) from None
        raise
    return item


# --- worker --------------------------------------------------------------------------


def handle_message(
    body: jobs.ImportChunk | jobs.BulkDelete | dict[str, Any], receive_count: int = 1
) -> None:
    """One SQS message of the contacts queue (its job, or the job as a dict)."""
    job = jobs.validate(queues.CONTACTS.key, body)
    if isinstance(job, jobs.ImportChunk):
        user_id, import_id, offset = job.user_id, job.import_id, job.offset
        try:
            if offset < 0:
                prepare(user_id, import_id)
            else:
                run_chunk(user_id, import_id, offset)
        except Exception:
            if receive_count >= queues.CONTACTS.max_receive_count:
                # Last attempt: never leave an import "running" forever.
                logger.exception("import failed", extra={"import_id": import_id})
                try:
                    _fail(ImportModel(user_id, import_id), "An internal error stopped this import.")
                except Exception:
                    logger.exception("could not mark import failed")
                return
            raise
    elif isinstance(job, jobs.BulkDelete):
        run_bulk_delete(job)


def prepare(user_id: str, import_id: str) -> None:
    """Make the working copy (UTF-8 when the upload is UTF-16 or uses bare CR line
    ends, else the upload itself), skip BOM and header, and enqueue the first chunk."""
    try:
        item = ImportModel.get(user_id, import_id)
    except DoesNotExist:
        return
    if item.status != "queued" or item.next_offset is not None:
        return
    size = item.size or 0
    try:  # the byte limit again, before reading: the file could be replaced after its preview
        if _ensure_uploaded(item) != size:
            _fail(item, "The file changed after its preview. Upload it again.")
            return
    except PayloadTooLarge:
        return  # _ensure_uploaded marked it failed
    except Conflict:
        _fail(item, "The uploaded file is gone. Upload it again.")
        return
    head, _ = _read_range(item.upload_key, 0, min(SAMPLE_BYTES, size)) if size else (b"", 0)
    try:
        encoding = csvfile.detect_encoding(head, len(head) >= size)
    except csvfile.NotText as error:
        _fail(item, str(error))
        return
    cr_only = csvfile.bare_cr(head, encoding)
    work_key, work_start, work_size = item.upload_key, encoding.bom, size
    if not encoding.ascii_compatible or cr_only:
        work_key = _prefix(user_id, import_id) + "work.csv"
        work_size = _transcode(item.upload_key, work_key, encoding, cr_only)
        work_start = 0
    codec = "utf-8" if work_key != item.upload_key else encoding.codec
    # Skip leading blank lines, Excel's "sep=" line and the header; remember how many
    # records that was, so report row numbers match the file.
    data, _ = _read_range(work_key, work_start, RANGE_BYTES) if work_size > work_start else (b"", 0)
    delimiter = item.delimiter or ","
    reader = csvfile.RecordReader(data, codec, delimiter, work_start + len(data) >= work_size)
    base, skipped, first = work_start, 0, True
    for record in reader:
        if record.fields is not None and csvfile.is_blank(record.fields):
            skipped += 1
            continue
        if first and record.fields is not None and csvfile.is_sep_line(record.fields, delimiter):
            first = False
            skipped += 1
            work_start = base + record.end
            continue
        if item.has_header:
            skipped += 1
            work_start = base + record.end
        break
    if work_start == base:
        skipped = 0  # nothing skipped: blank lines before data are read as blank rows
    try:
        item.update(
            actions=[
                ImportModel.status.set("running"),
                ImportModel.encoding.set(encoding.label),
                ImportModel.work_key.set(work_key),
                ImportModel.work_start.set(work_start),
                ImportModel.work_size.set(work_size),
                ImportModel.next_offset.set(work_start),
                ImportModel.row_base.set(skipped),
                ImportModel.updated_at.set(now_ms()),
            ],
            condition=(ImportModel.status == "queued") & ImportModel.next_offset.does_not_exist(),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return
        raise
    _enqueue(user_id, import_id, work_start)


def _transcode(source: str, target: str, encoding: csvfile.Encoding, cr_only: bool) -> int:
    body = _s3().get_object(Bucket=_bucket(), Key=source)["Body"]
    decoder = codecs.getincrementaldecoder(encoding.codec)("replace")
    out = io.BytesIO()
    skip = encoding.bom
    for piece in body.iter_chunks(1024 * 1024):
        if skip:
            piece, skip = piece[skip:], max(0, skip - len(piece))
        text = decoder.decode(piece)
        out.write((text.replace("\r", "\n") if cr_only else text).encode("utf-8"))
    tail = decoder.decode(b"", final=True)
    out.write((tail.replace("\r", "\n") if cr_only else tail).encode("utf-8"))
    _s3().put_object(Bucket=_bucket(), Key=target, Body=out.getvalue())
    return out.tell()


def _enqueue(user_id: str, import_id: str, offset: int) -> None:
    queues.send(
        queues.CONTACTS, jobs.ImportChunk(user_id=user_id, import_id=import_id, offset=offset)
    )


@dataclass
class ChunkPlan:
    counts: Counter[str] = field(default_factory=Counter)
    tags: Counter[str] = field(default_factory=Counter)
    contacts: list[ContactModel] = field(default_factory=list)
    opt_outs: list[OptOutModel] = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    tag_labels: dict[str, str] = field(default_factory=dict)
    end: int = 0
    eof: bool = False
    truncated: bool = False


def read_chunk(
    item: ImportModel, offset: int
) -> tuple[list[tuple[int, csvfile.Record]], int, bool]:
    """Records from ``offset`` (each with its row number), the next offset, and EOF."""
    work_size = int(item.work_size or 0)
    if offset >= work_size:
        return [], offset, True
    data, _ = _read_range(str(item.work_key), offset, RANGE_BYTES)
    at_eof = offset + len(data) >= work_size
    codec = (
        "utf-8" if item.work_key != item.upload_key else csvfile.CODECS[item.encoding or "utf-8"]
    )
    reader = csvfile.RecordReader(data, codec, item.delimiter or ",", at_eof)
    first_row = int(item.rows_read or 0) + int(item.row_base or 0) + 1
    limit = min(CHUNK_ROWS, MAX_ROWS - int(item.rows_read or 0))
    found: list[tuple[int, csvfile.Record]] = []
    for record in reader:
        found.append((first_row + len(found), record))
        if len(found) >= limit:
            break
    if not found and not at_eof:
        # Not one whole record in RANGE_BYTES: a giant line. Report it, skip past it.
        end = _find_newline(str(item.work_key), offset + len(data), work_size)
        raw = data[:200].decode(codec, "replace")
        found.append(
            (first_row, csvfile.Record(0, end - offset, None, "row is longer than 64 KB", raw))
        )
    next_offset = offset + (found[-1][1].end if found else len(data))
    return found, next_offset, next_offset >= work_size


def _find_newline(key: str, start: int, size: int) -> int:
    position = start
    while position < size:
        data, _ = _read_range(key, position, RANGE_BYTES)
        newline = data.find(b"\n")
        if newline != -1:
            return position + newline + 1
        position += len(data)
    return size


def plan_chunk(item: ImportModel, records: list[tuple[int, csvfile.Record]]) -> ChunkPlan:
    plan = ChunkPlan()
    compiled = mapping.compile_mapping(dict(item.mapping.as_dict() if item.mapping else {}))
    region = item.default_region or "US"
    import_tags = set(item.tags or [])
    merged: dict[str, RowData] = {}
    phone_columns = compiled.phone_columns
    for row_number, record in records:
        plan.counts["rows_read"] += 1
        if record.fields is None:
            plan.counts["invalid"] += 1
            plan.errors.append((row_number, record.raw, record.error or "unreadable row"))
            continue
        if csvfile.is_blank(record.fields):
            plan.counts["blank"] += 1
            continue
        data, error, warnings = mapping.convert(
            record.fields, compiled, region, import_tags, bool(item.accept_foreign)
        )
        raw_phone = " | ".join(
            record.fields[i]
            for i in phone_columns
            if i < len(record.fields) and record.fields[i].strip()
        )
        for warning in warnings:
            plan.counts["warnings"] += 1
            plan.errors.append((row_number, raw_phone, f"warning: {warning}"))
        if data is None:
            plan.counts["invalid"] += 1
            plan.errors.append((row_number, raw_phone, error or "invalid row"))
            continue
        for tag, label in data.tag_labels.items():
            plan.tag_labels.setdefault(tag, label)
        if data.phone in merged:
            merged[data.phone].merge(data)
            plan.counts["duplicates"] += 1
        else:
            merged[data.phone] = data
    if not merged:
        return plan
    user_id = item.user_id
    keys = [(user_id, phone) for phone in merged]
    existing = {c.phone: c for c in ContactModel.batch_get(keys, consistent_read=True)}
    opted = {o.phone: o for o in OptOutModel.batch_get(keys, consistent_read=True)}
    now = now_ms()
    for phone, data in merged.items():
        before = existing.get(phone)
        opt = opted.get(phone)
        if item.mode == "opt_out":
            if opt is not None:
                plan.counts["already_opted_out"] += 1
            else:
                plan.counts["opted_out"] += 1
                opt = OptOutModel(user_id, phone, at=now, source=f"import:{item.import_id}")
                plan.opt_outs.append(opt)
            if before is not None and not before.opted_out:
                _set_opt_flag(before, opt, now)
                plan.contacts.append(before)
            continue
        if opt is not None or (before is not None and before.opted_out):
            plan.counts["already_opted_out"] += 1
        if before is None:
            contact = ContactModel(user_id, phone, created_at=now, updated_at=now)
            _apply(contact, data, overwrite=True)
            plan.counts["created"] += 1
        elif before.last_import_id == item.import_id:
            contact = _copy(before)
            _apply(contact, data, overwrite=True)
            plan.counts["duplicates"] += 1
        elif item.mode == "update":
            contact = _copy(before)
            _apply(contact, data, overwrite=True)
            plan.counts["updated" if _changed(before, contact) else "existing"] += 1
        else:  # add: never touches an existing contact's fields; adds the tags
            contact = _copy(before)
            contact.tags = (set(before.tags or ()) | data.tags) or None
            plan.counts["existing"] += 1
        if opt is not None and not contact.opted_out:
            _set_opt_flag(contact, opt, now)
        contact.last_import_id = item.import_id
        contact.search = service.search_text(contact) or None
        if before is None or _changed(before, contact) or before.last_import_id != item.import_id:
            contact.updated_at = now
            plan.contacts.append(contact)
        for tag, delta in service.tag_deltas(before.tags if before else None, contact.tags).items():
            plan.tags[tag] += delta
    return plan


def _copy(contact: ContactModel) -> ContactModel:
    return ContactModel.from_raw_data(contact.serialize())


_fields = service.fields_of


def _apply(contact: ContactModel, data: RowData, overwrite: bool) -> None:
    for name in ("name", "first_name", "last_name", "email"):
        value = getattr(data, name)
        if value and overwrite:
            setattr(contact, name, value)
    fields = _fields(contact)
    fields.update(data.fields)
    contact.fields = dict(list(fields.items())[: mapping.MAX_FIELDS]) or None
    contact.tags = (set(contact.tags or ()) | data.tags) or None


def _changed(before: ContactModel, after: ContactModel) -> bool:
    names = ("name", "first_name", "last_name", "email", "opted_out")
    return (
        any(getattr(before, n) != getattr(after, n) for n in names)
        or _fields(before) != _fields(after)
        or set(before.tags or ()) != set(after.tags or ())
    )


def _set_opt_flag(contact: ContactModel, opt: OptOutModel, now: int) -> None:
    contact.opted_out = True
    contact.opted_out_at = opt.at
    contact.opted_out_source = opt.source
    contact.updated_at = now


def run_chunk(user_id: str, import_id: str, offset: int) -> None:
    try:
        item = ImportModel.get(user_id, import_id, consistent_read=True)
    except DoesNotExist:
        return
    if item.status != "running":
        return
    if item.next_offset != offset:
        # A redelivered, already-applied chunk. If the chain broke after the commit
        # (the next message was never sent) and nothing moved for a minute, resume it.
        if item.next_offset is not None and now_ms() - int(item.updated_at) > 60_000:
            _enqueue(user_id, import_id, int(item.next_offset))
        return
    records, end, eof = read_chunk(item, offset)
    plan = plan_chunk(item, records)
    total_rows = int(item.rows_read or 0) + plan.counts["rows_read"]
    truncated = not eof and total_rows >= MAX_ROWS
    if truncated:
        plan.errors.append(
            (
                total_rows + int(item.row_base or 0) + 1,
                "",
                "the file has more than 500,000 rows; the rest was not imported",
            )
        )
    pending = item.pending.as_dict() if item.pending else None
    if pending and pending.get("offset") == offset:
        counts = Counter({k: int(v) for k, v in pending["counts"].items()})
        tags = Counter({k: int(v) for k, v in pending["tags"].items()})
    else:
        counts, tags = plan.counts, plan.tags
        try:
            item.update(
                actions=[
                    ImportModel.pending.set(
                        {"offset": offset, "counts": dict(counts), "tags": dict(tags)}
                    )
                ],
                condition=ImportModel.next_offset == offset,
            )
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return  # another delivery got there first
            raise
    if plan.errors:
        _write_error_part(user_id, import_id, offset, plan.errors)
    # Tags from a tag column keep the file's spelling for display (first one wins).
    service.remember_tag_labels(user_id, plan.tag_labels)
    with ContactModel.batch_write() as batch:
        for contact in plan.contacts:
            batch.save(contact)
    if plan.opt_outs:
        with OptOutModel.batch_write() as opt_batch:
            for opt in plan.opt_outs:
                opt_batch.save(opt)
    else:
        _recheck_opt_outs(user_id, plan.contacts)
    _commit(item, offset, end, counts, tags, finished=eof or truncated, truncated=truncated)


def _recheck_opt_outs(user_id: str, written: list[ContactModel]) -> None:
    """An opt-out that landed between this chunk's read and its puts would have been
    overwritten on the contact copy: read the opt-outs again and re-flag those."""
    unflagged = [c.phone for c in written if not c.opted_out]
    if not unflagged:
        return
    for opt in OptOutModel.batch_get([(user_id, p) for p in unflagged], consistent_read=True):
        service.flag_contact(user_id, opt.phone, opt)


def _commit(
    item: ImportModel,
    offset: int,
    end: int,
    counts: Counter[str],
    tags: Counter[str],
    finished: bool,
    truncated: bool,
) -> None:
    user_id, import_id = item.user_id, item.import_id
    deltas = [(t, d) for t, d in tags.items() if d]
    in_transaction = Counter(dict(deltas[: service.MAX_TAG_ITEMS_PER_TRANSACTION]))
    # Rare: more distinct tags in one chunk than a transaction holds. The excess is
    # applied outside it (a crash right here could count those twice).
    service.apply_tag_deltas(
        user_id, Counter(dict(deltas[service.MAX_TAG_ITEMS_PER_TRANSACTION :]))
    )
    now = now_ms()
    actions: list[Any] = [
        ImportModel.next_offset.set(end),
        ImportModel.pending.remove(),
        ImportModel.updated_at.set(now),
        ImportModel.chunks.add(1),
    ]
    actions += [getattr(ImportModel, name).add(counts[name]) for name in COUNTERS if counts[name]]
    if finished:
        actions += [ImportModel.status.set("completed"), ImportModel.finished_at.set(now)]
        if truncated:
            actions.append(ImportModel.truncated.set(True))
    try:
        with service.new_transaction() as transaction:
            transaction.update(
                ImportModel(user_id, import_id),
                actions=actions,
                condition=ImportModel.next_offset == offset,
            )
            service.add_tag_updates(transaction, user_id, in_transaction)
    except TransactWriteError as error:
        if service.cancelled_by_condition(error):
            return
        raise
    if not finished:
        fresh = ImportModel.get(user_id, import_id, consistent_read=True)
        if fresh.status == "running":
            _enqueue(user_id, import_id, end)


# --- 4. error report -----------------------------------------------------------------


def _write_error_part(
    user_id: str, import_id: str, offset: int, errors: list[tuple[int, str, str]]
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row, value, reason in errors:
        writer.writerow([row, service.safe_cell(value[:200]), reason])
    key = f"{_prefix(user_id, import_id)}errors/{offset:012d}.csv"
    _s3().put_object(Bucket=_bucket(), Key=key, Body=buffer.getvalue().encode("utf-8"))


def error_report(user_id: str, import_id: str) -> dict[str, Any]:
    """Assemble the chunk parts into one CSV (row, value, reason) and sign a GET URL."""
    item = get_import(user_id, import_id)
    prefix = _prefix(user_id, import_id)
    report_key = prefix + "errors.csv"
    s3 = _s3()
    parts: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=_bucket(), Prefix=prefix + "errors/"
    ):
        parts += [obj["Key"] for obj in page.get("Contents", [])]
    out = io.BytesIO()
    out.write(b"\xef\xbb\xbfrow,value,reason\r\n")
    for key in sorted(parts):
        out.write(s3.get_object(Bucket=_bucket(), Key=key)["Body"].read())
    s3.put_object(Bucket=_bucket(), Key=report_key, Body=out.getvalue(), ContentType="text/csv")
    url = s3.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": _bucket(),
            "Key": report_key,
            "ResponseContentDisposition": f'attachment; filename="{import_id}-errors.csv"',
        },
        ExpiresIn=REPORT_URL_SECONDS,
    )
    return {
        "url": url,
        "expires_in": REPORT_URL_SECONDS,
        "invalid": int(item.invalid or 0),
        "warnings": int(item.warnings or 0),
        "complete": item.status in TERMINAL,
    }


# --- bulk delete by tag --------------------------------------------------------------


def start_bulk_delete(user_id: str, tag: str) -> None:
    queues.send(queues.CONTACTS, jobs.BulkDelete(user_id=user_id, tag=tag))


def run_bulk_delete(job: jobs.BulkDelete) -> None:
    _, next_key = service.delete_tag_page(job.user_id, job.tag, job.start)
    if next_key:
        queues.send(queues.CONTACTS, job.model_copy(update={"start": next_key}))


def export_link(user_id: str, data: bytes) -> dict[str, Any]:
    key = f"exports/{user_id}/{now_ms()}-{secrets.token_hex(4)}.csv"
    _s3().put_object(Bucket=_bucket(), Key=key, Body=data, ContentType="text/csv")
    url = _s3().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": _bucket(),
            "Key": key,
            "ResponseContentDisposition": 'attachment; filename="contacts.csv"',
        },
        ExpiresIn=REPORT_URL_SECONDS,
    )
    return {"url": url, "expires_in": REPORT_URL_SECONDS, "bytes": len(data)}
