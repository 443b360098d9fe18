"""`meetup-bot lint` as a real process: it loads no heavy module, and the real event pages pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from tests.lint.conftest import LintRunner, git, page, write

HEAVY = ("discord", "alembic", "sqlalchemy", "aiohttp", "matplotlib", "bot.sandbox", "bot.db.engine")
PROBE = """\
import json, sys
from bot.cli.main import main
code = main(sys.argv[1:])
heavy = sorted(m for m in sys.modules if m in {heavy} or m.startswith(tuple(h + "." for h in {heavy})))
print(json.dumps({{"code": code, "heavy": heavy}}))
"""


def probe(cwd: Path, *args: str) -> dict[str, object]:
    """Runs lint in a fresh interpreter and reports which of the heavy modules it loaded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_TOKEN", "MEETUP_BOT"))}
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_lint_imports_nothing_heavy(config_file: Path, tmp_path: Path) -> None:
    """With a config or without, text or GitHub format, with --base (git): none of discord.py, Alembic,
    SQLAlchemy, aiohttp, matplotlib or the sandbox is imported. (The process runs on the real clock, so
    the files are chosen to give the same status on any date: one broken file, status 1.)"""
    write(tmp_path, "events/a.md", page())
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "one")
    write(tmp_path, "events/b.md", "# No meta rows\n\n## Meta\nnothing here\n")
    for args in (
        ["lint", "events"],  # with ./config.yaml
        ["--config", str(config_file), "lint", "--format", "github", "--base", "main", "events"],
    ):
        assert probe(tmp_path, *args) == {"code": 1, "heavy": []}
    (tmp_path / "config.yaml").unlink()
    assert probe(tmp_path, "lint", "--strict", "events") == {"code": 1, "heavy": []}


def test_bad_usage_in_a_real_process_is_one_line_and_status_2(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "lint", "--base", "main", "nowhere"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        "meetup-bot lint: nowhere: no such file or folder\n",
    )


def test_the_real_event_pages_have_no_errors(lint: LintRunner, config_file: Path, tmp_path: Path) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"the corpus of real pages is not here ({CORPUS}; see ../shared/README.md)")
    run = lint(str(CORPUS), cwd=tmp_path, config=config_file)
    assert run.code == 0, "\n".join(run.out)
    assert not [line for line in run.out if ": error: " in line]
    assert run.out[-1].startswith(f"{len(list(CORPUS.glob('*/README.md'))) + 1} files checked: 0 errors")
