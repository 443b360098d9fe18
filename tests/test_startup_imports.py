"""Quick commands load only what they use: `check-config` and `events` never import discord.py, Alembic,
aiohttp, matplotlib or the sandbox (issue 12, "Speed"; the figures are in benchmarks/cli_startup.py).

Each check runs the real CLI entry point in a fresh interpreter, then lists the heavy modules it loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.db.files import sqlite_file
from tests.factories import NOW

PROJECT = Path(__file__).resolve().parents[1]
HEAVY = ("discord", "alembic", "aiohttp", "matplotlib", "bot.sandbox", "mako")

# Runs the commands given as JSON argument lists with the real entry point, in this one process, then
# prints the heavy modules they imported (as JSON).
PROBE = """\
import json, sys
from bot.cli.main import main
for args in json.loads(sys.argv[1]):
    status = main(args)
    assert status == 0, (args, status)
heavy = json.loads(sys.argv[2])
print(json.dumps(sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy))))
"""


def loaded_heavy(config_file: Path, *commands: list[str], sqlalchemy_too: bool = False) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_TOKEN", "MEETUP_BOT"))}
    env["PYTHONPATH"] = str(PROJECT)
    heavy = [*HEAVY, "sqlalchemy"] if sqlalchemy_too else list(HEAVY)
    arguments = [["--config", str(config_file), *command] for command in commands]
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(arguments), json.dumps(heavy)],
        capture_output=True,
        text=True,
        env=env,
        cwd=config_file.parent,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return loaded


def test_check_config_imports_no_database_code_at_all(config_file: Path) -> None:
    assert loaded_heavy(config_file, ["check-config"], sqlalchemy_too=True) == []


def test_events_on_a_fresh_database_and_at_head_imports_no_heavy_module(config_file: Path) -> None:
    # the first `events` creates the schema (no Alembic for an empty database), the second finds it at head
    assert loaded_heavy(config_file, ["check-config"], ["events"], ["events", "--all", "--json"]) == []
    assert (config_file.parent / "meetup.db").exists()


def test_events_after_an_import_imports_no_heavy_module(config_file: Path, tmp_path: Path) -> None:
    day = (NOW + timedelta(days=30)).date()
    (tmp_path / "events" / "talk.md").write_text(
        f"# A talk\n## Meta\n| | |\n| --- | --- |\n| **When:** | {day:%A, %B} {day.day}, {day.year} |\n"
        "| **Time:** | 6:00pm - 8:00pm |\n"
    )
    subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config_file), "import", str(tmp_path / "events")],
        check=True,
        capture_output=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert loaded_heavy(config_file, ["events", "--all"]) == []


def test_lint_imports_no_database_code(config_file: Path, tmp_path: Path) -> None:
    if not (PROJECT / "bot" / "cli" / "lint.py").exists():
        pytest.skip("`meetup-bot lint` is not there yet")
    (tmp_path / "events" / "talk.md").write_text("# A talk\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_TOKEN", "MEETUP_BOT"))}
    env["PYTHONPATH"] = str(PROJECT)
    probe = PROBE.replace("assert status == 0, (args, status)", "pass")  # lint may well find problems
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            probe,
            json.dumps([["--config", str(config_file), "lint", str(tmp_path / "events")]]),
            json.dumps([*HEAVY, "sqlalchemy"]),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []


def _with_make_url(url: str) -> Path | None:
    """What `sqlite_file` answered when it parsed with SQLAlchemy's make_url (before it stopped importing it)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if not parsed.drivername.startswith("sqlite"):
        return None
    database = parsed.database or ""
    if database.startswith("file:"):
        database = database[len("file:") :].split("?", 1)[0]
        if parsed.query.get("mode") == "memory":
            return None
    if not database or database == ":memory:":
        return None
    return Path(database)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite:///meetup.db",
        "sqlite+aiosqlite:////srv/bot/meetup.db",
        "sqlite:///relative/dir/x.db?timeout=5",
        "sqlite+aiosqlite://",
        "sqlite+aiosqlite:///:memory:",
        "sqlite+aiosqlite:///file:data.db?mode=ro&uri=true",
        "sqlite+aiosqlite:///file:mem1?mode=memory&cache=shared&uri=true",
        "sqlite+aiosqlite:///file:x.db?mode=memory&mode=ro&uri=true",
        "sqlite+aiosqlite:///a%20b%3F.db",
        "sqlite+aiosqlite://user:pw@host:1234/odd.db",
        "sqlite+aiosqlite://[::1]/v6.db",
        "sqlite:///with spaces/and#hash.db",
        "postgresql+asyncpg://bot:secret@db.example.org:5432/meetup",
        "mysql://h/db",
        "not a url",
        "",
        "sqlite:/only-one-slash.db",
        "sqlite+aiosqlite:///x.db\nmode=memory",
    ],
)
def test_sqlite_file_reads_urls_as_sqlalchemy_does(url: str) -> None:
    assert sqlite_file(url) == _with_make_url(url)


def test_sqlite_file_refuses_a_port_that_is_no_number_as_sqlalchemy_does() -> None:
    with pytest.raises(ValueError):
        make_url("sqlite://host:port/x.db")
    with pytest.raises(ValueError):
        sqlite_file("sqlite://host:port/x.db")
