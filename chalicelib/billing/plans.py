"""The plans on offer. Limits live here; Stripe price ids come from the environment."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.config import settings

FREE = "free"
PERIOD_MS = 30 * 86_400_000  # the free plan's counting period


@dataclass(frozen=True)
class Plan:
    id: str
    name: str
    numbers: int
    messages_per_month: int
    price_monthly_cents: int

    @property
    def price_id(self) -> str:
        """Stripe price id, or '' for the free plan or when not configured."""
        s = settings()
        return {"starter": s.stripe_price_starter, "pro": s.stripe_price_pro}.get(self.id, "")

    @property
    def paid(self) -> bool:
        return self.id != FREE


PLANS: dict[str, Plan] = {
    plan.id: plan
    for plan in (
        Plan(FREE, "Free", numbers=1, messages_per_month=100, price_monthly_cents=0),
        Plan("starter", "Starter", numbers=3, messages_per_month=5_000, price_monthly_cents=2_900),
        Plan("pro", "Pro", numbers=10, messages_per_month=50_000, price_monthly_cents=9_900),
    )
}


def get(plan_id: str) -> Plan:
    return PLANS.get(plan_id, PLANS[FREE])


def for_price(price_id: str | None) -> Plan | None:
    """The plan a Stripe price belongs to, or None for a price we do not sell."""
    if not price_id:
        return None
    for plan in PLANS.values():
        if plan.paid and plan.price_id == price_id:
            return plan
    return None
