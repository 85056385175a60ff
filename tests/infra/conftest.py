"""Fixtures for the deployment tests: one CDK synth per stage per test session."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "synth: synthesises the CDK app (packages the Lambda bundle; ~15-60 s)"
    )


def _shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Under xdist every worker has its own basetemp; their parent is shared, so
    # the first worker synthesises and the others read its output.
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    shared = base / "cdk-synth"
    shared.mkdir(parents=True, exist_ok=True)
    return shared


def synth(out_dir: Path, stage: str, context: dict[str, str]) -> dict[str, Any]:
    args = [sys.executable, "-m", "infra.aws", "-c", f"stage={stage}", "-o", str(out_dir)]
    for key, value in context.items():
        args += ["-c", f"{key}={value}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    done = subprocess.run(
        args, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"synth failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    template: dict[str, Any] = json.loads((out_dir / f"{stage}.template.json").read_text())
    return template


PROD_CONTEXT = {
    "domain": "app.example.com",
    "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/example",
    "mail_domain": "example.com",
    "alarm_email": "ops@example.com",
}


@pytest.fixture(scope="session")
def synthesised(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """stage -> path of its synthesised template (built once, shared by xdist workers)."""
    shared = _shared_dir(tmp_path_factory)

    def get(stage: str) -> Path:
        out = shared / stage
        path = out / f"{stage}.template.json"
        with open(shared / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one chalice package at a time
            if not path.exists():
                synth(out, stage, PROD_CONTEXT if stage == "prod" else {})
        return path

    return get
