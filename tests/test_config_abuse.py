"""Configs that used to crash the CLI with a traceback get one clear line and exit status 2 instead.

Runaway nesting (a RecursionError in the YAML reader), alias "bombs" (billions of values from a few lines),
and a SQLite database in a folder that does not exist (it passed check-config, then failed in `import`).
All through the real CLI in a subprocess.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import MAX_DEPTH, MAX_VALUES
from tests.conftest import BASE_CONFIG
from tests.test_cli import cli

DEPTH = 5000
APPENDED = BASE_CONFIG.count("\n") + 1  # the line of what a test adds after BASE_CONFIG
GIVE_UP = "meetup-bot: the config has problems (above); nothing was changed."


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single problem line of a refused config (exit 2, no traceback)."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert lines[-1] == GIVE_UP and len(lines) == 2, lines
    return lines[0]


def _bomb(key: str) -> str:
    """Billion laughs: nine levels of nine aliases each, 9**9 values once expanded."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    names = "abcdefghi"
    for previous, name in itertools.pairwise(names):
        label = key if name == "i" else name
        lines.append(f"{label}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_flow_nesting_5000_deep_is_one_line(config_file: Path) -> None:
    config_file.write_text(BASE_CONFIG + "timezone_notes: " + "[" * DEPTH + "]" * DEPTH + "\n")
    assert _one_line(cli(config_file, "check-config")) == (
        f"config.yaml:{APPENDED}: nested too deeply (over {MAX_DEPTH} levels); a config needs only a few, "
        "so look for unclosed [ or { or runaway indentation"
    )


def test_block_nesting_5000_deep_is_one_line(config_file: Path) -> None:
    deep = "".join("  " * i + f"level{i}:\n" for i in range(DEPTH)) + "  " * DEPTH + "end: 1\n"
    config_file.write_text(BASE_CONFIG + deep)
    assert _one_line(cli(config_file, "check-config")).startswith(
        f"config.yaml:{APPENDED + MAX_DEPTH}: nested too deeply (over {MAX_DEPTH} levels)"
    )


def test_an_alias_bomb_is_refused_without_expanding_it(config_file: Path) -> None:
    # under a real key (groups[0].aliases wants a list of names), the old code expanded and hung
    config_file.write_text(
        BASE_CONFIG.replace("    aliases: [St. Louis Go]\n", "    aliases: *i\n").replace(
            "groups:\n", _bomb("bomb") + "groups:\n"
        )
    )
    sixth = BASE_CONFIG.splitlines().index("groups:") + 6  # 9**6 values: the first level over the bound
    assert _one_line(cli(config_file, "check-config")).startswith(
        f"config.yaml:{sixth}: too many values (over {MAX_VALUES:,}, counting what its aliases (*name) repeat)"
    )


def test_a_value_that_contains_itself_is_refused(config_file: Path) -> None:
    config_file.write_text(
        BASE_CONFIG.replace("aliases: [St. Louis Go]", "aliases: &loop [St. Louis Go, *loop]")
    )
    assert _one_line(cli(config_file, "check-config")) == (
        "config.yaml:10: *loop is used inside &loop itself, so the value would contain itself; "
        "write the value out instead"
    )


def test_ordinary_aliases_still_work(config_file: Path) -> None:
    shared = "x-ids: &role 100000000000000003\n"
    config_file.write_text(
        shared + BASE_CONFIG.replace("organizer_role_id: 100000000000000003", "organizer_role_id: *role")
    )
    result = cli(config_file, "check-config")
    assert result.returncode == 2  # the extra top-level key is unknown, as it always was ...
    assert "x-ids: unknown key" in result.stderr and "Traceback" not in result.stderr
    config_file.write_text(
        BASE_CONFIG.replace(
            "organizer_role_id: 100000000000000013", "organizer_role_id: &role 100000000000000013"
        )
        + "announcements:\n  mention_role_id: *role\n"
    )
    result = cli(config_file, "check-config")
    assert result.returncode == 0, result.stderr  # ... and an alias of a real value is read as before
    assert "mention_role_id: 100000000000000013" in result.stdout


@pytest.mark.parametrize("command", [["check-config"], ["import", "events"], ["run"]])
def test_a_database_in_a_missing_folder_is_one_line_for_every_command(
    config_file: Path, command: list[str]
) -> None:
    config_file.write_text(
        BASE_CONFIG.replace("sqlite+aiosqlite:///meetup.db", "sqlite+aiosqlite:///no/such/folder/bot.db")
    )
    folder = config_file.parent / "no" / "such" / "folder"
    assert _one_line(cli(config_file, *command)) == (
        f"config.yaml: database.url: the folder {folder} does not exist; create it (mkdir -p {folder}) "
        "or name a file in an existing one"
    )
    assert not (config_file.parent / "no").exists()


def test_a_database_under_a_file_is_one_line(config_file: Path) -> None:
    (config_file.parent / "notes.txt").write_text("a file, not a folder\n")
    config_file.write_text(BASE_CONFIG.replace("///meetup.db", "///notes.txt/bot.db"))
    assert _one_line(cli(config_file, "check-config")) == (
        f"config.yaml: database.url: {config_file.parent / 'notes.txt'} is not a folder; "
        "name a database file inside a folder"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder, so none is unwritable")
def test_a_database_in_a_read_only_folder_is_one_line(config_file: Path) -> None:
    folder = config_file.parent / "locked"
    folder.mkdir(mode=0o500)
    config_file.write_text(BASE_CONFIG.replace("///meetup.db", "///locked/bot.db"))
    try:
        assert _one_line(cli(config_file, "import", "events")) == (
            f"config.yaml: database.url: the folder {folder} is not writable by this user; "
            "fix its permissions or choose another folder"
        )
    finally:
        folder.chmod(0o700)


def test_the_environment_url_is_named_when_it_is_the_one_at_fault(config_file: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_TOKEN", "MEETUP_BOT"))}
    missing = config_file.parent / "gone"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config_file), "check-config"],
        capture_output=True,
        text=True,
        env={**env, "MEETUP_BOT_DATABASE_URL": f"sqlite+aiosqlite:///{missing}/bot.db"},
        cwd=config_file.parent,
        timeout=120,
    )
    assert _one_line(result).startswith(f"$MEETUP_BOT_DATABASE_URL: the folder {missing} does not exist")


def test_a_file_that_is_not_a_database_is_one_line(config_file: Path) -> None:
    database = config_file.parent / "meetup.db"
    database.write_text("these are somebody's notes, not a SQLite database\n" * 20)
    result = cli(config_file, "import", "events")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"error: the database sqlite+aiosqlite:///{database} cannot be opened: file is not a database; "
        f"check database.url in {config_file} (or $MEETUP_BOT_DATABASE_URL)"
    )
    assert database.read_text().startswith("these are somebody's notes")  # untouched


def test_a_number_with_5000_digits_is_one_line(config_file: Path) -> None:
    config_file.write_text(BASE_CONFIG.replace("guild_id: 100000000000000001", "guild_id: 1" + "0" * 5000))
    line = BASE_CONFIG.splitlines().index("    guild_id: 100000000000000001") + 1
    assert _one_line(cli(config_file, "check-config")) == (
        f"config.yaml:{line}: a number has over 4,300 digits; no config value needs that many, fix it"
    )


def test_a_duration_past_what_time_can_hold_is_one_line(config_file: Path) -> None:
    config_file.write_text(BASE_CONFIG + "announcements:\n  lead_time: 99999999999999999999d\n")
    assert _one_line(cli(config_file, "check-config")) == (
        "config.yaml: announcements.lead_time: '99999999999999999999d' is too long a duration; "
        'expected e.g. "7d" or "2h"'
    )


def test_a_date_that_does_not_exist_is_one_line(config_file: Path) -> None:
    config_file.write_text(BASE_CONFIG.replace("timezone: America/Chicago", "timezone: 2026-13-45"))
    assert _one_line(cli(config_file, "check-config")) == (
        "config.yaml: a value cannot be read (month must be in 1..12); fix it, or quote it if it is text"
    )


def test_a_long_wrong_value_is_quoted_short(config_file: Path) -> None:
    config_file.write_text(BASE_CONFIG + "rsvp:\n  default_capacity: " + "x" * 5000 + "\n")
    problem = _one_line(cli(config_file, "check-config"))
    assert problem.startswith("config.yaml: rsvp.default_capacity: Input should be a valid integer")
    assert problem.endswith("… (5002 characters))") and len(problem) < 200, problem
