"""Fast recovery after an agent restart, and keeping an agent's sessions in step.

* ``hello`` lists the sends the agent's journal holds without a receipted outcome
  (``in_flight``). Every other message leased to that agent's sessions was never
  handed to OpenWA, so it returns to the outbox at once instead of waiting out its
  lease (a restart used to cost the whole lease slack).
* A session that reports ``connected`` is woken at once, so its sender pulls now
  rather than after an idle poll (its first pull often raced the state report).
* Every heartbeat carries what the agent runs; the cloud re-sends ``start_session``
  for what should run and is missing, and ``stop_session`` for what runs and should
  not (a lost or stale frame can no longer leave a number half started).
* The housekeeping sweep ends a session stuck in ``starting`` past the start
  deadline as ``failed`` with a reason, so the owner is told instead of waiting.

The handlers in ``chalicelib/agents/link.py`` call these with one line each.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict

from chalicelib import push
from chalicelib.logs import logger
from chalicelib.models.agents import AgentModel
from chalicelib.models.base import now_ms
from chalicelib.models.sessions import WaSessionModel
from chalicelib.sessions import service as sessions
from wacast_protocol import (
    Heartbeat,
    Hello,
    SessionState,
    SessionStateFrame,
    StartSession,
    StopSession,
    Wake,
)

# Cloud states in which the agent is expected to be running the session. Sessions that
# failed, expired, were banned or logged out wait for their owner's restart instead.
SHOULD_RUN = {
    SessionState.starting.value,
    SessionState.qr_ready.value,
    SessionState.connected.value,
    SessionState.disconnected.value,
    SessionState.agent_offline.value,
    SessionState.restricted.value,
}
START_DEADLINE_DEFAULT_S = 300
START_TIMEOUT_REASON = "start_timeout"


def start_deadline_ms() -> int:
    """How long a session may stay ``starting`` (WACAST_SESSION_START_DEADLINE_S)."""
    raw = os.environ.get("WACAST_SESSION_START_DEADLINE_S", "")
    return int(raw or START_DEADLINE_DEFAULT_S) * 1000


# --- hello: leases the agent never attempted go back to the outbox -----------------------


def release_unjournalled(agent: AgentModel, connection_id: str, frame: Hello) -> int:
    """Return to pending every message leased to the agent's sessions that its journal
    does not hold; wake those numbers. An agent that does not say (``in_flight`` None)
    keeps its leases until they expire."""
    if frame.in_flight is None:
        return 0
    from chalicelib.campaigns import trial
    from chalicelib.campaigns.counters import bump
    from chalicelib.campaigns.messages import move_message
    from chalicelib.models.campaigns import CampaignMessageModel

    held = {(ref.session_id, ref.campaign_id, ref.phone) for ref in frame.in_flight}
    # leases made on this connection (a pull answered alongside the hello, where frames
    # run in parallel) are newer than the agent's list: not the hello's to return
    started = int(agent.connected_at or now_ms())
    returned: dict[tuple[str, str], int] = Counter()
    woken: set[str] = set()
    for session in sessions.sessions_of_agent(agent.agent_id):
        sid = session.session_id
        for hit in CampaignMessageModel.leases.query(sid):
            if (sid, hit.campaign_id, hit.phone) in held:
                continue
            moved = move_message(
                hit.campaign_id,
                hit.phone,
                sid,
                "leased",
                [
                    CampaignMessageModel.status.set("pending"),
                    CampaignMessageModel.lease_session.remove(),
                    CampaignMessageModel.lease_until.remove(),
                    CampaignMessageModel.outbox_session.set(sid),
                    # should the agent have been wrong, its late result still counts
                    # (as after the lease sweep), so nobody is messaged twice
                    CampaignMessageModel.returned_from.set(sid),
                ],
                extra_condition=(CampaignMessageModel.lease_session == sid)
                & (CampaignMessageModel.leased_at < started),
            )
            if not moved:
                continue  # its result landed meanwhile
            woken.add(sid)
            if not trial.is_test(hit.campaign_id):
                returned[(session.user_id, hit.campaign_id)] += 1
    for (user_id, campaign_id), count in returned.items():
        bump(user_id, campaign_id, {"leased": -count, "pending": count})
    if woken:
        push.send_frame(connection_id, Wake(session_ids=sorted(woken)))
    total = sum(returned.values())
    if total or woken:
        logger.info(
            "unattempted leases returned on hello",
            extra={"agent_id": agent.agent_id, "returned": total, "sessions": len(woken)},
        )
    return total


# --- session_state: a number that just connected pulls at once ---------------------------


def wake_if_connected(connection_id: str, frame: SessionStateFrame) -> None:
    if frame.state == SessionState.connected:
        push.send_frame(connection_id, Wake(session_ids=[frame.session_id]))


# --- heartbeat: what runs versus what should ----------------------------------------------


def _start_frame(session: WaSessionModel, now: int) -> StartSession:
    from chalicelib.sessions import vault

    return StartSession(
        session_id=session.session_id, issued_at=now, license_key=vault.license_key_of(session)
    )


def reconcile_running(agent: AgentModel, connection_id: str, frame: Heartbeat) -> dict[str, int]:
    """Re-send what should run and is not reported; stop what runs and should not."""
    if frame.sessions is None:
        return {}
    now = now_ms()
    reported = {s.session_id: s for s in frame.sessions}
    done: Counter[str] = Counter()
    known: set[str] = set()
    for session in sessions.sessions_of_agent(agent.agent_id):
        sid = session.session_id
        known.add(sid)
        summary = reported.get(sid)
        if session.status in sessions.CLOUD_OWNED:
            if summary is not None and summary.state != SessionState.stopped:
                push.send_frame(
                    connection_id,
                    StopSession(session_id=sid, purge_after=int(session.purge_after or now)),
                )
                done["stopped"] += 1
        elif session.status in SHOULD_RUN and summary is None:
            push.send_frame(connection_id, _start_frame(session, now))
            done["started"] += 1
    for sid, summary in reported.items():
        if sid not in known and summary.state != SessionState.stopped:
            push.send_frame(connection_id, StopSession(session_id=sid, purge_after=now))
            done["stopped"] += 1
    if done:
        logger.warning(
            "agent out of step with its sessions: corrected",
            extra={"agent_id": agent.agent_id, **done},
        )
    return dict(done)


# --- housekeeping: no session stays "starting" for good -----------------------------------


def fail_stuck_starting(now: int | None = None) -> int:
    """Sessions ``starting`` for longer than the start deadline end ``failed`` (with a
    reason and the owner's notice). A later report from the agent still moves them on."""
    now = now or now_ms()
    cutoff = now - start_deadline_ms()
    failed = 0
    by_agent: dict[str, int] = defaultdict(int)
    for session in WaSessionModel.scan(
        (WaSessionModel.status == SessionState.starting.value)
        & (WaSessionModel.updated_at < cutoff)
    ):
        if sessions.transition(
            session,
            SessionState.failed.value,
            max(now_ms(), int(session.state_ts or 0)),  # a later report still applies
            reason=START_TIMEOUT_REASON,
        ):
            failed += 1
            by_agent[session.agent_id or ""] += 1
    if failed:
        logger.warning(
            "sessions stuck starting marked failed",
            extra={"sessions": failed, "agents": dict(by_agent)},
        )
    return failed
