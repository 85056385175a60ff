"""Campaigns plug into the hooks of the packages they depend on, so those never import
campaigns: sessions announce a number's state changes, contacts a confirmed opt-out.

``install()`` must run once per process before the first request or job (every entry
point's bootstrap calls it; cheap, no AWS client). Idempotent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.contacts import hooks as contact_hooks
from chalicelib.sessions import hooks as session_hooks

if TYPE_CHECKING:  # an annotation only: bootstrap() runs at every cold start
    from chalicelib.models.sessions import WaSessionModel

# The listeners import their module when first called, not at cold start: the lease and
# outcome machinery they pull in is not needed to answer an HTTP request. Neither module
# is imported by sessions or contacts, so this cuts no cycle.


def _session_state(session: WaSessionModel, state: str, restricted_until: int | None) -> None:
    from chalicelib.campaigns import session_events

    session_events.on_session_state(session, state, restricted_until)


def _opted_out(user_id: str, phone: str) -> None:
    from chalicelib.campaigns import outcomes

    outcomes.stop_pending_everywhere(user_id, phone)


def install() -> list[str]:
    """Returns the hooks installed (for logs and tests)."""
    session_hooks.on_state_change(_session_state)
    contact_hooks.on_opt_out_confirmed(_opted_out)
    return ["sessions.state_change", "contacts.opt_out_confirmed"]
