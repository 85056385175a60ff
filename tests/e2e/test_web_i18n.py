"""The app in Portuguese in a real browser (issue 14): web/e2e/i18n.e2e.mjs against the
local stack. An en-US browser in New York signs in to a pt/BR/São Paulo account; the
campaigns list, composer, campaign page and numbers page show Portuguese words and
Brazilian numbers and dates. Screenshots (1280 and 375 px) in test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import subprocess

from tests.e2e.test_web import CHROMIUM, E2E_TMP, SCREENSHOTS, WEB, built_web, stack
from tests.integration.stack import LocalStack

__all__ = ["built_web", "stack"]  # the module-scoped fixtures, shared with test_web.py


def test_the_app_in_portuguese(stack: LocalStack) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["node", "--test", "--test-reporter=spec", "e2e/i18n.e2e.mjs"],
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
        timeout=420,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"browser test failed (stack log: {stack.log_path}):\n{report}"
    assert "✔ a pt-BR account sees its campaigns, composer, campaign and numbers" in report, report
    for page in ("numbers", "composer", "detail", "campaigns"):
        for width in (1280, 375):
            assert (SCREENSHOTS / f"i18n-{page}-{width}.png").stat().st_size > 1000, (page, width)
