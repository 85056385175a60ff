"""Sessions: create, place on an agent, follow the agent's reports, stop, purge."""

from __future__ import annotations

import contextlib
import random
import secrets
import time
from collections.abc import Iterable

from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib import notifications, push
from chalicelib.errors import Conflict, NotFound
from chalicelib.logs import logger
from chalicelib.models.agents import AgentModel
from chalicelib.models.base import now_ms
from chalicelib.models.sessions import (
    NUMBERS_COUNTER_KEY,
    SESSION_ID_PREFIX,
    SessionCountModel,
    StateChange,
    WaSessionModel,
)
from chalicelib.pagination import decode_cursor, encode_cursor
from chalicelib.sessions import hooks, limits, reasons
from wacast_protocol import (
    DesiredSession,
    SessionState,
    SessionStateFrame,
    SessionSummary,
    StartFailReason,
    StartSession,
    StopSession,
    Sync,
)

HEARTBEAT_TIMEOUT_MS = 60_000
PURGE_GRACE_MS = 7 * 86_400_000
HISTORY_KEPT = 50
CREATE_ATTEMPTS = 10
# The cloud, not the agent, decides these; reports never move a session out of them.
CLOUD_OWNED = {SessionState.stopped.value, SessionState.deleted.value}
# States only the cloud may set: an agent reporting one of them is ignored (it could
# otherwise hide a number from its owner, or fake its own machine's health).
NOT_FROM_AGENT = {*CLOUD_OWNED, SessionState.agent_offline.value}
# States that need the user; entering one sends a notice.
NOTICES = {
    SessionState.qr_expired.value: (
        "needs a new scan",
        "The QR code expired before it was scanned. Open Numbers and restart it to get a new code.",
    ),
    SessionState.disconnected.value: (
        "disconnected",
        "WhatsApp disconnected this number. Check the phone is online; wacast keeps retrying.",
    ),
    SessionState.banned.value: (
        "was banned",
        "WhatsApp banned this number. Campaigns using it are paused.",
    ),
    SessionState.logged_out.value: (
        "was logged out",
        "This number was logged out (from the "
        "phone, or WhatsApp ended the session). Scan a new QR to "
        "link it again.",
    ),
    SessionState.agent_offline.value: (
        "is offline",
        "The machine that runs this number stopped "
        "answering. It comes back on its own when the machine "
        "does.",
    ),
    SessionState.failed.value: (
        "failed to start",
        "WhatsApp Web could not start for this number "
        "after several tries. Restart it, or contact support.",
    ),
    SessionState.restricted.value: (
        "cannot start new chats",
        "Campaigns using it are paused. Resume them once the restriction lifts.",
    ),
}


class SessionNotOwned(Exception):
    """An agent spoke about a session that is not assigned to it."""


def agent_online(agent: AgentModel, now: int | None = None) -> bool:
    now = now or now_ms()
    heartbeat = agent.last_heartbeat_at or 0
    return bool(agent.connection_id) and now - heartbeat < HEARTBEAT_TIMEOUT_MS


def _new_session_id() -> str:
    return f"ses_{secrets.token_hex(8)}"


def count_active(user_id: str) -> int:
    return sum(
        1
        for _ in WaSessionModel.query(
            user_id,
            WaSessionModel.session_id.startswith(SESSION_ID_PREFIX),
            filter_condition=~WaSessionModel.status.is_in(*CLOUD_OWNED),
            consistent_read=True,
        )
    )


def _active_counter(user_id: str) -> int:
    """The user's counter of active numbers; created from a count on first use."""
    try:
        return int(SessionCountModel.get(user_id, NUMBERS_COUNTER_KEY, consistent_read=True).active)
    except SessionCountModel.DoesNotExist:
        pass
    current = count_active(user_id)
    with contextlib.suppress(PutError):  # a concurrent request created it first: read theirs
        SessionCountModel(user_id, NUMBERS_COUNTER_KEY, active=current).save(
            condition=SessionCountModel.user_id.does_not_exist()
        )
    return int(SessionCountModel.get(user_id, NUMBERS_COUNTER_KEY, consistent_read=True).active)


def _contended(error: TransactWriteError) -> bool:
    """A condition or a concurrent transaction refused it (worth another try)."""
    codes = {getattr(r, "code", None) for r in (error.cancellation_reasons or []) if r}
    return bool(codes & {"ConditionalCheckFailed", "TransactionConflict"}) or (
        error.cause_response_code
        in ("TransactionConflictException", "TransactionInProgressException")
    )


def _transact() -> TransactWrite:
    return TransactWrite(connection=Connection(region=WaSessionModel.Meta.region))


def _reserve_slot(agents: Iterable[AgentModel]) -> AgentModel:
    """Take a slot on the least-loaded online agent with room (conditional ADD)."""
    now = now_ms()
    candidates = [a for a in agents if agent_online(a, now)]
    candidates.sort(key=lambda a: ((a.session_count or 0) / max(1, a.capacity), random.random()))
    for agent in candidates:
        try:
            agent.update(
                actions=[AgentModel.session_count.add(1)],
                condition=(AgentModel.session_count < AgentModel.capacity)
                | AgentModel.session_count.does_not_exist(),
            )
            return agent
        except UpdateError:
            continue  # filled up meanwhile: try the next one
    raise Conflict(
        "No machine has room for another number right now. Try again later or ask your "
        "administrator to add capacity.",
        {"online_agents": len(candidates)},
        code="no_capacity",
    )


def _release_slot(agent_id: str) -> None:
    try:
        AgentModel(agent_id).update(
            actions=[AgentModel.session_count.add(-1)],
            condition=AgentModel.session_count > 0,
        )
    except UpdateError:
        logger.warning("agent slot count already zero", extra={"agent_id": agent_id})


def create(user_id: str, label: str) -> WaSessionModel:
    limits.check(user_id, _active_counter(user_id))
    agent = _reserve_slot(AgentModel.scan())
    try:
        session = _save_counted(user_id, label, agent.agent_id)
    except Exception:
        _release_slot(agent.agent_id)
        raise
    push_start(agent, session)
    logger.info(
        "session created",
        extra={"user_id": user_id, "session_id": session.session_id, "agent_id": agent.agent_id},
    )
    return session


def _save_counted(user_id: str, label: str, agent_id: str) -> WaSessionModel:
    """Put the session and move the user's counter from the value the plan's limit was
    checked against, in one transaction: of parallel adds, only one passes each value."""
    for attempt in range(CREATE_ATTEMPTS):
        current = _active_counter(user_id)
        limits.check(user_id, current)
        now = now_ms()
        session = WaSessionModel(
            user_id,
            _new_session_id(),
            label=label,
            status=SessionState.starting.value,
            agent_id=agent_id,
            created_at=now,
            updated_at=now,
            history=[StateChange(state=SessionState.starting.value, at=now)],
        )
        try:
            with _transact() as transaction:
                transaction.update(
                    SessionCountModel(user_id, NUMBERS_COUNTER_KEY),
                    actions=[SessionCountModel.active.set(current + 1)],
                    condition=SessionCountModel.active == current,
                )
                transaction.save(session, condition=WaSessionModel.session_id.does_not_exist())
        except TransactWriteError as error:
            if not _contended(error):
                raise
            # Another add (or delete) moved the counter: back off, check the limit again.
            time.sleep(random.uniform(0, 0.01 * 2**attempt))
            continue
        return session
    raise Conflict("Numbers are being added or removed at the same moment; try again.", code="busy")


def get(user_id: str, session_id: str) -> WaSessionModel:
    try:
        session = WaSessionModel.get(user_id, session_id, consistent_read=True)
    except WaSessionModel.DoesNotExist:
        raise NotFound("No such number.") from None
    if session.status == SessionState.deleted.value:
        raise NotFound("No such number.")
    return session


def list_for(
    user_id: str, limit: int, cursor: str | None
) -> tuple[list[WaSessionModel], str | None]:
    start = decode_cursor(cursor, {"user_id", "session_id"}, owner=("user_id", user_id))
    result = WaSessionModel.query(
        user_id,
        WaSessionModel.session_id.startswith(SESSION_ID_PREFIX),
        limit=limit,
        last_evaluated_key=start,
        filter_condition=WaSessionModel.status != SessionState.deleted.value,
    )
    items = list(result)
    return items, encode_cursor(result.last_evaluated_key)


def qr_of(user_id: str, session_id: str) -> tuple[str, int]:
    session = get(user_id, session_id)
    if session.status != SessionState.qr_ready.value or not session.qr:
        raise Conflict(
            "There is no QR code to scan: the number is " + session.status.replace("_", " ") + ".",
            {"status": session.status},
            code="no_qr",
        )
    return session.qr, int(session.qr_expires_at or 0)


def restart(user_id: str, session_id: str) -> WaSessionModel:
    session = get(user_id, session_id)
    if session.status in CLOUD_OWNED:
        raise Conflict("This number was removed; add it again instead.", code="session_stopped")
    try:
        agent = AgentModel.get(session.agent_id, consistent_read=True)
    except AgentModel.DoesNotExist:
        raise Conflict("The machine that ran this number is gone.", code="agent_gone") from None
    if not agent_online(agent):
        raise Conflict(
            "The machine that runs this number is offline; it restarts when the machine is back.",
            code="agent_offline",
        )
    transition(session, SessionState.starting.value, now_ms(), reason="restart requested")
    push_start(agent, session)
    return get(user_id, session_id)


def push_start(agent: AgentModel, session: WaSessionModel) -> bool:
    """(Re)start a session on its agent, with the number's licence key if it has one."""
    from chalicelib.sessions import vault

    return push.send_frame(
        agent.connection_id,
        StartSession(
            session_id=session.session_id,
            license_key=vault.license_key_of(session),
            issued_at=now_ms(),
        ),
    )


def stop(user_id: str, session_id: str) -> None:
    """Stop now; the agent removes the session's data after the grace period."""
    session = get(user_id, session_id)
    if session.status == SessionState.stopped.value:
        return
    now = now_ms()
    purge_after = now + PURGE_GRACE_MS
    _active_counter(user_id)  # exists before the transaction moves it
    for _ in range(CREATE_ATTEMPTS):
        if _stop_counted(session, now, purge_after):
            break
    else:
        raise Conflict("The number is changing at this moment; try again.", code="busy")
    if session.status == SessionState.stopped.value:
        return  # stopped meanwhile by a concurrent delete
    _release_slot(session.agent_id)
    try:
        agent = AgentModel.get(session.agent_id)
        push.send_frame(
            agent.connection_id, StopSession(session_id=session_id, purge_after=purge_after)
        )
    except AgentModel.DoesNotExist:
        pass


def _stop_counted(session: WaSessionModel, now: int, purge_after: int) -> bool:
    """Stop and count down in one transaction. True when settled (done, or already
    stopped: then ``session.status`` reads stopped); False to try again."""
    try:
        with _transact() as transaction:
            transaction.update(
                session,
                actions=[
                    WaSessionModel.status.set(SessionState.stopped.value),
                    WaSessionModel.stopped_at.set(now),
                    WaSessionModel.purge_after.set(purge_after),
                    WaSessionModel.updated_at.set(now),
                    WaSessionModel.qr.remove(),
                    WaSessionModel.history.set(
                        WaSessionModel.history.append([StateChange(state="stopped", at=now)])
                    ),
                ],
                condition=WaSessionModel.status != SessionState.stopped.value,
            )
            transaction.update(
                SessionCountModel(session.user_id, NUMBERS_COUNTER_KEY),
                actions=[SessionCountModel.active.add(-1)],
                condition=SessionCountModel.active > 0,
            )
    except TransactWriteError as error:
        codes = [getattr(r, "code", None) for r in (error.cancellation_reasons or [])]
        if codes and codes[0] == "ConditionalCheckFailed":
            session.status = SessionState.stopped.value  # a concurrent delete won
            return True
        if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
            # The counter says zero although this number is active: count again.
            SessionCountModel(session.user_id, NUMBERS_COUNTER_KEY).update(
                actions=[SessionCountModel.active.set(count_active(session.user_id))]
            )
        return False
    return True


def transition(
    session: WaSessionModel,
    state: str,
    ts: int,
    *,
    reason: str | None = None,
    phone: str | None = None,
    qr: str | None = None,
    qr_expires_at: int | None = None,
    code: str | None = None,
    restricted_until: int | None = None,
) -> bool:
    """Apply a state report if it is newer than what we have; True when applied.

    ``code`` is the machine-readable reason of a failed number (a StartFailReason);
    ``restricted_until`` when a restriction lifts."""
    now = now_ms()
    actions: list[Action] = [
        WaSessionModel.status.set(state),
        WaSessionModel.state_ts.set(ts),
        WaSessionModel.updated_at.set(now),
    ]
    if state == SessionState.failed.value:
        actions.append(WaSessionModel.status_reason.set(code or "start_failed"))
    elif state == SessionState.restricted.value:
        actions.append(WaSessionModel.status_reason.set("restricted"))
    else:
        actions.append(WaSessionModel.status_reason.remove())
    if state == SessionState.restricted.value and restricted_until:
        actions.append(WaSessionModel.restricted_until.set(restricted_until))
    else:
        actions.append(WaSessionModel.restricted_until.remove())
    if state == SessionState.qr_ready.value and qr:
        actions += [WaSessionModel.qr.set(qr), WaSessionModel.qr_expires_at.set(qr_expires_at or 0)]
    else:
        actions.append(WaSessionModel.qr.remove())
    if state == SessionState.connected.value:
        actions += [
            WaSessionModel.connected_at.set(now),
            WaSessionModel.first_connected_at.set(WaSessionModel.first_connected_at | now),
            WaSessionModel.last_error.remove(),
        ]
        if phone:
            actions.append(WaSessionModel.phone.set(phone))
    elif reason and state not in (SessionState.starting.value, SessionState.qr_ready.value):
        actions.append(WaSessionModel.last_error.set(reason[:500]))
    changed = state != session.status
    if changed:
        change = StateChange(state=state, at=now, reason=(reason or None) and reason[:200])
        actions.append(WaSessionModel.history.set(WaSessionModel.history.append([change])))
    try:
        session.update(
            actions=actions,
            condition=(WaSessionModel.state_ts <= ts) & ~WaSessionModel.status.is_in(*CLOUD_OWNED),
        )
    except UpdateError:
        return False  # stale report, or the session was stopped meanwhile
    if changed and len(session.history or []) > 2 * HISTORY_KEPT:
        session.update(actions=[WaSessionModel.history.set(session.history[-HISTORY_KEPT:])])
    if changed:
        hooks.fire_state_change(session, state, restricted_until)
    if changed and state in NOTICES:
        title, body = NOTICES[state]
        words = reasons.status_text(state, code, restricted_until)
        if words:
            body = f"{words} {body}"
        notifications.notify(
            session.user_id,
            f"session_{state}",
            f"{session.label} {title}",
            body,
            session_id=session.session_id,
            link_path=f"/sessions/{session.session_id}",
        )
    return True


def session_of_agent(agent: AgentModel, session_id: str) -> WaSessionModel:
    for session in WaSessionModel.by_agent.query(
        agent.agent_id, WaSessionModel.session_id == session_id
    ):
        return session
    raise SessionNotOwned(session_id)


def apply_report(agent: AgentModel, frame: SessionStateFrame) -> bool:
    session = session_of_agent(agent, frame.session_id)
    if frame.state.value in NOT_FROM_AGENT:
        # An agent stops sessions when it shuts down; only the user's delete stops one
        # here, and only the cloud judges whether an agent is offline.
        return False
    code = None
    if frame.state == SessionState.failed:
        known = {r.value for r in StartFailReason}
        code = frame.reason if frame.reason in known else StartFailReason.start_failed.value
    return transition(
        session,
        frame.state.value,
        frame.ts,
        reason=frame.detail or frame.reason,
        phone=frame.phone,
        qr=frame.qr,
        qr_expires_at=frame.qr_expires_at,
        code=code,
        restricted_until=frame.restricted_until,
    )


def sessions_of_agent(agent_id: str) -> list[WaSessionModel]:
    return list(WaSessionModel.by_agent.query(agent_id))


def reconcile(agent: AgentModel, running: list[SessionSummary]) -> Sync:
    """On hello: what the agent should run, and catch up on the states it reports."""
    from chalicelib.sessions import vault

    reported = {summary.session_id: summary for summary in running}
    desired: list[DesiredSession] = []
    now = now_ms()
    for session in sessions_of_agent(agent.agent_id):
        if session.status in CLOUD_OWNED:
            desired.append(
                DesiredSession(
                    session_id=session.session_id,
                    desired="stopped",
                    purge_after=int(session.purge_after or now),
                )
            )
            continue
        desired.append(
            DesiredSession(
                session_id=session.session_id,
                desired="running",
                license_key=vault.license_key_of(session),
            )
        )
        summary = reported.get(session.session_id)
        if (
            summary is not None
            and summary.state.value != session.status
            and summary.state.value not in NOT_FROM_AGENT
        ):
            transition(session, summary.state.value, now, phone=summary.phone)
    known = {d.session_id for d in desired}
    for session_id in reported:
        if session_id not in known:
            desired.append(
                DesiredSession(session_id=session_id, desired="stopped", purge_after=now)
            )
    return Sync(sessions=desired, computed_at=now)


def mark_agent_offline(agent: AgentModel) -> int:
    """Every live session of an agent that stopped answering becomes agent_offline."""
    moved = 0
    now = now_ms()
    for session in sessions_of_agent(agent.agent_id):
        if session.status in CLOUD_OWNED or session.status == SessionState.agent_offline.value:
            continue
        if transition(session, SessionState.agent_offline.value, max(now, int(session.state_ts))):
            moved += 1
    if moved:
        logger.warning("agent offline", extra={"agent_id": agent.agent_id, "sessions": moved})
    return moved


def sweep_agents() -> int:
    """Schedule: agents silent for longer than the heartbeat timeout go offline.

    Only silence counts here: a closed connection is judged by the delayed
    offline check it queued, so an agent that reconnects within the minute never
    looks offline.
    """
    now = now_ms()
    moved = 0
    for agent in AgentModel.scan():
        if now - int(agent.last_heartbeat_at or 0) >= HEARTBEAT_TIMEOUT_MS:
            moved += mark_agent_offline(agent)
    return moved


def purge_due() -> int:
    """Schedule: stopped sessions past their grace are deleted for good."""
    now = now_ms()
    purged = 0
    for session in WaSessionModel.scan(
        (WaSessionModel.status == SessionState.stopped.value) & (WaSessionModel.purge_after <= now)
    ):
        session.delete(condition=WaSessionModel.status == SessionState.stopped.value)
        purged += 1
    return purged
