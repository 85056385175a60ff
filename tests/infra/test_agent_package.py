"""The agent's wheel: the `agent` and `wacast_protocol` packages, nothing of the cloud
side (no `chalicelib`), and no chalice/boto3 dependency. Built offline from a copy of the
sources (so the repository stays clean), with the venv's setuptools."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
PACKAGE_DIR = Path("infra/macos/agent-package")
PINS = {
    "pydantic==2.14.4",
    "websockets==17.4",
    "aiohttp==3.14.5",
    "segno==1.6.6",
    "Pillow==13.0.0",
}
CLOUD_ONLY = {"chalice", "boto3", "botocore", "pynamodb", "stripe", "aws_lambda_powertools"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("agent-src")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    # chalicelib is copied on purpose: the wheel must leave it out.
    for name in ("agent", "chalicelib", "wacast_protocol"):
        shutil.copytree(PROJECT_DIR / name, tree / name, ignore=ignore)
    shutil.copytree(PROJECT_DIR / PACKAGE_DIR, tree / PACKAGE_DIR, ignore=ignore)
    out = tmp_path_factory.mktemp("agent-wheel")
    done = subprocess.run(
        [
            sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
            "--no-index", "-w", str(out), str(tree / PACKAGE_DIR),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (found,) = out.glob("wacast_agent-*.whl")
    return found


def names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as z:
        return z.namelist()


def metadata(wheel: Path, file: str) -> str:
    with zipfile.ZipFile(wheel) as z:
        (path,) = [n for n in z.namelist() if n.endswith(f".dist-info/{file}")]
        return z.read(path).decode()


def test_the_protocol_package_ships_and_no_chalicelib(wheel: Path) -> None:
    shipped = {n for n in names(wheel) if n.startswith("wacast_protocol/")}
    assert shipped == {"wacast_protocol/__init__.py"}
    assert not [n for n in names(wheel) if n.startswith("chalicelib")]


def test_every_agent_module_ships(wheel: Path) -> None:
    sources = {
        p.relative_to(PROJECT_DIR).as_posix()
        for p in (PROJECT_DIR / "agent").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert "agent/__init__.py" in sources
    assert sources <= set(names(wheel))
    top_level = {n.split("/", 1)[0] for n in names(wheel) if not n.startswith("wacast_agent")}
    assert top_level == {"agent", "wacast_protocol"}


def test_dependencies_are_the_agents_pins_only(wheel: Path) -> None:
    meta = Parser().parsestr(metadata(wheel, "METADATA"))
    assert meta["Name"] == "wacast-agent"
    requires = set(meta.get_all("Requires-Dist") or [])
    assert requires == PINS
    lowered = {r.split("==")[0].lower() for r in requires}
    assert not lowered & CLOUD_ONLY


def test_console_script(wheel: Path) -> None:
    entry_points = metadata(wheel, "entry_points.txt")
    assert "wacast-agent = agent.__main__:main" in entry_points


def test_shipped_code_imports_nothing_cloud_side(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if not name.endswith(".py"):
                continue
            tree = ast.parse(z.read(name), filename=name)
            for node in ast.walk(tree):
                modules: list[str] = []
                if isinstance(node, ast.Import):
                    modules = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules = [node.module]
                for module in modules:
                    root = module.split(".")[0]
                    assert root not in CLOUD_ONLY, f"{name} imports {module}"
                    assert root != "chalicelib", f"{name} imports {module}"


def test_every_shipped_module_imports_from_the_wheel_alone(wheel: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        z.extractall(tmp_path)
    modules = sorted(
        p.relative_to(tmp_path).with_suffix("").as_posix().replace("/", ".")
        for p in tmp_path.rglob("*.py")
        if p.name != "__main__.py" or p.parent.name == "agent"
    )
    script = (
        "import importlib, os, sys\n"
        f"for m in {modules!r}: importlib.import_module(m.removesuffix('.__init__'))\n"
        "import wacast_protocol\n"
        "assert wacast_protocol.__file__.startswith(os.getcwd()), wacast_protocol.__file__\n"
        f"loaded = {{m.split('.')[0] for m in sys.modules}} & set({sorted(CLOUD_ONLY)!r})\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
