"""Campaign counters: one atomic UpdateItem of ADDs per batch of changes."""

from __future__ import annotations

from collections import Counter

from chalicelib.campaigns import variants
from chalicelib.campaigns.messages import MessageStatus
from chalicelib.models.campaigns import CampaignModel

STATUSES = tuple(s.value for s in MessageStatus)  # one counter per message status
COUNTERS = (*STATUSES, "total", "replies", "reserved", "ab_held")


def bump(user_id: str, campaign_id: str, deltas: Counter[str] | dict[str, int]) -> None:
    actions = [
        getattr(CampaignModel, name).add(amount)
        for name, amount in deltas.items()
        if amount and name in COUNTERS
    ]
    # Per-variant keys ("v:A:sent") ride in the same write.
    actions += variants.counter_actions(deltas)
    if actions:
        CampaignModel(user_id, campaign_id).update(actions=actions)


def moved(old: str, new: str) -> Counter[str]:
    """The counter deltas of one message moving from ``old`` to ``new``."""
    deltas: Counter[str] = Counter()
    deltas[old] -= 1
    deltas[new] += 1
    return deltas
