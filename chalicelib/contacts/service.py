"""Contacts, tags and opt-outs. Every call is keyed by the caller's user id.

Opt-outs live in their own table (``OptOutModel``) and are the source of truth:
the contact's ``opted_out`` flag is a copy for listing and filtering. An opt-out
outlives the contact, and no import ever removes one.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.contacts import hooks
from chalicelib.contacts.mapping import RowData
from chalicelib.errors import Conflict, NotFound
from chalicelib.models.base import now_ms
from chalicelib.models.contacts import ContactModel, ContactTagModel, OptOutModel
from chalicelib.models.users import UserModel
from chalicelib.pagination import decode_cursor, encode_cursor

MAX_TAG_ITEMS_PER_TRANSACTION = 90
PAGE_SCAN = 400  # items DynamoDB evaluates per request when listing with filters
MAX_SCAN_PAGES = 10  # a filtered page stops after this many requests (cursor continues)
BULK_DELETE_PAGE = 1000  # contacts evaluated per bulk-delete message
EXPORT_COLUMNS = ("phone", "name", "first_name", "last_name", "email", "tags", "opted_out")


def user_region(user_id: str) -> str:
    try:
        user = UserModel.get(user_id, attributes_to_get=["default_region"])
    except DoesNotExist:
        return "US"
    return user.default_region or "US"


def fields_of(contact: ContactModel) -> dict[str, str]:
    """The custom fields as a plain dict (a raw MapAttribute may load as either)."""
    raw: Any = contact.fields
    if not raw:
        return {}
    return {str(k): str(v) for k, v in (raw.as_dict() if hasattr(raw, "as_dict") else raw).items()}


def search_text(contact: ContactModel) -> str:
    parts = (contact.name, contact.first_name, contact.last_name, contact.email)
    return " ".join(p.casefold() for p in parts if p)[:600]


def new_transaction() -> TransactWrite:
    return TransactWrite(connection=Connection(region=ContactModel.Meta.region))


def tag_deltas(before: Iterable[str] | None, after: Iterable[str] | None) -> Counter[str]:
    old, new = set(before or ()), set(after or ())
    deltas: Counter[str] = Counter()
    for tag in new - old:
        deltas[tag] += 1
    for tag in old - new:
        deltas[tag] -= 1
    return deltas


def add_tag_updates(transaction: TransactWrite, user_id: str, deltas: Counter[str]) -> None:
    now = now_ms()
    for tag, delta in deltas.items():
        if delta:
            transaction.update(
                ContactTagModel(user_id, tag),
                actions=[ContactTagModel.total.add(delta), ContactTagModel.updated_at.set(now)],
            )


def remember_tag_labels(user_id: str, labels: dict[str, str]) -> None:
    """Keep the spelling the user first typed for each (case-folded) tag, for display."""
    for tag, label in labels.items():
        if label and label != tag:
            ContactTagModel(user_id, tag).update(
                actions=[ContactTagModel.label.set(ContactTagModel.label | label)]
            )


def tag_labels(user_id: str) -> dict[str, str]:
    """Folded tag → display spelling, for the tags that have one."""
    return {item.tag: item.label for item in ContactTagModel.query(user_id) if item.label}


def apply_tag_deltas(user_id: str, deltas: Counter[str]) -> None:
    """Tag counter ADDs outside a transaction (bulk paths)."""
    now = now_ms()
    for tag, delta in deltas.items():
        if delta:
            ContactTagModel(user_id, tag).update(
                actions=[ContactTagModel.total.add(delta), ContactTagModel.updated_at.set(now)]
            )


# --- reads ---------------------------------------------------------------------------


def get_contact(user_id: str, phone: str) -> ContactModel:
    try:
        return ContactModel.get(user_id, phone)
    except DoesNotExist:
        raise NotFound("No contact with this phone number.") from None


def fold_text(text: str) -> str:
    """Case- and accent-free form for "contains" matching: "São PAULO" → "sao paulo"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def field_matcher(key: str, text: str) -> Callable[[ContactModel], bool]:
    """Whether a contact's custom field `key` contains `text`, ignoring case and accents."""
    needle = fold_text(text)

    def matches(contact: ContactModel) -> bool:
        value = fields_of(contact).get(key)
        return value is not None and needle in fold_text(str(value))

    return matches


def list_contacts(
    user_id: str,
    limit: int,
    cursor: str | None,
    *,
    phone_prefix: str | None = None,
    name: str | None = None,
    tag: str | None = None,
    opted_out: bool | None = None,
    field: tuple[str, str] | None = None,
) -> tuple[list[ContactModel], str | None]:
    """Phone-ordered page. The phone prefix is a key condition (cheap); name, tag and
    opt-out are filters, so one page evaluates at most PAGE_SCAN * MAX_SCAN_PAGES
    contacts and may come back short with a cursor to continue."""
    start = decode_cursor(cursor, {"user_id", "phone"}, owner=("user_id", user_id))
    range_condition = ContactModel.phone.startswith(phone_prefix) if phone_prefix else None
    conditions: list[Any] = []
    if name:
        conditions.append(ContactModel.search.contains(name.casefold()))
    if tag:
        conditions.append(ContactModel.tags.contains(tag))
    if opted_out is not None:
        conditions.append(ContactModel.opted_out == opted_out)
    # A custom field (City, Last visit…) containing the text, ignoring case and accents
    # ("sao paulo" finds "São Paulo"): DynamoDB's contains() is exact, so the table only
    # keeps contacts that have the field and the text is matched here, page by page.
    field_match: Callable[[ContactModel], bool] | None = None
    if field:
        field_key, field_text = field
        conditions.append(ContactModel.fields[field_key].exists())
        field_match = field_matcher(field_key, field_text)
    filter_condition = None
    for condition in conditions:
        filter_condition = condition if filter_condition is None else filter_condition & condition
    connection = ContactModel._get_connection()
    items: list[ContactModel] = []
    key = start
    for _ in range(MAX_SCAN_PAGES):
        page = connection.query(
            user_id,
            range_key_condition=range_condition,
            filter_condition=filter_condition,
            exclusive_start_key=key,
            limit=PAGE_SCAN if filter_condition is not None else limit - len(items),
        )
        for raw in page.get("Items", []):
            contact = ContactModel.from_raw_data(raw)
            if field_match is not None and not field_match(contact):
                continue
            items.append(contact)
            if len(items) == limit:
                last = items[-1]
                return items, encode_cursor({"user_id": {"S": user_id}, "phone": {"S": last.phone}})
        key = page.get("LastEvaluatedKey")
        if not key:
            return items, None
    return items, encode_cursor(key)


def tag_counts(user_id: str) -> list[tuple[str, int]]:
    return [(tag, total) for tag, total, _ in tag_counts_labelled(user_id)]


def tag_counts_labelled(user_id: str) -> list[tuple[str, int, str]]:
    """(tag, count, display spelling) of the tags in use."""
    return [
        (item.tag, int(item.total), item.label or item.tag)
        for item in ContactTagModel.query(user_id)
        if item.total and item.total > 0
    ]


def iter_contacts(user_id: str, tag: str | None = None) -> Iterator[ContactModel]:
    condition = ContactModel.tags.contains(tag) if tag else None
    yield from ContactModel.query(user_id, filter_condition=condition, page_size=500)


# --- writes --------------------------------------------------------------------------


def create_contact(user_id: str, data: RowData) -> ContactModel:
    now = now_ms()
    opt = get_opt_out(user_id, data.phone)
    contact = ContactModel(
        user_id,
        data.phone,
        name=data.name,
        first_name=data.first_name,
        last_name=data.last_name,
        email=data.email,
        fields=dict(data.fields) or None,
        tags=set(data.tags) or None,
        opted_out=opt is not None,
        opted_out_at=opt.at if opt else None,
        opted_out_source=opt.source if opt else None,
        opted_out_reply=opt.reply if opt else None,
        created_at=now,
        updated_at=now,
    )
    if not contact.name and (contact.first_name or contact.last_name):
        contact.name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
    contact.search = search_text(contact) or None
    try:
        with new_transaction() as transaction:
            transaction.save(contact, condition=ContactModel.phone.does_not_exist())
            add_tag_updates(transaction, user_id, tag_deltas(None, contact.tags))
    except TransactWriteError as error:
        if cancelled_by_condition(error):
            raise Conflict(
                "A contact with this phone number exists.", code="contact_exists"
            ) from None
        raise
    return contact


def update_contact(user_id: str, phone: str, changes: dict[str, Any]) -> ContactModel:
    """Replace the given attributes (None clears). Optimistic: retried on a race."""
    for _ in range(3):
        contact = get_contact(user_id, phone)
        seen = contact.updated_at
        old_tags = set(contact.tags or ())
        for name, value in changes.items():
            if name == "fields":
                value = dict(value) if value else None
            if name == "tags":
                value = set(value) if value else None
            setattr(contact, name, value)
        if "name" not in changes and ("first_name" in changes or "last_name" in changes):
            contact.name = (
                " ".join(p for p in (contact.first_name, contact.last_name) if p) or contact.name
            )
        contact.search = search_text(contact) or None
        contact.updated_at = max(now_ms(), seen + 1)
        try:
            with new_transaction() as transaction:
                transaction.save(contact, condition=ContactModel.updated_at == seen)
                add_tag_updates(transaction, user_id, tag_deltas(old_tags, contact.tags))
            return contact
        except TransactWriteError as error:
            if not cancelled_by_condition(error):
                raise
    raise Conflict("The contact changed while saving; try again.", code="edit_conflict")


def delete_contact(user_id: str, phone: str) -> None:
    hooks.check_deletion_wired()
    contact = get_contact(user_id, phone)
    try:
        with new_transaction() as transaction:
            transaction.delete(contact, condition=ContactModel.updated_at == contact.updated_at)
            add_tag_updates(transaction, user_id, tag_deltas(contact.tags, None))
    except TransactWriteError as error:
        if cancelled_by_condition(error):
            raise Conflict("The contact changed; try again.", code="edit_conflict") from None
        raise
    hooks.fire_contacts_deleted(user_id, [phone])  # their replies go with them


def delete_tag_page(
    user_id: str, tag: str, start: dict[str, Any] | None
) -> tuple[int, dict[str, Any] | None]:
    """Delete one page of contacts carrying ``tag``; returns (deleted, next key).
    Used by the bulk-delete job, one SQS message per page."""
    hooks.check_deletion_wired()
    page = ContactModel._get_connection().query(
        user_id,
        filter_condition=ContactModel.tags.contains(tag),
        exclusive_start_key=start,
        limit=BULK_DELETE_PAGE,
    )
    doomed = [ContactModel.from_raw_data(raw) for raw in page.get("Items", [])]
    deltas: Counter[str] = Counter()
    with ContactModel.batch_write() as batch:
        for contact in doomed:
            batch.delete(contact)
            for each in contact.tags or ():
                deltas[each] -= 1
    apply_tag_deltas(user_id, deltas)
    if doomed:
        hooks.fire_contacts_deleted(user_id, [c.phone for c in doomed])
    return len(doomed), page.get("LastEvaluatedKey")


def cancelled_by_condition(error: TransactWriteError) -> bool:
    reasons = getattr(error, "cancellation_reasons", None) or []
    return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)


# --- opt-outs ------------------------------------------------------------------------


def get_opt_out(user_id: str, phone: str) -> OptOutModel | None:
    try:
        return OptOutModel.get(user_id, phone, consistent_read=True)
    except DoesNotExist:
        return None


def is_opted_out(user_id: str, phone: str) -> bool:
    """True when ``phone`` (E.164) must never be messaged by ``user_id``."""
    return get_opt_out(user_id, phone) is not None


def opted_out_among(user_id: str, phones: Iterable[str]) -> set[str]:
    """The subset of ``phones`` that is opted out (BatchGet, 100 keys a request)."""
    keys = [(user_id, phone) for phone in set(phones)]
    return {item.phone for item in OptOutModel.batch_get(keys)} if keys else set()


def opt_out(user_id: str, phone: str, source: str, reply: str | None = None) -> OptOutModel:
    """Record an opt-out (idempotent: the first time and source are kept) and flag the
    contact if there is one. Works for numbers with no contact. ``reply`` is the
    message that caused it, shown on the contact."""
    record = OptOutModel(
        user_id, phone, at=now_ms(), source=source[:100], reply=reply[:500] if reply else None
    )
    try:
        record.save(condition=OptOutModel.phone.does_not_exist())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        record = get_opt_out(user_id, phone) or record
    flag_contact(user_id, phone, record)
    return record


def opt_in(user_id: str, phone: str) -> None:
    """Remove an opt-out (the person asked to hear from the business again)."""
    OptOutModel(user_id, phone).delete()
    flag_contact(user_id, phone, None)


def flag_contact(user_id: str, phone: str, record: OptOutModel | None) -> None:
    from pynamodb.exceptions import UpdateError

    actions: list[Any]
    if record is None:
        actions = [
            ContactModel.opted_out.set(False),
            ContactModel.opted_out_at.remove(),
            ContactModel.opted_out_source.remove(),
            ContactModel.opted_out_reply.remove(),
        ]
    else:
        actions = [
            ContactModel.opted_out.set(True),
            ContactModel.opted_out_at.set(record.at),
            ContactModel.opted_out_source.set(record.source),
        ]
        if record.reply:
            actions.append(ContactModel.opted_out_reply.set(record.reply))
    actions.append(ContactModel.updated_at.set(now_ms()))
    try:
        ContactModel(user_id, phone).update(actions=actions, condition=ContactModel.phone.exists())
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


# --- export --------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """Neutralise spreadsheet formula injection (OWASP CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def export_rows(user_id: str, tag: str | None = None) -> Iterator[list[str]]:
    """Header then one row per contact. Phones stay as E.164 ("+5511…") because a
    phone column of ``+`` and digits only cannot be a formula; every other cell,
    including custom fields, goes through ``safe_cell``."""
    contacts = list(iter_contacts(user_id, tag))
    field_keys = sorted({key for c in contacts for key in fields_of(c)})
    yield [*EXPORT_COLUMNS, *field_keys]
    for c in contacts:
        fields = fields_of(c)
        cells = [
            c.name or "",
            c.first_name or "",
            c.last_name or "",
            c.email or "",
            ", ".join(sorted(c.tags or ())),
            "yes" if c.opted_out else "",
            *(str(fields.get(key, "")) for key in field_keys),
        ]
        yield [c.phone, *(safe_cell(cell) for cell in cells)]


def export_csv(user_id: str, tag: str | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in export_rows(user_id, tag):
        writer.writerow(row)
    # UTF-8 with BOM so Excel shows accents and non-Latin names correctly.
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")
