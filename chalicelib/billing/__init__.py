"""Plans, quotas and Stripe billing.

What other modules call (all keyed by the user id; none imports stripe):

* ``quota.reserve(user_id, n, request_token)``: hold ``n`` messages of this
  period's quota; idempotent per token; raises ``QuotaExceeded`` (409).
* ``quota.consume(user_id, n)``: ``n`` reserved messages were sent.
* ``quota.release(user_id, n)``: ``n`` reserved messages will not be sent.
* ``quota.check_session_allowed(user_id, current_count)``: raises
  ``PlanLimitReached`` (409) when one more WhatsApp number would pass the plan.
* ``quota.sending_allowed(user_id) -> (bool, reason)``: False with
  ``"payment_failed"`` once a failed payment is past its grace period.
* ``hooks.on_pause`` / ``hooks.on_resume`` / ``hooks.count_sessions``: how
  campaigns and sessions plug in (see docs/billing.md).
"""
