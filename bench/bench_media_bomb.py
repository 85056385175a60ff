"""Decompression bombs: how fast the API refuses one, and that memory does not move.

Local stack over real HTTP. A PNG of under 200 bytes whose header claims 13000 x 13000 pixels
(~169 MP, ~1.6 GB if decoded) is uploaded the way the browser does (presigned POST
to the stack's S3), then attached with PUT /api/campaigns/{id}/media. Prints the
round-trip time of that PUT (422 image_too_large expected; goal: well under a
second) next to a normal 2000 x 1000 PNG that is decoded and re-encoded, and the
stack process's peak resident memory (VmHWM) before and after the bombs.
"""

from __future__ import annotations

import io
import os
import statistics
import time
from pathlib import Path

import requests

from tests.functional.test_security import bomb_png
from tests.integration.stack import NO_RATE_LIMITS, LocalStack

ROUNDS = int(os.environ.get("BENCH_BOMBS", "20"))


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def attach(stack: LocalStack, token: str, campaign_id: str, data: bytes) -> tuple[int, str, float]:
    """Upload ``data`` as the browser would, then time the PUT that checks it."""
    path = f"/api/campaigns/{campaign_id}/media"
    status, slot = stack.request("POST", f"{path}/upload", token=token)
    assert status == 200, slot
    posted = requests.post(
        slot["upload_url"],
        data={**slot["upload_fields"], "Content-Type": "image/png"},
        files={"file": ("a.png", data, "image/png")},
        timeout=30,
    )
    assert posted.status_code in (200, 201, 204), posted.text
    started = time.perf_counter()
    status, body = stack.request("PUT", path, {"upload_key": slot["upload_key"]}, token=token)
    elapsed = (time.perf_counter() - started) * 1000
    code = body["error"]["code"] if status >= 400 else "ok"
    return status, code, elapsed


def describe(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    print(
        f"{name:<34} n={len(samples):<3} p50 {statistics.median(samples):7.1f} ms   "
        f"max {ordered[-1]:7.1f} ms"
    )


def main() -> None:
    from PIL import Image

    stack = LocalStack({**NO_RATE_LIMITS, "POWERTOOLS_LOG_LEVEL": "WARNING"}).start()
    try:
        assert stack.process is not None
        token = stack.demo_token()
        sessions = stack.request("GET", "/api/sessions", token=token)[1]["items"]
        if sessions:
            session_id = sessions[0]["session_id"]
        else:
            status, session = stack.request("POST", "/api/sessions", {"label": "b"}, token=token)
            assert status == 201, session
            session_id = session["session_id"]
        status, campaign = stack.request(
            "POST",
            "/api/campaigns",
            {
                "name": "Bomb bench",
                "template": "Hi",
                "audience": {"all": True},
                "session_ids": [session_id],
            },
            token=token,
        )
        assert status == 201, campaign
        cid = campaign["campaign_id"]
        bomb = bomb_png(13_000, 13_000)
        normal = io.BytesIO()
        Image.new("RGB", (2000, 1000), (200, 30, 30)).save(normal, format="PNG")
        attach(stack, token, cid, normal.getvalue())  # warm the import of Pillow
        before = peak_rss_mb(stack.process.pid)
        refused: list[float] = []
        for _ in range(ROUNDS):
            status, code, elapsed = attach(stack, token, cid, bomb)
            assert (status, code) == (422, "image_too_large"), (status, code)
            refused.append(elapsed)
        after = peak_rss_mb(stack.process.pid)
        accepted: list[float] = []
        for _ in range(max(3, ROUNDS // 4)):
            status, code, elapsed = attach(stack, token, cid, normal.getvalue())
            assert status == 200, code
            accepted.append(elapsed)
        print(f"bomb: {len(bomb):,} bytes claiming 13000 x 13000 px")
        describe("PUT media, bomb -> 422", refused)
        describe("PUT media, 2000x1000 PNG -> 200", accepted)
        print(
            f"{'stack peak RSS (VmHWM)':<34} {before:7.1f} MB before the bombs, "
            f"{after:7.1f} MB after (decoded, one bomb is ~1,600 MB)"
        )
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
