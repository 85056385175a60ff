"""One-off: rewrite times stored in epoch seconds as epoch milliseconds.

Before issue 17 billing (accounts, quota guards, Stripe events) and a conversation's
``last_in_expires`` were kept in seconds; everything else already was in ms. Run
``python -m chalicelib.admin migrate-epoch-ms`` once right after deploying the
ms-only code (and it is harmless to run again, or before the deploy as well).

Safe to repeat and to run while the app serves: a value below ``SECONDS_BELOW`` can
only be seconds (1e11 ms is March 1973; 1e11 s is the year 5138), each item is
rewritten with a condition that its old values are still there, so a value the new
code wrote meanwhile (ms) is never multiplied again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from chalicelib.logs import logger

SECONDS_BELOW = 100_000_000_000


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


def _in_seconds(value: Any) -> bool:
    return value is not None and 0 < int(value) < SECONDS_BELOW


def _convert(model: type[Model], item: Model, names: tuple[str, ...]) -> bool:
    """Multiply this item's second-valued fields by 1000; True if any were."""
    for _ in range(5):
        old = {n: getattr(item, n) for n in names if _in_seconds(getattr(item, n))}
        if not old:
            return False
        attrs: dict[str, NumberAttribute] = {n: getattr(model, n) for n in old}
        condition = None
        for name, value in old.items():
            clause = attrs[name] == value
            condition = clause if condition is None else condition & clause
        try:
            item.update(
                actions=[attrs[n].set(int(v) * 1000) for n, v in old.items()],
                condition=condition,
            )
            return True
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            item.refresh(consistent_read=True)  # changed meanwhile: look again
    raise RuntimeError(f"{model.Meta.table_name}: an item kept changing; run again")


def migrate() -> Report:
    report = Report()
    for model, names in _fields():
        table = model.Meta.table_name
        report.scanned[table] = report.converted[table] = 0
        for item in model.scan(consistent_read=True):
            report.scanned[table] += 1
            if _convert(model, item, names):
                report.converted[table] += 1
    logger.info("epoch-ms migration done", extra={"report": report.__dict__})
    return report
