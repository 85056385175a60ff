"""Contacts, their opt-outs, per-user tag counters and CSV imports."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.models import Model

from chalicelib.models.base import region, table_name


class ContactModel(Model):
    """One contact per E.164 phone per user: the key dedupes."""

    class Meta:
        table_name = table_name("contacts")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    user_id = UnicodeAttribute(hash_key=True)
    phone = UnicodeAttribute(range_key=True)  # E.164, "+5511987654321"
    name = UnicodeAttribute(null=True)
    first_name = UnicodeAttribute(null=True)
    last_name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    fields = MapAttribute(null=True)  # type: ignore[var-annotated]  # str -> str
    tags = UnicodeSetAttribute(null=True)
    # Denormalised from OptOutModel (the source of truth) for listing and filtering.
    opted_out = BooleanAttribute(default=False)
    opted_out_at = NumberAttribute(null=True)
    opted_out_source = UnicodeAttribute(null=True)
    opted_out_reply = UnicodeAttribute(null=True)  # the reply that opted them out
    # Lower-cased name/first/last/email, for the name search filter.
    search = UnicodeAttribute(null=True)
    last_import_id = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()


class OptOutModel(Model):
    """A number that must never be messaged. Exists with or without a contact and
    outlives the contact's deletion; imports never remove it."""

    class Meta:
        table_name = table_name("opt_outs")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    user_id = UnicodeAttribute(hash_key=True)
    phone = UnicodeAttribute(range_key=True)
    at = NumberAttribute()
    source = UnicodeAttribute()
    reply = UnicodeAttribute(null=True)  # the words of the reply, when a reply caused it


class OptOutReviewModel(Model):
    """A reply that might be an opt-out ("pare de mandar isso"): kept for the user to
    confirm or dismiss. The id sorts by time and is derived from the WhatsApp message
    id, so a re-sent inbound frame does not add a second one."""

    class Meta:
        table_name = table_name("optout_reviews")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    user_id = UnicodeAttribute(hash_key=True)
    review_id = UnicodeAttribute(range_key=True)
    phone = UnicodeAttribute()
    body = UnicodeAttribute()
    matched = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="open")  # open | confirmed | dismissed
    at = NumberAttribute()
    decided_at = NumberAttribute(null=True)


class ContactTagModel(Model):
    """Per-user tag counter, moved with atomic ADDs."""

    class Meta:
        table_name = table_name("contact_tags")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    user_id = UnicodeAttribute(hash_key=True)
    tag = UnicodeAttribute(range_key=True)  # case-folded: the key matches any spelling
    label = UnicodeAttribute(null=True)  # the spelling the user first typed, for display
    total = NumberAttribute(default=0)
    updated_at = NumberAttribute(null=True)


class ImportModel(Model):
    """A CSV import: upload → preview → start → chunks → completed/failed/cancelled."""

    class Meta:
        table_name = table_name("contact_imports")
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    user_id = UnicodeAttribute(hash_key=True)
    import_id = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute()
    filename = UnicodeAttribute()
    upload_key = UnicodeAttribute()
    size = NumberAttribute(null=True)
    # What the preview detected (start may override delimiter/has_header).
    encoding = UnicodeAttribute(null=True)
    delimiter = UnicodeAttribute(null=True)
    has_header = BooleanAttribute(null=True)
    header = ListAttribute(null=True)  # type: ignore[var-annotated]
    suggested_mapping = MapAttribute(null=True)  # type: ignore[var-annotated]
    # The job.
    mapping = MapAttribute(null=True)  # type: ignore[var-annotated]  # column index -> target
    default_region = UnicodeAttribute(null=True)
    tags = ListAttribute(null=True)  # type: ignore[var-annotated]
    mode = UnicodeAttribute(null=True)
    # Numbers valid only as another country's (digits without "+") are imported only
    # when the user said so after the preview flagged them.
    accept_foreign = BooleanAttribute(null=True)
    source_format = UnicodeAttribute(null=True)  # "xlsx" when converted to CSV
    # Worker state: the byte offset the next chunk starts at, in work_key.
    work_key = UnicodeAttribute(null=True)
    work_start = NumberAttribute(null=True)
    work_size = NumberAttribute(null=True)
    next_offset = NumberAttribute(null=True)
    row_base = NumberAttribute(null=True)  # records before the first data row
    pending = MapAttribute(null=True)  # type: ignore[var-annotated]
    # Progress.
    rows_read = NumberAttribute(default=0)
    created = NumberAttribute(default=0)
    updated = NumberAttribute(default=0)
    existing = NumberAttribute(default=0)
    blank = NumberAttribute(default=0)
    duplicates = NumberAttribute(default=0)
    invalid = NumberAttribute(default=0)
    warnings = NumberAttribute(default=0)
    already_opted_out = NumberAttribute(default=0)
    opted_out = NumberAttribute(default=0)
    chunks = NumberAttribute(default=0)
    truncated = BooleanAttribute(default=False)
    error = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    started_at = NumberAttribute(null=True)
    finished_at = NumberAttribute(null=True)
