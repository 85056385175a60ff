"""Campaign counters: one atomic UpdateItem of ADDs per batch of changes, the A/B
variants' own counters (``v:<letter>:<metric>``) riding in the same write."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from pynamodb.expressions.update import Action

from chalicelib.campaigns.messages import MessageStatus
from chalicelib.models.campaigns import CampaignModel

STATUSES = tuple(s.value for s in MessageStatus)  # one counter per message status
COUNTERS = (*STATUSES, "total", "replies", "reserved", "ab_held")
LETTERS = ("A", "B", "C", "D")  # an A/B test's variants; A is the campaign's own template
METRICS = ("recipients", "sent", "delivered", "read", "replied", "failed")  # counted per variant


def bump(user_id: str, campaign_id: str, deltas: Counter[str] | dict[str, int]) -> None:
    actions = [
        getattr(CampaignModel, name).add(amount)
        for name, amount in deltas.items()
        if amount and name in COUNTERS
    ]
    # Per-variant keys ("v:A:sent") ride in the same write.
    actions += counter_actions(deltas)
    if actions:
        CampaignModel(user_id, campaign_id).update(actions=actions)


def moved(old: str, new: str) -> Counter[str]:
    """The counter deltas of one message moving from ``old`` to ``new``."""
    deltas: Counter[str] = Counter()
    deltas[old] -= 1
    deltas[new] += 1
    return deltas


def counter_actions(deltas: Mapping[str, int]) -> list[Action]:
    """SETs for the ``v:<letter>:<metric>`` deltas, to ride in a status-counter update.

    DynamoDB's ADD only reaches top-level attributes, so these are
    ``SET variant_counts.X = if_not_exists(variant_counts.X, 0) + n`` (the map
    itself exists from the campaign's creation)."""
    actions: list[Action] = []
    for name, amount in deltas.items():
        if not amount or not name.startswith("v:"):
            continue
        _, letter, metric = name.split(":", 2)
        if letter not in LETTERS or metric not in METRICS:
            continue
        path = CampaignModel.variant_counts[f"{letter}_{metric}"]
        actions.append(path.set((path | 0) + amount))
    return actions
