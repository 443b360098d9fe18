"""`meetup-bot sync [--full]`: the summary line, `error:` lines for failed files, and the exit codes (0 synced,
1 a file failed or the repository is unreachable, 2 no events_repo in the config)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.clock import ManualClock
from tests.factories import NOW
from tests.repo.conftest import Remote, event_file
from tests.test_cli import cli


async def sync_cli(config_file: Path, *args: str) -> int:
    """The command in this process (on the tests' clock), so its output lands in capsys."""
    return await asyncio.to_thread(main, ["--config", str(config_file), "sync", *args], ManualClock(NOW))


async def test_sync_prints_the_summary_and_exits_0(
    remote: Remote, repo_config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sha = remote.publish({"events/a.md": event_file("A", 7)}, "Add A")
    assert await sync_cli(repo_config_file) == 0
    out, err = capsys.readouterr()
    assert out == (
        f'synced {sha[:7]} (every file compared) by Olivia Organizer <olivia@example.org> ("Add A"): added 1\n'
    )
    assert err == ""

    assert await sync_cli(repo_config_file) == 0
    assert capsys.readouterr() == (f"already at {sha[:7]}: nothing changed\n", "")

    assert await sync_cli(repo_config_file, "--full") == 0
    out, _ = capsys.readouterr()
    assert out.startswith(f"synced {sha[:7]} (every file compared)") and "no event changed" in out


async def test_a_failed_file_is_an_error_line_and_exit_1(
    remote: Remote, repo_config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    remote.publish({"events/a.md": event_file("A", 7)}, "Add A")
    assert await sync_cli(repo_config_file) == 0
    capsys.readouterr()
    remote.publish(
        {"events/b.md": "# B\n\n## Meta\n| | |\n| --- | --- |\n| **When:** | \x1b[2Jsoon |\n"}, "B"
    )
    assert await sync_cli(repo_config_file) == 1
    out, err = capsys.readouterr()
    assert err.startswith("error: events/b.md:6: When: ") and err.count("\n") == 1
    assert "\x1b" not in out + err and "\\x1b" in err  # file content shown safely
    assert "1 file failed: events/b.md:6:" in out
    assert await sync_cli(repo_config_file) == 0  # reported at its commit only


async def test_an_unreachable_repository_is_one_error_line_and_exit_1(
    remote: Remote, repo_config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    remote.bare.rename(remote.bare.with_name("gone.git"))
    assert await sync_cli(repo_config_file) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"error: could not sync: cannot clone {remote.url}: ")
    assert err.endswith("; keeping the events already imported\n") and err.count("\n") == 1


async def test_without_events_repo_it_exits_2_naming_the_key(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await sync_cli(config_file) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"error: {config_file}: events_repo is not set; add events_repo.url (the group's git repository of "
        "event files) to sync from it, or use `meetup-bot import FOLDER`\n"
    )


def test_as_a_process_the_synced_commit_is_stored_and_a_second_run_imports_nothing(
    remote: Remote, repo_config_file: Path
) -> None:
    sha = remote.publish({"events/a.md": event_file("A", 7), "events/b.md": event_file("B", 8)}, "Two")
    first = cli(repo_config_file, "sync")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"synced {sha[:7]} (every file compared) by Olivia Organizer")
    assert "Traceback" not in first.stderr
    second = cli(repo_config_file, "sync")
    assert (second.returncode, second.stdout) == (0, f"already at {sha[:7]}: nothing changed\n")
    with sqlite3.connect(repo_config_file.parent / "meetup.db") as db:
        assert db.execute("SELECT [commit], recheck FROM repo_syncs").fetchall() == [(sha, 0)]
        assert db.execute("SELECT count(*) FROM events").fetchone() == (2,)
