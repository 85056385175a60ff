"""Issue 11 end to end through the local stack, its own agent and the OpenWA simulator,
which (like OpenWA 4.76) refuses a chat that does not exist yet with a number that is
not a saved contact unless the sending number has a licence key.

With no key anywhere, a campaign to new customers hits the wall, pauses once with a
notice that links to the number; the key is set on the number, the campaign's failures
are retried and go out. An image campaign then reaches `read`, which only happens when
the image's acks are matched by its WhatsApp id."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from PIL import Image

from tests.integration.flows import (
    all_messages,
    campaign_done,
    connected_number,
    import_csv,
    launch_campaign,
    new_user,
)
from tests.integration.stack import LocalStack, serve, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    yield from serve(
        {
            "WACAST_SIM_AUTO_SCAN": "0.5",
            "WACAST_LOCAL_SCHEDULE_SECONDS": "3",
            # no agent-wide stand-in key: the number must carry its own
            "WACAST_LOCAL_OPENWA_LICENSE_KEY": "",
        }
    )


def _campaign(stack: LocalStack, token: str, cid: str) -> dict[str, Any]:
    return stack.request("GET", f"/api/campaigns/{cid}", token=token)[1]


def test_licence_wall_pause_key_on_the_number_retry_then_images_with_ids(
    stack: LocalStack,
) -> None:
    token = new_user(stack, "padaria-wall@example.com")
    sid = connected_number(stack, token)
    import_csv(stack, token, 3, "novos")
    cid = launch_campaign(stack, token, sid, "novos", "Natal", "Oi {{first_name}}!")

    paused = wait_for(
        lambda: (lambda c: c if c["status"] == "paused" else None)(_campaign(stack, token, cid)),
        60,
        "the campaign to pause at the licence wall",
    )
    assert paused["pause_reason"] == "needs_license", paused
    walled = [m for m in all_messages(stack, token, cid) if m["status"] == "failed"]
    assert walled and {m["reason"] for m in walled} == {"needs_license"}, walled
    notices = stack.request("GET", "/api/notifications", token=token)[1]["items"]
    (notice,) = [n for n in notices if n["kind"] == "campaign_needs_license"]
    assert notice["session_id"] == sid and notice["campaign_id"] == cid
    assert "chatted" in notice["body"], notice  # who can be reached without a key, in words

    # Without a key the failures are not retryable yet.
    status, retried = stack.request("POST", f"/api/campaigns/{cid}/retry-failed", token=token)
    assert status == 200 and retried["requeued"] == 0, retried

    status, session = stack.request(
        "PUT", f"/api/sessions/{sid}/license", {"license_key": "E2E-WALL-KEY-9XQ2"}, token=token
    )
    assert status == 200, session
    assert session["license"]["set"] is True and "9XQ2" in session["license"]["masked"]
    assert "E2E-WALL-KEY" not in str(session)
    # the number restarts with its key: a start after the key was set, then connected
    key_set_at = session["license"]["updated_at"]

    def restarted() -> bool:
        got = stack.request("GET", f"/api/sessions/{sid}", token=token)[1]
        since = [h["state"] for h in got["history"] if h["at"] >= key_set_at]
        return got["status"] == "connected" and "starting" in since and "connected" in since

    wait_for(restarted, 60, "the number to restart with its key")
    status, retried = stack.request("POST", f"/api/campaigns/{cid}/retry-failed", token=token)
    assert status == 200 and retried["requeued"] == len(walled), retried
    if _campaign(stack, token, cid)["status"] == "paused":
        stack.request("POST", f"/api/campaigns/{cid}/resume", token=token)
    done = wait_for(lambda: campaign_done(stack, token, cid), 90, "the campaign to finish")
    assert done["counters"]["failed"] == 0 and done["funnel"]["sent"] == 3, done

    # An image campaign: sendImage answers an id only with waitForId, and acks match it.
    import_csv(
        stack,
        token,
        2,
        "fotos",
        lines=["Nome;Celular", "Ana;(11) 98888-0001", "Bia;(11) 98888-0002"],
    )
    status, created = stack.request(
        "POST",
        "/api/campaigns",
        {
            "name": "Foto",
            "template": "Olha o panettone, {{first_name}}!",
            "audience": {"tags": ["fotos"]},
            "session_ids": [sid],
            "pacing": {"min_gap_s": 0, "max_gap_s": 0, "daily_cap": 1000, "warmup": False},
        },
        token=token,
    )
    assert status == 201, created
    image_cid = created["campaign_id"]
    status, slot = stack.request("POST", f"/api/campaigns/{image_cid}/media/upload", token=token)
    assert status in (200, 201), slot
    png = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(png, "PNG")
    upload = requests.post(
        slot["upload_url"],
        data=slot["upload_fields"],
        files={"file": ("panettone.png", png.getvalue(), "image/png")},
        timeout=30,
    )
    assert upload.status_code in (200, 201, 204), upload.text
    status, attached = stack.request(
        "PUT",
        f"/api/campaigns/{image_cid}/media",
        {"upload_key": slot["upload_key"]},
        token=token,
    )
    assert status == 200, attached
    status, scheduled = stack.request("POST", f"/api/campaigns/{image_cid}/schedule", token=token)
    assert status == 202, scheduled

    def all_read() -> list[dict[str, Any]] | None:
        messages = all_messages(stack, token, image_cid)
        return messages if messages and all(m["status"] == "read" for m in messages) else None

    messages = wait_for(all_read, 90, "the image messages to be read")
    assert len(messages) == 2 and all(m["reason"] is None for m in messages), messages
