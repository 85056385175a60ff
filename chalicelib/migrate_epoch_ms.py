"""One-off: rewrite times stored in epoch seconds as epoch milliseconds.

Before issue 17 billing (accounts, quota guards, Stripe events) and a conversation's
``last_in_expires`` were kept in seconds; everything else already was in ms. Those
attributes are ``EpochMsAttribute``s now, which read an old value as ms, so the code is
right before this runs; what this fixes is the stored value, which conditions and index
queries compare (e.g. the dunning sweep's ``past_due_since <= cutoff``). Run
``python -m chalicelib.admin migrate-epoch-ms`` once right after deploying.

Safe to repeat and to run while the app serves: only values below ``SECONDS_BELOW`` are
seconds, and each item is rewritten on the condition that its old values are still
there, so a value the new code wrote meanwhile (ms) is never multiplied again. It reads
the raw items (boto3), as the models would already show the values converted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.models import Model

from chalicelib import aws
from chalicelib.logs import logger
from chalicelib.models.base import SECONDS_BELOW


def _fields() -> list[tuple[type[Model], tuple[str, ...]]]:
    from chalicelib.models.billing import (
        BillingAccountModel,
        QuotaReservationModel,
        StripeEventModel,
    )
    from chalicelib.models.conversations import ConversationModel

    return [
        (
            BillingAccountModel,
            (
                "renews_at",
                "period_start",
                "period_end",
                "past_due_since",
                "paused_at",
                "created_at",
                "updated_at",
            ),
        ),
        (QuotaReservationModel, ("created_at",)),
        (StripeEventModel, ("lease_until", "received_at", "processed_at")),
        (ConversationModel, ("last_in_expires",)),
    ]


@dataclass
class Report:
    scanned: dict[str, int] = field(default_factory=dict)
    converted: dict[str, int] = field(default_factory=dict)


def _seconds(item: dict[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    """The named number attributes of a raw item that hold seconds (raw strings)."""
    found = {}
    for name in names:
        raw = (item.get(name) or {}).get("N")
        if raw is not None and 0 < Decimal(raw) < SECONDS_BELOW:
            found[name] = raw
    return found


def _convert(table: str, key: dict[str, Any], item: dict[str, Any], names: tuple[str, ...]) -> bool:
    """Multiply this item's second-valued attributes by 1000; True if any were."""
    client = aws.client("dynamodb")
    for _ in range(5):
        old = _seconds(item, names)
        if not old:
            return False
        labels = {f"#a{i}": name for i, name in enumerate(old)}
        values: dict[str, Any] = {}
        sets, checks = [], []
        for i, raw in enumerate(old.values()):
            values[f":new{i}"] = {"N": str(int(Decimal(raw) * 1000))}
            values[f":old{i}"] = {"N": raw}
            sets.append(f"#a{i} = :new{i}")
            checks.append(f"#a{i} = :old{i}")
        try:
            client.update_item(
                TableName=table,
                Key=key,
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=" AND ".join(checks),
                ExpressionAttributeNames=labels,
                ExpressionAttributeValues=values,
            )
            return True
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        # Changed meanwhile: look again.
        item = client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item", {})
    raise RuntimeError(f"{table}: an item kept changing; run again")


def migrate() -> Report:
    report = Report()
    client = aws.client("dynamodb")
    for model, names in _fields():
        table = model.Meta.table_name
        keys = [
            attr.attr_name
            for attr in model.get_attributes().values()
            if attr.is_hash_key or attr.is_range_key
        ]
        report.scanned[table] = report.converted[table] = 0
        for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
            for item in page.get("Items", []):
                report.scanned[table] += 1
                key = {k: item[k] for k in keys}
                if _convert(table, key, item, names):
                    report.converted[table] += 1
    logger.info("epoch-ms migration done", extra={"report": report.__dict__})
    return report
