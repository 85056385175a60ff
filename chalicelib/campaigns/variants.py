"""A/B message variants: a sticky split, per-variant counters, and the winner rollout.

A campaign's own ``template`` is variant A; ``variants`` holds the texts of B-D.
Every variant shares the campaign's image (one upload, so an A/B test compares
words, not pictures). Each recipient's variant is picked by a stable hash of
(campaign id, phone), so a redelivered chunk, a retry or a re-materialisation
gives the same answer, and it is stored on the message (``variant``).

Per-variant counters live in the campaign's ``variant_counts`` map (keys
``<letter>_<metric>``) and ride in the same UpdateItem as the status counters
(deltas keyed ``v:<letter>:<metric>``), so they cost no extra writes.

Winner rollout: with ``rollout = {test_size: N, wait_hours: H}`` only the first N
recipients (split by the same hash) are queued at launch; the rest are written
pending but parked under ``outbox_session = held#<campaign id>`` (out of every
number's outbox, yet one cheap query away). Once the test group has no message
pending or leased and H hours have passed since launch, a sweep picks the variant
with the best reply rate (ties: read rate, then variant order), stores the
decision with its figures (conditional: once), and moves the parked messages into
their number's outbox with the winner's letter. Each step is conditional, so a
sweep run twice (or cut short) changes nothing twice.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from chalicelib.campaigns import lifecycle, templates
from chalicelib.campaigns.counters import LETTERS, METRICS, bump, counter_actions
from chalicelib.errors import ValidationFailed
from chalicelib.logs import logger
from chalicelib.models.base import now_ms, plain
from chalicelib.models.campaigns import CampaignMessageModel, CampaignModel

MAX_EXTRA = len(LETTERS) - 1  # B, C and D; A is the campaign's own template
HELD_PREFIX = "held#"
SWEEP_BATCH = 1000  # parked messages moved per campaign per run; the next run goes on


def letters_of(campaign: CampaignModel) -> tuple[str, ...]:
    """The campaign's variant letters, or () for a campaign with a single message."""
    extra = len(campaign.variants or [])
    return LETTERS[: extra + 1] if extra else ()


def templates_of(campaign: CampaignModel) -> list[tuple[str, str]]:
    """(letter, template) for every variant; a single-message campaign has only A."""
    extra = [str(plain(v).get("template", "")) for v in campaign.variants or []]
    texts = [campaign.template, *extra]
    return list(zip(LETTERS, texts, strict=False))


def template_for(campaign: CampaignModel, variant: str | None) -> str:
    """The text a message of ``variant`` is rendered from (A, or an unknown letter: the main)."""
    for letter, text in templates_of(campaign):
        if letter == variant:
            return text
    return campaign.template


def required_variables(campaign: CampaignModel) -> list[str]:
    """Variables without a fallback in any variant (a held recipient may get any of them)."""
    required: list[str] = []
    for _, text in templates_of(campaign):
        required += [v for v in templates.required_variables(text) if v not in required]
    return required


def assign(campaign_id: str, phone: str, count: int) -> str:
    """The sticky pick: the same campaign and phone always give the same letter."""
    digest = hashlib.sha256(f"{campaign_id}:{phone}".encode()).digest()
    return LETTERS[int.from_bytes(digest[:8], "big") % count]


def held_session(campaign_id: str) -> str:
    return f"{HELD_PREFIX}{campaign_id}"


# --- counters ----------------------------------------------------------------------------


def key(letter: str, metric: str) -> str:
    return f"v:{letter}:{metric}"


def split_deltas(deltas: Mapping[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """(status counters, variant counters) of one batch of deltas."""
    plain_part = {k: v for k, v in deltas.items() if not k.startswith("v:")}
    variant_part = {k: v for k, v in deltas.items() if k.startswith("v:")}
    return plain_part, variant_part


def result_deltas(variant: str | None, status: str) -> Counter[str]:
    """Per-variant deltas of a send result that left its message in ``status``."""
    deltas: Counter[str] = Counter()
    if not variant:
        return deltas
    if status == "failed":
        deltas[key(variant, "failed")] += 1
    elif status in ("sent", "delivered", "read"):
        deltas[key(variant, "sent")] += 1
        if status in ("delivered", "read"):
            deltas[key(variant, "delivered")] += 1
        if status == "read":
            deltas[key(variant, "read")] += 1
    return deltas


def ack_deltas(variant: str | None, previous: str, target: str) -> Counter[str]:
    """Per-variant deltas of an ack moving a message from ``previous`` to ``target``."""
    deltas: Counter[str] = Counter()
    if not variant:
        return deltas
    if target == "failed":
        deltas[key(variant, "failed")] += 1
        return deltas
    if previous == "sent":
        deltas[key(variant, "delivered")] += 1
    if target == "read":
        deltas[key(variant, "read")] += 1
    return deltas


# --- figures -----------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def figures(campaign: CampaignModel) -> list[dict[str, Any]]:
    """Counts and rates per variant (rates over the messages sent with it)."""
    counts = {k: int(v) for k, v in plain(campaign.variant_counts).items()}
    rows = []
    for letter in letters_of(campaign):
        row: dict[str, Any] = {"variant": letter}
        for metric in METRICS:
            row[metric] = counts.get(f"{letter}_{metric}", 0)
        sent = row["sent"]
        row["delivered_rate"] = _rate(row["delivered"], sent)
        row["read_rate"] = _rate(row["read"], sent)
        row["reply_rate"] = _rate(row["replied"], sent)
        row["failed_rate"] = _rate(row["failed"], sent + row["failed"])
        rows.append(row)
    return rows


def best(rows: list[dict[str, Any]]) -> str:
    """Best reply rate; ties go to the read rate, then to the earlier letter."""
    ranked = sorted(
        rows, key=lambda r: (-r["reply_rate"], -r["read_rate"], LETTERS.index(r["variant"]))
    )
    return str(ranked[0]["variant"])


# --- validation --------------------------------------------------------------------------


def _problem(index: int, message: str, code: str = "validation_error", **extra: Any) -> None:
    letter = LETTERS[index + 1]
    words = f"Variant {letter}: {message}"
    raise ValidationFailed(
        words,
        [{"loc": ["variants", index, "template"], "msg": words, "variant": letter, **extra}],
        code=code,
    )


def check_wellformed(texts: list[str]) -> None:
    for index, text in enumerate(texts):
        if not text.strip():
            _problem(index, "the message is empty.")
        try:
            templates.validate(text)
        except templates.TemplateError as error:
            _problem(index, str(error))


def check_lengths(campaign: CampaignModel) -> None:
    """WhatsApp's 4,096 characters, per variant, in words that name it."""
    for index, (_, text) in enumerate(templates_of(campaign)[1:]):
        if len(text) > templates.MAX_LENGTH:
            over = len(text) - templates.MAX_LENGTH
            _problem(
                index,
                f"the message is {len(text):,} characters long; WhatsApp allows at most "
                f"{templates.MAX_LENGTH:,}. Shorten it by {over:,} characters.",
                code="message_too_long",
                length=len(text),
            )


def stored_variants(value: Any) -> list[dict[str, str]]:
    return [{"template": str(plain(v).get("template", ""))} for v in value or []]


def stored_rollout(value: Any) -> dict[str, Any]:
    return {k: v for k, v in plain(value).items() if v is not None}


def prepare_changes(campaign: CampaignModel | None, data: dict[str, Any]) -> dict[str, Any]:
    """Checks the variants and the rollout of a create/update and stores them plainly.

    "No rollout" is stored as an empty map (a plain SET, whatever the campaign held)."""
    data = dict(data)
    if "variants" in data:
        data["variants"] = stored_variants(data["variants"])
    if "rollout" in data:
        data["rollout"] = stored_rollout(data["rollout"])
    if campaign is not None and campaign.status != "draft":
        # A form may send every field: unchanged values are no change.
        if data.get("variants") == stored_variants(campaign.variants):
            data.pop("variants", None)
        if data.get("rollout") == stored_rollout(campaign.rollout):
            data.pop("rollout", None)
        if "variants" in data or "rollout" in data:
            raise ValidationFailed(
                "Variants and the winner rollout are fixed once a campaign is launched.",
                [{"loc": ["variants" if "variants" in data else "rollout"], "msg": "fixed"}],
                code="not_editable",
            )
        return data
    if "variants" in data:
        texts = [v["template"] for v in data["variants"]]
        if len(texts) > MAX_EXTRA:
            raise ValidationFailed(
                "A campaign has at most 4 variants (A to D).",
                [{"loc": ["variants"], "msg": "at most 3 besides the main message"}],
            )
        check_wellformed(texts)
    touched = "variants" in data or "rollout" in data
    if campaign is not None and touched and campaign.variant_counts is None:
        data["variant_counts"] = {}  # campaigns from before variants had no map
    extra = data.get("variants", campaign.variants if campaign else None)
    rollout = data.get("rollout", campaign.rollout if campaign else None)
    if plain(rollout) and not extra:
        raise ValidationFailed(
            "Sending the rest with the best variant needs at least two variants.",
            [{"loc": ["rollout"], "msg": "needs variants"}],
        )
    return data


# --- materialisation ---------------------------------------------------------------------


class Split:
    """Per chunk: which letter each pending recipient gets, and who waits for the winner."""

    def __init__(self, campaign: CampaignModel) -> None:
        self.campaign_id = campaign.campaign_id
        self.letters = letters_of(campaign)
        rollout = plain(campaign.rollout)
        test_size = int(rollout.get("test_size") or 0)
        self.test_room: int | None = (
            max(0, test_size - int(campaign.ab_tested or 0)) if self.letters and test_size else None
        )
        self.deltas: Counter[str] = Counter()

    def place(self, message: CampaignMessageModel) -> None:
        """Give a new message its letter (and park it when past the test group)."""
        if not self.letters:
            return
        if message.status != "pending":
            message.variant = assign(self.campaign_id, message.phone, len(self.letters))
            return
        if self.test_room is not None:
            if self.test_room <= 0:
                message.outbox_session = held_session(self.campaign_id)
                self.deltas["ab_held"] += 1
                return  # its letter is the winner's, decided later
            self.test_room -= 1
            self.deltas["ab_tested"] += 1
        message.variant = assign(self.campaign_id, message.phone, len(self.letters))
        self.deltas[key(message.variant, "recipients")] += 1

    def actions(self) -> list[Action]:
        plain_part, variant_part = split_deltas(self.deltas)
        return [
            getattr(CampaignModel, name).add(amount)
            for name, amount in plain_part.items()
            if amount
        ] + counter_actions(variant_part)


# --- the rollout sweep -------------------------------------------------------------------


def due(campaign: CampaignModel, now: int) -> bool:
    """The test group is done (nothing of it pending or leased) and the wait is over."""
    rollout = plain(campaign.rollout)
    if not rollout or not letters_of(campaign) or campaign.rollout_decision:
        return False
    if not campaign.launched_at:
        return False
    wait_ms = int(float(rollout.get("wait_hours") or 0) * 3_600_000)
    if now < int(campaign.launched_at) + wait_ms:
        return False
    in_test = int(campaign.ab_tested or 0)
    if in_test < int(rollout.get("test_size") or 0) and not campaign.materialised:
        return False  # the test group is still being written
    open_in_test = int(campaign.pending or 0) + int(campaign.leased or 0)
    return open_in_test - int(campaign.ab_held or 0) <= 0


def decide(campaign: CampaignModel, now: int | None = None) -> str | None:
    """Store the decision once; answer the winner (the stored one if already decided)."""
    if campaign.rollout_decision:
        return str(plain(campaign.rollout_decision)["winner"])
    now = now or now_ms()
    rows = figures(campaign)
    winner = best(rows)
    decision = {"winner": winner, "decided_at": now, "figures": rows}
    try:
        campaign.update(
            actions=[CampaignModel.rollout_decision.set(decision)],
            condition=CampaignModel.rollout_decision.does_not_exist(),
        )
    except UpdateError:
        fresh = CampaignModel.get(campaign.user_id, campaign.campaign_id, consistent_read=True)
        return str(plain(fresh.rollout_decision)["winner"]) if fresh.rollout_decision else None
    logger.info(
        "variant rollout decided", extra={"campaign_id": campaign.campaign_id, "winner": winner}
    )
    return winner


def release_held(campaign: CampaignModel, winner: str, limit: int = SWEEP_BATCH) -> int:
    """Parked messages join their number's outbox with the winner's letter (each once)."""
    moved = 0
    held = held_session(campaign.campaign_id)
    for message in CampaignMessageModel.outbox.query(held, limit=limit):
        try:
            message.update(
                actions=[
                    CampaignMessageModel.variant.set(winner),
                    CampaignMessageModel.outbox_session.set(message.session_id),
                ],
                condition=(CampaignMessageModel.status == "pending")
                & (CampaignMessageModel.outbox_session == held),
            )
        except UpdateError:
            continue  # moved by a concurrent run, or no longer pending
        moved += 1
    if moved:
        bump(
            campaign.user_id,
            campaign.campaign_id,
            {"ab_held": -moved, key(winner, "recipients"): moved},
        )
    return moved


def roll_out(campaign: CampaignModel, now: int | None = None) -> int:
    """Decide (if due) and release the parked messages; the number moved."""

    if not campaign.rollout_decision and not due(campaign, now or now_ms()):
        return 0
    winner = decide(campaign, now)
    if winner is None:
        return 0
    moved = release_held(campaign, winner)
    if moved:
        lifecycle.wake(campaign.user_id, list(campaign.session_ids or []))
    return moved


def sweep(now: int | None = None) -> int:
    """Every running campaign with a rollout still to decide or to release (scheduled)."""

    moved = 0
    for campaign in CampaignModel.scan(
        filter_condition=(CampaignModel.status == lifecycle.RUNNING)
        & CampaignModel.rollout.exists()
    ):
        if campaign.rollout_decision and not int(campaign.ab_held or 0):
            continue  # decided and released
        try:
            moved += roll_out(campaign, now)
        except Exception:
            logger.exception("variant rollout failed", extra={"campaign_id": campaign.campaign_id})
    return moved
