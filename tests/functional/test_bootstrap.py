"""Every entry point gets the same wiring from chalicelib.bootstrap, not only app.py.

The entry points run in a fresh interpreter that never imports app.py: what used to
be a side effect of that import (billing's quota and number limits) must still hold.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[2]

# Runs in its own interpreter (moto in-process there): 10 contacts, a free plan with 95
# of its 100 messages already held, one campaign `preparing`. The launch worker, run as
# Lambda would run it but without app.py, must refuse it for quota; the admin CLI's
# process must refuse a free plan's second number.
SCRIPT = r"""
import json, os, sys
from moto import mock_aws

with mock_aws():
    from infra.local.provision import provision_all

    provision_all()
    from chalicelib.auth import service as auth
    from chalicelib.billing import quota as billing_quota
    from chalicelib.models.base import now_ms
    from chalicelib.models.campaigns import CampaignModel
    from chalicelib.models.contacts import ContactModel

    user_id = auth.register("ana@example.com", "correct horse battery", "Ana").user_id
    for i in range(10):
        ContactModel(user_id, f"+1415555{i:04d}", first_name=f"Ana{i}",
                     created_at=now_ms(), updated_at=now_ms()).save()
    billing_quota.reserve(user_id, 95, "another-campaign")
    CampaignModel(user_id, "c1", name="Promo", status="preparing", launch_token="t1",
                  template="Hello!", audience={"all": True}, session_ids=[],
                  created_at=now_ms(), updated_at=now_ms()).save()
    out = {}
    if sys.argv[1] == "worker":
        from chalicelib import workers

        body = {"kind": "prepare", "user_id": user_id, "campaign_id": "c1", "token": "t1",
                "page": 0}
        record = {"messageId": "m1", "body": json.dumps(body), "attributes": {},
                  "eventSource": "aws:sqs"}
        out["batch"] = workers.launch_batch({"Records": [record]})
        campaign = CampaignModel.get(user_id, "c1", consistent_read=True)
        out["status"] = campaign.status
        out["problem"] = (campaign.launch_problem.as_dict() if campaign.launch_problem
                          else None)
    else:
        from chalicelib import admin
        from chalicelib.errors import DomainError
        from chalicelib.sessions import limits

        os.environ["WACAST_ADMIN_PASSWORD"] = "correct horse battery staple"
        out["cli"] = admin.main(["create-admin", "--email", "root@example.com"])
        try:
            limits.check(user_id, 1)  # what sessions.service.create asks before a 2nd number
            out["second_number"] = "allowed"
        except DomainError as error:
            out["second_number"] = error.code
    out["app_imported"] = "app" in sys.modules
    print(json.dumps(out))
"""


def run_entry_point(which: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, which],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_launch_worker_run_without_app_still_enforces_the_quota() -> None:
    out = run_entry_point("worker")
    assert out["app_imported"] is False
    assert out["batch"] == {"batchItemFailures": []}
    assert out["status"] == "draft"
    assert out["problem"]["code"] == "quota_short"
    assert out["problem"]["details"]["over_by"] == 5


def test_the_admin_cli_process_enforces_the_number_limit() -> None:
    out = run_entry_point("cli")
    assert out["app_imported"] is False
    assert out["cli"] == 0
    assert out["second_number"] == "plan_limit_reached"


def test_bootstrap_is_idempotent_and_registers_every_schedule_app_declares() -> None:
    from app import app
    from chalicelib import scheduler
    from chalicelib.bootstrap import bootstrap
    from chalicelib.campaigns import quota

    first = bootstrap()
    reserve = quota.reserve
    assert bootstrap() == first
    assert quota.reserve is reserve
    from chalice.app import ScheduledEventConfig

    scheduled = {s.name for s in app.event_sources if isinstance(s, ScheduledEventConfig)}
    assert scheduled == set(scheduler.SCHEDULES)
    assert sorted(scheduler.KNOWN) == sorted(scheduler.SCHEDULES)
