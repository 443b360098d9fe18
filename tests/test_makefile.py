"""`make run` installs the runtime only; `make test` adds the dev tools and the PostgreSQL driver, once."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
TOOLS = ("python", "meetup-bot", "ruff", "mypy")


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower()


def test_the_runtime_dependencies_hold_no_dev_tool() -> None:
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    extras = project["optional-dependencies"]
    assert not runtime & {_name(r) for r in extras["dev"] + extras["postgres"]}


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The Makefile and pyproject.toml in a folder whose .venv holds stand-ins that log their arguments."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    shutil.copy(PROJECT / "Makefile", tmp_path)
    shutil.copy(PROJECT / "pyproject.toml", tmp_path)
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for tool in TOOLS:
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{tmp_path / "calls.log"}"\n')
        script.chmod(0o755)
    return tmp_path


def make(checkout: Path, target: str) -> list[str]:
    """Runs `make target`; returns the commands the stand-in tools were called with."""
    log = checkout / "calls.log"
    log.write_text("")
    result = subprocess.run(["make", "-s", target], cwd=checkout, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return log.read_text().splitlines()


def test_make_run_installs_the_runtime_only_and_make_test_the_rest(checkout: Path) -> None:
    assert make(checkout, "run") == ["python -m pip install --quiet -e .", "meetup-bot run"]
    tested = make(checkout, "test")
    assert tested[0] == "python -m pip install --quiet -e .[dev,postgres]"  # what `run` did not install
    assert tested[-1] == "python -m pytest -q"
    assert make(checkout, "run") == ["meetup-bot run"]  # after `make test`: nothing to install
    assert not [call for call in make(checkout, "test") if "pip install" in call]


def test_make_run_after_make_test_installs_nothing(checkout: Path) -> None:
    assert make(checkout, "test")[0] == "python -m pip install --quiet -e .[dev,postgres]"
    assert make(checkout, "run") == ["meetup-bot run"]
