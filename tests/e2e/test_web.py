"""The web app in a real browser against the whole local stack.

Starts ``python -m infra.local`` on free ports serving the built SPA (web/dist),
then runs the browser test (web/e2e/, Node's test runner driving Debian's
Chromium through playwright-core): register, sign in, add a number, see its QR,
the simulator scans it, see it connected; an admin creates an agent; a password
reset through the local mailbox. Screenshots land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.stack import ROOT, LocalStack

WEB = ROOT / "web"
CHROMIUM = os.environ.get("WACAST_E2E_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
E2E_TMP = ROOT / "test-artifacts" / "e2e-tmp"


def _missing() -> str | None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm are not installed"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    return None


def _run(command: list[str], timeout: float) -> None:
    subprocess.run(command, cwd=WEB, check=True, timeout=timeout)


@pytest.fixture(scope="module")
def built_web() -> Path:
    problem = _missing()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)  # CI installs both (.ci/run); a skip there would hide the test
        pytest.skip(problem)
    if not (WEB / "node_modules" / "playwright-core").exists():
        _run(["npm", "ci", "--no-audit", "--no-fund"], timeout=600)
    if not (WEB / "dist" / "index.html").exists():
        _run(["npm", "run", "build"], timeout=600)
    return WEB / "dist"


@pytest.fixture(scope="module")
def stack(built_web: Path):
    local = LocalStack(
        {
            # The agent's folder (with the simulator's control file) lands here, so the
            # inbox test can inject replies (web/e2e/inbox.e2e.test.mjs).
            "TMPDIR": str(E2E_TMP),
            "WACAST_WEB_DIST": str(built_web),
            "WACAST_SIM_AUTO_SCAN": "3",
            # The campaign test makes more writes a minute than a person would.
            "WACAST_RATE_WRITES_PER_MINUTE": "600",
            # Every browser context here shares one source address.
            "WACAST_RATE_PUBLIC_PER_MINUTE": "600",
        }
    )
    E2E_TMP.mkdir(parents=True, exist_ok=True)
    local.start()
    try:
        yield local
    finally:
        local.stop()


def test_the_web_app_in_a_browser(stack: LocalStack) -> None:
    # The SPA is served at / and client-side routes fall back to index.html.
    status, page = stack.request("GET", "/sessions")
    assert status == 200 and '<div id="root">' in page

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["node", "--test", "--test-concurrency=1", "--test-reporter=spec", "e2e/"],
        cwd=WEB,
        env={
            **os.environ,
            "WACAST_E2E_BASE": stack.base,
            "WACAST_E2E_SCREENSHOTS": str(SCREENSHOTS),
            "WACAST_E2E_CHROMIUM": CHROMIUM,
            "WACAST_E2E_TMP": str(E2E_TMP),
        },
        capture_output=True,
        text=True,
        timeout=480,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"browser test failed (stack log: {stack.log_path}):\n{report}"
    assert "✔ a new user registers, signs in, adds a number" in report, report
    assert "✔ an admin sees the agents, creates one" in report, report
    assert "✔ a forgotten password is reset through the emailed link" in report, report
    assert "✔ contacts are imported from a CSV, a campaign to their tag" in report, report
    assert "✔ a number's licence key is set on its page" in report, report
    assert "✔ no serious accessibility problems" in report, report
    assert "✔ a reply appears in the inbox without reload" in report, report
    assert "✔ a campaign is followed up to those who did not reply" in report, report
    # web/e2e/campaigns.e2e.test.mjs: issue 13's honest campaigns.
    assert "✔ a Free account composes, sees the forecast follow the pace" in report, report
    assert "✔ a paused campaign's pace is edited" in report, report
    assert "cancelled, it says how many were sent" in report, report
    assert "✔ a second campaign, short of quota, upgrades and comes back" in report, report
    # web/e2e/openwa.e2e.test.mjs: the real OpenWA's licence wall and timelock (issue 11).
    assert "✔ the licence wall pauses a campaign with words and a link" in report, report
    # web/e2e/variants.e2e.test.mjs: A/B variants (issue 16).
    assert "✔ variants are written in the composer's tabs and compared" in report, report
    # web/e2e/security.e2e.test.mjs: test sends obey the rules of any send (issue 12).
    assert "✔ a test to an opted-out contact is refused in words" in report, report
    assert "✔ wrong passwords from one device slow its sign-in down" in report, report
    for name in (
        "login",
        "sessions-qr",
        "sessions-connected",
        "dashboard",
        "admin",
        "settings",
        "contacts-import-mapping",
        "contacts-import-done",
        "contacts",
        "campaign-editor",
        "campaign-detail",
        "campaigns",
        "billing",
        "sessions-license",
        "mobile-sessions-license",
        "openwa-licence-wall-campaign-1280",
        "openwa-licence-wall-campaign-375",
        "openwa-restricted-number-1280",
        "openwa-restricted-number-375",
        "honest-composer",
        "honest-composer-375",
        "honest-launch-summary",
        "honest-detail-warmup",
        "honest-detail-warmup-375",
        "honest-paused-edit",
        "honest-paused-edit-375",
        "honest-back-from-checkout",
        "honest-detail-cancelled",
        "honest-detail-cancelled-375",
        "honest-number-health",
        "honest-number-health-375",
        "honest-dashboard-health",
        "honest-dashboard-health-375",
        "inbox-list-1280",
        "inbox-list-375",
        "inbox-thread-1280",
        "inbox-thread-375",
        "follow-up-dialog-1280",
        "follow-up-dialog-375",
        "follow-up-editor-1280",
        "follow-up-editor-375",
        "campaign-duplicate-1280",
        "campaign-duplicate-375",
        "variants-composer-1280",
        "variants-composer-375",
        "variants-detail-1280",
        "variants-detail-375",
        "inbox-answer-1280",
        "inbox-answer-375",
        "inbox-settings-1280",
        "inbox-settings-375",
        "security-test-send-refused-1280",
        "security-test-send-refused-375",
        "security-login-slowed-1280",
        "security-login-slowed-375",
    ):
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 1000, name
