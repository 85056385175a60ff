"""The Mac mini scripts: syntax (bash -n, shellcheck when installed), the launchd plist
template, run-agent.sh's environment/exec/log handling, and a real encrypted
backup → restore round trip (openssl; launchd steps off with --no-service)."""

from __future__ import annotations

import os
import plistlib
import re
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

MACOS = Path(__file__).resolve().parents[2] / "infra" / "macos"
SCRIPTS = sorted(MACOS.glob("*.sh"))


def run(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=120, **kwargs
    )  # type: ignore[call-overload]


def test_scripts_exist_and_parse() -> None:
    names = {s.name for s in SCRIPTS}
    assert {"install.sh", "backup.sh", "restore.sh", "run-agent.sh"} <= names
    for script in SCRIPTS:
        done = run("bash", "-n", script)
        assert done.returncode == 0, f"{script.name}: {done.stderr}"


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
def test_shellcheck_is_clean() -> None:
    done = run("shellcheck", "--external-sources", *SCRIPTS)  # follows archive-lib.sh
    assert done.returncode == 0, done.stdout + done.stderr


def test_plist_template_renders_to_a_valid_daemon() -> None:
    template = (MACOS / "com.wacast.agent.plist").read_text()
    placeholders = set(re.findall(r"@@([A-Z_]+)@@", template))
    substituted = set(re.findall(r"s\|@@([A-Z_]+)@@\|", (MACOS / "install.sh").read_text()))
    assert placeholders == substituted, "install.sh fills in every placeholder"
    rendered = template
    for name in placeholders:
        rendered = rendered.replace(f"@@{name}@@", f"/Users/me/{name.lower()}")
    plist = plistlib.loads(rendered.encode())
    assert plist["Label"] == "com.wacast.agent"
    assert plist["UserName"] == "/Users/me/user"
    assert plist["ProgramArguments"][0] == "/bin/bash"
    assert plist["ProgramArguments"][1].endswith("/run-agent.sh")
    assert plist["KeepAlive"] is True and plist["RunAtLoad"] is True
    assert plist["ExitTimeOut"] >= 30  # time for the agent to stop OpenWA sessions
    assert plist["Umask"] == 0o077
    assert "WACAST_AGENT_TOKEN" not in rendered  # the token lives in agent.env only


FAKE_AGENT = """#!/bin/bash
echo "pid=$$ token=$WACAST_AGENT_TOKEN url=$WACAST_SERVER_URL"
echo "to stderr" >&2
while [ ! -e "$1" ]; do sleep 0.05; done
echo "after rotation"
"""


def wait_for(predicate, what: str, deadline_s: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + deadline_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_run_agent_loads_env_execs_the_agent_and_survives_log_rotation(tmp_path: Path) -> None:
    env_file = tmp_path / "agent.env"
    env_file.write_text(
        "WACAST_AGENT_TOKEN='tok'\\''en $HOME'\nWACAST_SERVER_URL='wss://example/dev'\n"
    )
    proceed = tmp_path / "proceed"
    agent = tmp_path / "fake-agent"
    agent.write_text(FAKE_AGENT.replace('"$1"', f'"{proceed}"'))
    agent.chmod(0o755)
    log = tmp_path / "agent.log"
    proc = subprocess.Popen(["bash", str(MACOS / "run-agent.sh"), env_file, agent, log])
    try:
        wait_for(lambda: log.exists() and "to stderr" in log.read_text(), "first lines")
        first = log.read_text()
        assert f"pid={proc.pid} " in first  # exec'd: launchd's SIGTERM reaches the agent
        assert "token=tok'en $HOME url=wss://example/dev" in first
        log.rename(tmp_path / "agent.log.0")  # what newsyslog does, with no signal
        proceed.touch()
        wait_for(lambda: log.exists() and "after rotation" in log.read_text(), "new log")
        assert proc.wait(timeout=15) == 0
    finally:
        proc.kill()
    assert "after rotation" not in (tmp_path / "agent.log.0").read_text()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "mac-a" / "data"
    profile = data / "sessions" / "s1" / "Default"
    (profile / "Local Storage" / "leveldb").mkdir(parents=True)
    (profile / "Local Storage" / "leveldb" / "000003.log").write_bytes(b"WA-SESSION-KEYS" * 100)
    (profile / "Cache").mkdir()
    (profile / "Cache" / "blob").write_bytes(b"cache" * 1000)
    (profile / "Code Cache").mkdir()
    (profile / "Code Cache" / "js").write_bytes(b"code")
    with sqlite3.connect(data / "journal.sqlite3") as db:
        db.execute("create table sends (id text primary key, state text)")
        db.execute("insert into sends values ('m1', 'journalled')")
    db.close()
    return data


@pytest.fixture
def passphrase(tmp_path: Path) -> Path:
    path = tmp_path / "passphrase"
    path.write_text("correct horse battery staple\n")
    path.chmod(0o600)
    return path


def backup(data: Path, out: Path, passphrase: Path, *extra: str) -> Path:
    done = run(
        "bash", MACOS / "backup.sh", "--no-service", "--data-dir", data, "--out", out,
        "--passphrase-file", passphrase, *extra,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (archive,) = out.glob("wacast-agent-*.tar.gz.enc")
    return archive


def restore(archive: Path, data: Path, passphrase: Path) -> subprocess.CompletedProcess[str]:
    return run(
        "bash", MACOS / "restore.sh", archive, "--no-service", "--data-dir", data,
        "--passphrase-file", passphrase,
    )  # fmt: skip


def test_backup_is_encrypted_and_restores_on_another_machine(
    tmp_path: Path, data_dir: Path, passphrase: Path
) -> None:
    archive = backup(data_dir, tmp_path / "backups", passphrase)
    assert b"WA-SESSION-KEYS" not in archive.read_bytes()
    assert archive.stat().st_mode & 0o077 == 0
    assert Path(f"{archive}.sha256").read_text().strip()

    target = tmp_path / "mac-b" / "data"  # a replacement machine with a fresh install
    target.mkdir(parents=True)
    (target / "journal.sqlite3").write_bytes(b"empty")
    done = restore(archive, target, passphrase)
    assert done.returncode == 0, done.stdout + done.stderr

    leveldb = target / "sessions" / "s1" / "Default" / "Local Storage" / "leveldb" / "000003.log"
    assert leveldb.read_bytes() == b"WA-SESSION-KEYS" * 100
    assert not (target / "sessions" / "s1" / "Default" / "Cache").exists()
    assert not (target / "sessions" / "s1" / "Default" / "Code Cache").exists()
    with sqlite3.connect(target / "journal.sqlite3") as db:
        assert db.execute("select state from sends where id='m1'").fetchone() == ("journalled",)
    db.close()
    (aside,) = target.parent.glob("data.before-restore-*")
    assert (aside / "journal.sqlite3").read_bytes() == b"empty"
    assert target.stat().st_mode & 0o777 == 0o700


def test_wrong_passphrase_or_damaged_archive_changes_nothing(
    tmp_path: Path, data_dir: Path, passphrase: Path
) -> None:
    archive = backup(data_dir, tmp_path / "backups", passphrase)
    target = tmp_path / "mac-b" / "data"
    target.mkdir(parents=True)
    (target / "keep").write_text("untouched")

    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase\n")
    done = restore(archive, target, wrong)
    assert done.returncode != 0
    assert (target / "keep").read_text() == "untouched"

    damaged = archive.read_bytes()
    archive.write_bytes(damaged[:-10] + bytes(10))
    done = restore(archive, target, passphrase)
    assert done.returncode != 0 and "checksum" in done.stderr
    assert sorted(p.name for p in target.parent.iterdir()) == ["data"]
    assert (target / "keep").read_text() == "untouched"


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="--live needs the sqlite3 CLI")
def test_live_backup_copies_the_journal_through_sqlite(
    tmp_path: Path, data_dir: Path, passphrase: Path
) -> None:
    writer = sqlite3.connect(data_dir / "journal.sqlite3")
    writer.execute("pragma journal_mode=wal")
    writer.execute("insert into sends values ('m2', 'sent')")
    writer.commit()  # in the WAL, not yet checkpointed into the main file
    archive = backup(data_dir, tmp_path / "backups", passphrase, "--live")
    writer.close()
    target = tmp_path / "mac-b" / "data"
    assert restore(archive, target, passphrase).returncode == 0
    with sqlite3.connect(target / "journal.sqlite3") as db:
        assert db.execute("select count(*) from sends").fetchone() == (2,)
    db.close()
    assert not list(target.glob("journal.sqlite3-wal"))
    assert os.listdir(target / "sessions" / "s1" / "Default") == ["Local Storage"]
