"""A number's own OpenWA licence key, and what happens when a send hits the wall.

OpenWA refuses to open a chat with someone who never chatted with the number and is
not in its phone's contacts, unless the number has a licence key (sold per number).
The key is write-only: stored sealed (``vault``), shown as its last four characters,
decrypted only to put it in the ``start_session``/``sync`` frames for the agent.
"""

from __future__ import annotations

from chalicelib.errors import Conflict
from chalicelib.logs import logger
from chalicelib.models.agents import AgentModel
from chalicelib.models.base import now_ms
from chalicelib.models.sessions import WaSessionModel
from chalicelib.sessions import vault

NEEDS_LICENSE = "needs_license"
# A campaign paused again because the key set on its number did not lift the wall.
LICENSE_REJECTED = "license_rejected"


def masked(session: WaSessionModel) -> str | None:
    return f"••••{session.license_last4}" if session.license_sealed else None


def _editable(user_id: str, session_id: str) -> WaSessionModel:
    from chalicelib.sessions import service

    session = service.get(user_id, session_id)
    if session.status in service.CLOUD_OWNED:
        raise Conflict("This number was removed; add it again instead.", code="session_stopped")
    return session


def _apply(session: WaSessionModel) -> None:
    """Restart the number on its agent so the change takes effect; an offline agent
    gets the key in the ``sync`` answering its next ``hello``."""
    from chalicelib.sessions import service

    try:
        agent = AgentModel.get(session.agent_id, consistent_read=True)
    except AgentModel.DoesNotExist:
        return
    if service.agent_online(agent):
        service.push_start(agent, session)


def set_key(user_id: str, session_id: str, key: str) -> WaSessionModel:
    session = _editable(user_id, session_id)
    now = now_ms()
    session.update(
        actions=[
            WaSessionModel.license_sealed.set(vault.seal(key, vault.owner_of(session))),
            WaSessionModel.license_last4.set(key[-4:]),
            WaSessionModel.license_updated_at.set(now),
            WaSessionModel.updated_at.set(now),
        ]
    )
    logger.info("licence key set", extra={"user_id": user_id, "session_id": session_id})
    _apply(session)
    return session


def remove_key(user_id: str, session_id: str) -> WaSessionModel:
    session = _editable(user_id, session_id)
    if not session.license_sealed:
        return session  # idempotent
    now = now_ms()
    session.update(
        actions=[
            WaSessionModel.license_sealed.remove(),
            WaSessionModel.license_last4.remove(),
            WaSessionModel.license_updated_at.set(now),
            WaSessionModel.updated_at.set(now),
        ]
    )
    logger.info("licence key removed", extra={"user_id": user_id, "session_id": session_id})
    _apply(session)
    return session


def has_key(user_id: str, session_id: str) -> bool:
    try:
        session = WaSessionModel.get(user_id, session_id)
    except WaSessionModel.DoesNotExist:
        return False
    return bool(session.license_sealed)
