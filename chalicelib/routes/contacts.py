"""Contacts, tags, opt-outs and CSV imports. See docs/contacts.md."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from chalice import Response
from pydantic import AfterValidator, ConfigDict, Field

from chalicelib import lazy
from chalicelib.api import Api, RequestContext, attachment
from chalicelib.basemodel import BaseModel
from chalicelib.errors import NotFound, PayloadTooLarge, ValidationFailed
from chalicelib.pagination import Page, PageQuery

if TYPE_CHECKING:
    import phonenumbers

    from chalicelib.contacts import imports, mapping, replies, service
    from chalicelib.contacts.mapping import RowData
    from chalicelib.contacts.phones import normalise, path_phone
    from chalicelib.conversations import inbox
    from chalicelib.models.contacts import ContactModel, ImportModel, OptOutReviewModel
else:  # imported on first use (chalicelib.lazy): cheap cold starts
    phonenumbers = lazy.module("phonenumbers")
    imports = lazy.module("chalicelib.contacts.imports")
    mapping = lazy.module("chalicelib.contacts.mapping")
    replies = lazy.module("chalicelib.contacts.replies")
    service = lazy.module("chalicelib.contacts.service")
    inbox = lazy.module("chalicelib.conversations.inbox")
    RowData = lazy.attr("chalicelib.contacts.mapping", "RowData")
    normalise = lazy.attr("chalicelib.contacts.phones", "normalise")
    path_phone = lazy.attr("chalicelib.contacts.phones", "path_phone")
    ContactModel = lazy.attr("chalicelib.models.contacts", "ContactModel")
    ImportModel = lazy.attr("chalicelib.models.contacts", "ImportModel")
    OptOutReviewModel = lazy.attr("chalicelib.models.contacts", "OptOutReviewModel")

api = Api(__name__, "contacts")

EXPORT_INLINE_MAX = 5 * 1024 * 1024


def _region(value: str) -> str:
    value = value.upper()
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError("not a supported ISO 3166 region code")
    return value


def _fields(value: dict[str, str]) -> dict[str, str]:
    if len(value) > mapping.MAX_FIELDS:
        raise ValueError(f"at most {mapping.MAX_FIELDS} custom fields")
    for key, item in value.items():
        if not mapping.FIELD_KEY.match(key):
            raise ValueError(f"field key {key[:50]!r} must match [a-z0-9_]{{1,40}}")
        if len(item) > mapping.MAX_FIELD_VALUE:
            raise ValueError(f"field {key!r} is longer than {mapping.MAX_FIELD_VALUE} characters")
    return {k: mapping.clean_text(v, mapping.MAX_FIELD_VALUE) for k, v in value.items()}


def _tags(value: list[str]) -> list[str]:
    """Tags as the user typed them (one per case-insensitive spelling); the service
    keys them case-folded and keeps the spelling for display."""
    out: dict[str, str] = {}
    for raw in value:
        tag = mapping.normalise_tag(raw)
        if tag is None:
            raise ValueError(f"tag {raw[:50]!r} must be 1-40 characters without commas")
        out.setdefault(tag, " ".join(mapping.clean_text(raw, 200).split()))
    return sorted(out.values(), key=str.casefold)


def _tag_keys(tags: list[str]) -> tuple[set[str], dict[str, str]]:
    """(case-folded keys, key → the spelling typed)."""
    labels = {mapping.normalise_tag(t) or t: t for t in tags}
    return set(labels), labels


def _email(value: str) -> str:
    value = value.strip().lower()
    if not mapping.EMAIL_PATTERN.match(value):
        raise ValueError("not an email address")
    return value


Region = Annotated[str, AfterValidator(_region)]
Fields = Annotated[dict[str, str], AfterValidator(_fields)]
Tags = Annotated[
    list[Annotated[str, Field(max_length=200)]], Field(max_length=20), AfterValidator(_tags)
]
Name = Annotated[str, Field(max_length=200)]
EmailStr = Annotated[str, Field(max_length=254), AfterValidator(_email)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ContactIn(Strict):
    phone: str = Field(min_length=1, max_length=64, description="Any common form; E.164 preferred")
    default_region: Region | None = Field(None, description="Region for numbers without +")
    name: Name | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    email: EmailStr | None = None
    fields: Fields = Field(default_factory=dict)
    tags: Tags = Field(default_factory=list)


class ContactPatch(Strict):
    name: Name | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    email: EmailStr | None = None
    fields: Fields | None = Field(None, description="Replaces the whole map")
    tags: Tags | None = Field(None, description="Replaces the whole set")


class Contact(BaseModel):
    phone: str
    name: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    fields: dict[str, str]
    tags: list[str]
    opted_out: bool
    opted_out_at: int | None
    opted_out_source: str | None
    opted_out_reply: str | None = Field(None, description="The reply that opted them out")
    created_at: int
    updated_at: int

    @classmethod
    def of(cls, c: ContactModel, labels: dict[str, str] | None = None) -> Contact:
        fields = service.fields_of(c)
        labels = labels or {}
        return cls(
            phone=c.phone,
            name=c.name,
            first_name=c.first_name,
            last_name=c.last_name,
            email=c.email,
            fields=fields,
            tags=sorted((labels.get(t, t) for t in c.tags or ()), key=str.casefold),
            opted_out=bool(c.opted_out),
            opted_out_at=int(c.opted_out_at) if c.opted_out_at else None,
            opted_out_source=c.opted_out_source,
            opted_out_reply=c.opted_out_reply,
            created_at=int(c.created_at),
            updated_at=int(c.updated_at),
        )


class ContactsQuery(PageQuery):
    q: str | None = Field(None, max_length=100, description="Name/email text, or a phone prefix")
    tag: str | None = Field(None, max_length=40)
    opted_out: bool | None = None
    field: str | None = Field(None, max_length=40, description="Custom field key to filter on")
    field_value: str | None = Field(
        None, max_length=100, description="Text the field contains (case and accents ignored)"
    )


class TagCount(BaseModel):
    tag: str
    count: int
    label: str = Field("", description="The spelling to show (as first typed)")


class TagList(BaseModel):
    items: list[TagCount]


class BulkDeleteBody(Strict):
    tag: str = Field(min_length=1, max_length=40)


class Accepted(BaseModel):
    status: str
    message: str


class OptOutBody(Strict):
    source: str = Field("api", min_length=1, max_length=60)


class OptState(BaseModel):
    phone: str
    opted_out: bool
    at: int | None = None
    source: str | None = None


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    tag: str | None = Field(None, max_length=40)
    delivery: Literal["inline", "url"] = "inline"


class ImportCreate(Strict):
    filename: str = Field(min_length=1, max_length=255)
    content: str | None = Field(None, description="Small files (≤ 1 MB) as text")
    content_base64: str | None = Field(None, description="Small files (≤ 1 MB), any encoding")


class PreviewQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    region: Region | None = Field(None, description="Read phones with this country")


class ImportStart(Strict):
    mapping: dict[Annotated[str, Field(max_length=200)], str] | None = Field(
        None, max_length=200, description="column index or header → target; default: suggested"
    )
    default_region: Region | None = None
    tags: Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=10)] = Field(
        default_factory=list
    )
    mode: Literal["add", "update", "opt_out"] = "add"
    has_header: bool | None = None
    delimiter: Literal[",", ";", "\t", "|"] | None = None
    accept_other_countries: bool = Field(
        False, description="Import numbers that are valid only as another country's"
    )


class ImportView(BaseModel):
    import_id: str
    status: str
    filename: str
    size: int | None
    encoding: str | None
    delimiter: str | None
    has_header: bool | None
    mode: str | None
    default_region: str | None
    tags: list[str]
    mapping: dict[str, str] | None
    progress: float = Field(description="0..1, by bytes")
    rows_read: int
    created: int
    updated: int
    existing: int
    duplicates: int
    invalid: int
    warnings: int
    already_opted_out: int
    opted_out: int
    blank: int
    truncated: bool
    error: str | None
    created_at: int
    updated_at: int
    started_at: int | None
    finished_at: int | None

    @classmethod
    def of(cls, item: ImportModel) -> ImportView:
        progress = 0.0
        if item.status == "completed":
            progress = 1.0
        elif item.work_size and item.next_offset is not None:
            span = max(1, int(item.work_size) - int(item.work_start or 0))
            progress = min(1.0, (int(item.next_offset) - int(item.work_start or 0)) / span)
        return cls(
            import_id=item.import_id,
            status=item.status,
            filename=item.filename,
            size=int(item.size) if item.size is not None else None,
            encoding=item.encoding,
            delimiter=item.delimiter,
            has_header=item.has_header,
            mode=item.mode,
            default_region=item.default_region,
            tags=list(item.tags or []),
            mapping=dict(item.mapping.as_dict()) if item.mapping else None,
            progress=round(progress, 4),
            truncated=bool(item.truncated),
            error=item.error,
            created_at=int(item.created_at),
            updated_at=int(item.updated_at),
            started_at=int(item.started_at) if item.started_at else None,
            finished_at=int(item.finished_at) if item.finished_at else None,
            **{name: int(getattr(item, name) or 0) for name in imports.COUNTERS},
        )


class UploadInfo(BaseModel):
    url: str
    method: str
    expires_in: int
    max_bytes: int
    fields: dict[str, str] = Field(
        default_factory=dict, description="POST: form fields to send first, the file last"
    )


class ImportCreated(BaseModel):
    import_: ImportView = Field(alias="import")
    upload: UploadInfo | None

    model_config = ConfigDict(populate_by_name=True)


class ReportLink(BaseModel):
    url: str
    expires_in: int
    invalid: int
    warnings: int
    complete: bool


def _uid(ctx: RequestContext) -> str:
    assert ctx.user_id
    return ctx.user_id


def _phone(raw: str) -> str:
    phone = path_phone(raw)
    if phone is None:
        raise NotFound("No contact with this phone number.")
    return phone


# --- contacts ------------------------------------------------------------------------


@api.route(
    "/api/contacts",
    "GET",
    query=ContactsQuery,
    response=Page[Contact],
    errors=(400,),
    summary="Your contacts by phone; q searches names/emails or a phone prefix",
)
def list_contacts(ctx: RequestContext, query: ContactsQuery) -> Page[Contact]:
    q = (query.q or "").strip()
    digits = q.lstrip("+").replace(" ", "")
    prefix = "+" + digits if q and digits.isdigit() else None
    items, cursor = service.list_contacts(
        _uid(ctx),
        query.limit,
        query.cursor,
        phone_prefix=prefix,
        name=None if prefix or not q else q,
        tag=mapping.normalise_tag(query.tag) if query.tag else None,
        opted_out=query.opted_out,
        field=(query.field, query.field_value) if query.field and query.field_value else None,
    )
    labels = service.tag_labels(_uid(ctx)) if any(c.tags for c in items) else {}
    return Page[Contact](items=[Contact.of(c, labels) for c in items], next_cursor=cursor)


@api.route(
    "/api/contacts",
    "POST",
    body=ContactIn,
    response=Contact,
    status=201,
    errors=(409, 422),
    summary="Add a contact (one per phone number)",
)
def create_contact(ctx: RequestContext, body: ContactIn) -> Contact:
    region = body.default_region or service.user_region(_uid(ctx))
    result = normalise(body.phone, region)
    if result.e164 is None:
        raise ValidationFailed(
            "The phone number is not valid.", [{"loc": ["phone"], "msg": result.reason}]
        )
    if result.foreign:
        reason = mapping.foreign_reason(result)
        raise ValidationFailed(
            f"This number {reason}.", [{"loc": ["phone"], "msg": reason}], code="other_country"
        )
    tags, labels = _tag_keys(body.tags)
    data = RowData(
        result.e164,
        name=body.name or None,
        first_name=body.first_name or None,
        last_name=body.last_name or None,
        email=body.email,
        fields=body.fields,
        tags=tags,
    )
    contact = service.create_contact(_uid(ctx), data)
    service.remember_tag_labels(_uid(ctx), labels)
    return Contact.of(contact, labels)


@api.route("/api/contacts/tags", "GET", response=TagList, summary="Your tags with contact counts")
def list_tags(ctx: RequestContext) -> TagList:
    return TagList(
        items=[
            TagCount(tag=t, count=n, label=label)
            for t, n, label in service.tag_counts_labelled(_uid(ctx))
        ]
    )


@api.route(
    "/api/contacts/bulk-delete",
    "POST",
    body=BulkDeleteBody,
    response=Accepted,
    status=202,
    summary="Delete every contact with a tag (in the background; opt-outs stay)",
)
def bulk_delete(ctx: RequestContext, body: BulkDeleteBody) -> Accepted:
    tag = mapping.normalise_tag(body.tag)
    if tag is None:
        raise ValidationFailed("The tag is not valid.", [{"loc": ["tag"]}])
    imports.start_bulk_delete(_uid(ctx), tag)
    return Accepted(status="queued", message=f"Contacts tagged {tag!r} are being deleted.")


@api.route(
    "/api/contacts/export",
    "GET",
    query=ExportQuery,
    errors=(413,),
    content_type="text/csv",
    summary="CSV of your contacts (formula-safe); delivery=url for a download link",
)
def export(ctx: RequestContext, query: ExportQuery) -> Any:
    tag = mapping.normalise_tag(query.tag) if query.tag else None
    data = service.export_csv(_uid(ctx), tag)
    if query.delivery == "url":
        return imports.export_link(_uid(ctx), data)
    if len(data) > EXPORT_INLINE_MAX:
        raise PayloadTooLarge(
            "Too many contacts for a direct download; use ?delivery=url.",
            code="export_too_large",
        )
    return Response(
        body=data.decode("utf-8"),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": attachment("contacts.csv"),
        },
    )


class ContactData(BaseModel):
    contact: Contact
    conversations: list[dict[str, Any]] = Field(
        description="Each conversation with this phone and its messages (in and out, "
        "campaign messages included), oldest first"
    )


@api.route(
    "/api/contacts/{phone}/data",
    "GET",
    response=ContactData,
    errors=(404,),
    summary="Everything wacast holds about one contact (a data access request)",
)
def contact_data(ctx: RequestContext, phone: str) -> ContactData:
    number = _phone(phone)
    contact = service.get_contact(_uid(ctx), number)
    return ContactData(
        contact=Contact.of(contact, service.tag_labels(_uid(ctx)) if contact.tags else {}),
        conversations=inbox.export_contact(_uid(ctx), contact.phone),
    )


@api.route("/api/contacts/{phone}", "GET", response=Contact, errors=(404,), summary="One contact")
def get_contact(ctx: RequestContext, phone: str) -> Contact:
    contact = service.get_contact(_uid(ctx), _phone(phone))
    return Contact.of(contact, service.tag_labels(_uid(ctx)) if contact.tags else {})


@api.route(
    "/api/contacts/{phone}",
    "PATCH",
    body=ContactPatch,
    response=Contact,
    errors=(404, 409, 422),
    summary="Change a contact (given attributes replace, null clears)",
)
def patch_contact(ctx: RequestContext, phone: str, body: ContactPatch) -> Contact:
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    labels: dict[str, str] = {}
    if changes.get("tags"):
        changes["tags"], labels = _tag_keys(changes["tags"])
    contact = service.update_contact(_uid(ctx), _phone(phone), changes)
    service.remember_tag_labels(_uid(ctx), labels)
    return Contact.of(contact, {**labels, **service.tag_labels(_uid(ctx))})


@api.route(
    "/api/contacts/{phone}",
    "DELETE",
    status=204,
    errors=(404,),
    summary="Delete a contact (an opt-out of the number stays)",
)
def delete_contact(ctx: RequestContext, phone: str) -> None:
    service.delete_contact(_uid(ctx), _phone(phone))


@api.route(
    "/api/contacts/{phone}/opt-out",
    "POST",
    body=OptOutBody,
    response=OptState,
    errors=(404,),
    summary="Never message this number again (works without a contact)",
)
def opt_out(ctx: RequestContext, phone: str, body: OptOutBody) -> OptState:
    record = service.opt_out(_uid(ctx), _phone(phone), body.source)
    return OptState(phone=record.phone, opted_out=True, at=int(record.at), source=record.source)


@api.route(
    "/api/contacts/{phone}/opt-in",
    "POST",
    response=OptState,
    errors=(404,),
    summary="Remove an opt-out",
)
def opt_in(ctx: RequestContext, phone: str) -> OptState:
    number = _phone(phone)
    service.opt_in(_uid(ctx), number)
    return OptState(phone=number, opted_out=False)


# --- imports -------------------------------------------------------------------------


@api.route(
    "/api/contacts/imports",
    "POST",
    body=ImportCreate,
    response=ImportCreated,
    status=201,
    errors=(413, 422),
    summary="Start an import: a presigned upload URL, or a small file inline",
)
def create_import(ctx: RequestContext, body: ImportCreate) -> Response:
    content = imports.decode_inline(body.content, body.content_base64)
    item, upload = imports.create_import(_uid(ctx), body.filename, content)
    created = ImportCreated(
        import_=ImportView.of(item), upload=UploadInfo(**upload) if upload else None
    )
    return Response(
        body=created.model_dump_json(by_alias=True),
        status_code=201,
        headers={"Content-Type": "application/json"},
    )


@api.route(
    "/api/contacts/imports",
    "GET",
    query=PageQuery,
    response=Page[ImportView],
    summary="Your imports, newest first",
)
def list_imports(ctx: RequestContext, query: PageQuery) -> Page[ImportView]:
    items, cursor = imports.list_imports(_uid(ctx), query.limit, query.cursor)
    return Page[ImportView](items=[ImportView.of(i) for i in items], next_cursor=cursor)


@api.route(
    "/api/contacts/imports/{import_id}",
    "GET",
    response=ImportView,
    errors=(404,),
    summary="An import's status and counts",
)
def get_import(ctx: RequestContext, import_id: str) -> ImportView:
    return ImportView.of(imports.get_import(_uid(ctx), import_id))


@api.route(
    "/api/contacts/imports/{import_id}/preview",
    "GET",
    errors=(404, 409, 413, 422),
    query=PreviewQuery,
    summary="Detected encoding, delimiter, header, first rows, a suggested mapping and "
    "a check of the phone numbers with the chosen country (and a better one, if any)",
)
def preview(ctx: RequestContext, import_id: str, query: PreviewQuery) -> dict[str, Any]:
    return imports.preview(_uid(ctx), import_id, query.region)


@api.route(
    "/api/contacts/imports/{import_id}/start",
    "POST",
    body=ImportStart,
    response=ImportView,
    status=202,
    errors=(404, 409, 422),
    summary="Run the import in the background",
)
def start_import(ctx: RequestContext, import_id: str, body: ImportStart) -> ImportView:
    imports.start(
        _uid(ctx),
        import_id,
        body.mapping,
        body.default_region,
        body.tags,
        body.mode,
        body.has_header,
        body.delimiter,
        body.accept_other_countries,
    )
    return ImportView.of(imports.get_import(_uid(ctx), import_id))


@api.route(
    "/api/contacts/imports/{import_id}/cancel",
    "POST",
    response=ImportView,
    errors=(404, 409),
    summary="Stop an import (contacts already imported stay)",
)
def cancel_import(ctx: RequestContext, import_id: str) -> ImportView:
    imports.cancel(_uid(ctx), import_id)
    return ImportView.of(imports.get_import(_uid(ctx), import_id))


@api.route(
    "/api/contacts/imports/{import_id}/errors",
    "GET",
    response=ReportLink,
    errors=(404,),
    summary="Link to the error report CSV (row, value, reason)",
)
def error_report(ctx: RequestContext, import_id: str) -> ReportLink:
    return ReportLink(**imports.error_report(_uid(ctx), import_id))


# --- opt-out words and replies to review ---------------------------------------------


class ReviewQuery(PageQuery):
    status: Literal["open", "confirmed", "dismissed"] | None = "open"


class Review(BaseModel):
    review_id: str
    phone: str
    body: str = Field(description="The reply as received")
    matched: str | None = Field(description="The word or phrase that made it look like one")
    language: str | None
    status: str
    at: int
    decided_at: int | None

    @classmethod
    def of(cls, item: OptOutReviewModel) -> Review:
        return cls(
            review_id=item.review_id,
            phone=item.phone,
            body=item.body,
            matched=item.matched,
            language=item.language,
            status=item.status,
            at=int(item.at),
            decided_at=int(item.decided_at) if item.decided_at else None,
        )


class WordLanguage(BaseModel):
    code: str
    name: str
    active: bool
    words: list[str]
    phrases: list[str]


class WordsOverview(BaseModel):
    languages: list[WordLanguage]
    extra_words: list[str]
    operator_words: list[str]


class MessageCheckBody(Strict):
    text: str = Field(max_length=10_000)


class CheckedWord(BaseModel):
    word: str
    active: bool = Field(description="Replying it opts people out on this account")
    languages: list[str] = Field(description="Built-in lists that hold it")


class MessageCheck(BaseModel):
    words: list[CheckedWord] = Field(description="The reply words the message asks for")
    warning: str | None
    languages: list[str]


@api.route(
    "/api/contacts/opt-out-reviews",
    "GET",
    query=ReviewQuery,
    response=Page[Review],
    summary="Replies that might be opt-outs, newest first, for you to confirm or dismiss",
)
def list_reviews(ctx: RequestContext, query: ReviewQuery) -> Page[Review]:
    items, cursor = replies.list_reviews(_uid(ctx), query.status, query.limit, query.cursor)
    return Page[Review](items=[Review.of(i) for i in items], next_cursor=cursor)


@api.route(
    "/api/contacts/opt-out-reviews/{review_id}/confirm",
    "POST",
    response=Review,
    errors=(404, 409),
    summary="It was an opt-out: never message this number again",
)
def confirm_review(ctx: RequestContext, review_id: str) -> Review:
    return Review.of(replies.decide(_uid(ctx), review_id, confirm=True))


@api.route(
    "/api/contacts/opt-out-reviews/{review_id}/dismiss",
    "POST",
    response=Review,
    errors=(404, 409),
    summary="It was not an opt-out",
)
def dismiss_review(ctx: RequestContext, review_id: str) -> Review:
    return Review.of(replies.decide(_uid(ctx), review_id, confirm=False))


@api.route(
    "/api/contacts/opt-out-words",
    "GET",
    response=WordsOverview,
    summary="Built-in opt-out words by language, which are on, and your own",
)
def opt_out_words(ctx: RequestContext) -> WordsOverview:
    return WordsOverview(**replies.words_overview(_uid(ctx)))


@api.route(
    "/api/contacts/opt-out-words/check",
    "POST",
    body=MessageCheckBody,
    response=MessageCheck,
    summary='Does the reply word a message asks for ("Reply STOP") opt people out?',
)
def check_message(ctx: RequestContext, body: MessageCheckBody) -> MessageCheck:
    return MessageCheck(**replies.check_message(_uid(ctx), body.text))
