"""Billing's failure modes, as API errors."""

from __future__ import annotations

from chalicelib.errors import BadRequest, Conflict, ServiceUnavailable


class QuotaExceeded(Conflict):
    code = "quota_exceeded"


class PlanLimitReached(Conflict):
    code = "plan_limit_reached"


class ReservationMissing(Conflict):
    """consume/release asked for more than is reserved: a caller's accounting bug."""

    code = "reservation_missing"


class BillingNotConfigured(ServiceUnavailable):
    code = "billing_not_configured"


class InvalidSignature(BadRequest):
    code = "invalid_signature"
