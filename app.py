"""wacast's cloud functions. Thin: parse, call a service in chalicelib, map errors."""

from __future__ import annotations

import json
import time
from typing import Any

from chalice import Chalice, Rate, Response

from chalicelib import scheduler, security_headers
from chalicelib.api import auth_blueprint, chalice_error_to_shape
from chalicelib.bootstrap import bootstrap
from chalicelib.logs import logger
from chalicelib.logs import request_id as current_request_id
from chalicelib.queues import CONTACTS, EMAIL, JOBS, LAUNCH
from chalicelib.routes import (
    admin,
    auth,
    billing,
    campaigns,
    contacts,
    conversations,
    followups,
    notifications,
    sessions,
    system,
)

app = Chalice(app_name="wacast")
app.experimental_feature_flags.update(["WEBSOCKETS"])
app.api.cors = False
# Billing's quota and number limits, the schedules, push bound to this app: the same
# wiring every other entry point (admin CLI, workers, scripts, local stack) gets.
bootstrap(app)

app.register_blueprint(auth_blueprint)
for area in (auth, system, admin, sessions, notifications, contacts, campaigns, billing):
    app.register_blueprint(area.api.blueprint)
app.register_blueprint(conversations.api.blueprint)
app.register_blueprint(followups.api.blueprint)


@app.middleware("http")
def request_envelope(event: Any, get_response: Any) -> Response:
    """One structured log line per request; Chalice's own errors reshaped to ours."""
    context = event.context or {}
    lambda_context = getattr(event, "lambda_context", None)
    request_id = str(
        context.get("requestId") or getattr(lambda_context, "aws_request_id", "") or ""
    )
    token = current_request_id.set(request_id)
    logger.append_keys(request_id=request_id)
    started = time.perf_counter()
    try:
        response = get_response(event)
    except Exception:
        logger.exception("unhandled error")
        response = Response(body="", status_code=500)
    if response.status_code >= 400 and not _has_error_shape(response.body):
        response.body = chalice_error_to_shape(response.status_code, _json(response.body))
        response.headers = {**(response.headers or {}), "Content-Type": "application/json"}
    response.headers = {
        **security_headers.api(),
        **(response.headers or {}),
        "X-Request-Id": request_id,
    }
    logger.info(
        "request",
        extra={
            "method": event.method,
            "path": event.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "user_id": (context.get("authorizer") or {}).get("principalId"),
        },
    )
    logger.remove_keys(["request_id"])
    current_request_id.reset(token)
    return response


def _json(body: Any) -> Any:
    if isinstance(body, (dict, list)):
        return body
    try:
        return json.loads(body) if body else None
    except (TypeError, ValueError):
        return None


def _has_error_shape(body: Any) -> bool:
    parsed = _json(body)
    return isinstance(parsed, dict) and isinstance(parsed.get("error"), dict)


# --- WebSocket API: the agents' link -------------------------------------------------


@app.on_ws_connect()
def ws_connect(event: Any) -> Response:
    from chalicelib.agents import link

    return link.on_connect(event)


@app.on_ws_message()
def ws_message(event: Any) -> None:
    from chalicelib.agents import link

    link.on_message(event)


@app.on_ws_disconnect()
def ws_disconnect(event: Any) -> None:
    from chalicelib.agents import link

    link.on_disconnect(event)


# --- Queues and schedules ----------------------------------------------------------


@app.on_sqs_message(queue=EMAIL.name, batch_size=EMAIL.batch_size)
def email_worker(event: Any) -> dict[str, Any]:
    from chalicelib.workers import email_batch

    return email_batch(event.to_dict())


@app.on_sqs_message(queue=JOBS.name, batch_size=JOBS.batch_size)
def jobs_worker(event: Any) -> dict[str, Any]:
    from chalicelib.workers import jobs_batch

    return jobs_batch(event.to_dict())


@app.on_sqs_message(queue=LAUNCH.name, batch_size=LAUNCH.batch_size)
def launch_worker(event: Any) -> dict[str, Any]:
    from chalicelib.workers import launch_batch

    return launch_batch(event.to_dict())


@app.on_sqs_message(queue=CONTACTS.name, batch_size=CONTACTS.batch_size)
def contacts_worker(event: Any) -> dict[str, Any]:
    from chalicelib.workers import contacts_batch

    return contacts_batch(event.to_dict())


@app.schedule(Rate(1, unit=Rate.MINUTES))
def housekeeping(event: Any) -> None:
    from chalicelib.agents import recovery
    from chalicelib.campaigns import sweeps
    from chalicelib.sessions import service as sessions

    offline = sessions.sweep_agents()
    recovery.fail_stuck_starting()  # a session never stays "starting" silently
    purged = sessions.purge_due()
    returned = sweeps.sweep_leases()
    from chalicelib.campaigns import variants

    variants.sweep()  # A/B winner rollouts that are due
    scheduler.record_run("housekeeping")
    logger.info(
        "housekeeping",
        extra={"sessions_offline": offline, "sessions_purged": purged, "leases_back": returned},
    )


@app.schedule(Rate(15, unit=Rate.MINUTES))
def billing_dunning(event: Any) -> None:
    """Pause sending for users whose failed payment is past its grace period."""
    from chalicelib.billing import dunning

    dunning.enforce_grace()
    scheduler.record_run("billing_dunning")


@app.schedule(Rate(5, unit=Rate.MINUTES))
def campaign_watch(event: Any) -> None:
    """Tell users when a running campaign has waited over an hour (not for its gaps)."""
    from chalicelib.campaigns import watch

    notified = watch.run()
    scheduler.record_run("campaign_watch")
    logger.info("campaign watch", extra={"notified": notified})


@app.schedule(Rate(1, unit=Rate.HOURS))
def inbox_digest(event: Any) -> None:
    """Once a day, for accounts that asked: the conversations still unread, by email."""
    from chalicelib.conversations import digest

    queued = digest.run()
    scheduler.record_run("inbox_digest")
    logger.info("inbox digest", extra={"queued": queued})
