"""Request and answer shapes of A/B variants (the campaign routes mount them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib import lazy
from chalicelib.campaigns import templates
from chalicelib.errors import NotFound

if TYPE_CHECKING:
    from chalicelib.campaigns import variants
    from chalicelib.models.base import plain
    from chalicelib.models.campaigns import CampaignModel
else:  # the route modules import these schemas at start-up: the rest on first use
    variants = lazy.module("chalicelib.campaigns.variants")
    plain = lazy.attr("chalicelib.models.base", "plain")


class VariantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Empty and malformed texts are refused by the service in words naming the variant.
    template: str = Field(max_length=templates.MAX_TEMPLATE_LENGTH)


class RolloutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    test_size: int = Field(
        ge=2, le=1_000_000, description="Recipients in the test group, split between variants"
    )
    wait_hours: float = Field(
        0, ge=0, le=168, description="Decide no sooner than this many hours after launch"
    )


class VariantOut(BaseModel):
    variant: str = Field(description="B, C or D (the campaign's template is A)")
    template: str


class VariantResult(BaseModel):
    variant: str
    recipients: int = Field(description="Recipients given this variant")
    sent: int = Field(description="Sent, including those since delivered or read")
    delivered: int
    read: int
    replied: int
    failed: int
    delivered_rate: float = Field(description="delivered / sent, 0..1")
    read_rate: float = Field(description="read / sent, 0..1")
    reply_rate: float = Field(description="replied / sent, 0..1")
    failed_rate: float = Field(description="failed / (sent + failed), 0..1")


class RolloutDecision(BaseModel):
    winner: str
    decided_at: int
    figures: list[VariantResult] = Field(description="The figures the decision was based on")


class Rollout(BaseModel):
    test_size: int
    wait_hours: float
    waiting: int = Field(description="Recipients waiting for the winner")
    decision: RolloutDecision | None = None


def template_of(c: CampaignModel, letter: str | None) -> str:
    """The text a preview renders: the variant asked for (a missing one is refused)."""
    if letter in (None, "A"):
        return c.template
    if letter not in variants.letters_of(c):
        raise NotFound(f"This campaign has no variant {letter}.")
    return variants.template_for(c, letter)


def fields_of(c: CampaignModel) -> dict[str, Any]:
    """The variant part of a campaign's answer."""
    extra = [
        VariantOut(variant=letter, template=text) for letter, text in variants.templates_of(c)[1:]
    ]
    rollout_map = plain(c.rollout)
    rollout = None
    if rollout_map:
        decision = plain(c.rollout_decision) if c.rollout_decision else None
        rollout = Rollout(
            test_size=int(rollout_map.get("test_size") or 0),
            wait_hours=float(rollout_map.get("wait_hours") or 0),
            waiting=max(0, int(c.ab_held or 0)),
            decision=RolloutDecision(
                winner=str(decision["winner"]),
                decided_at=int(decision["decided_at"]),
                figures=[VariantResult(**_ints(plain(f))) for f in decision["figures"]],
            )
            if decision
            else None,
        )
    return {
        "variants": extra,
        "rollout": rollout,
        "variant_results": [VariantResult(**row) for row in variants.figures(c)],
    }


def _ints(row: dict[str, Any]) -> dict[str, Any]:
    """Stored figures come back as Decimals: numbers again."""
    return {k: (v if isinstance(v, str) else float(v)) for k, v in row.items()}
