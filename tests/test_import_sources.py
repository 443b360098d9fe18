"""Where an imported event's file is: stored absolute, so every later command finds it from any folder."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.catalog import queries
from bot.catalog.importer import import_paths
from bot.checkin import service
from bot.cli.main import main
from bot.clock import ManualClock
from bot.config import Config
from bot.db.models import Event
from tests.checkin.conftest import add_rsvps
from tests.factories import NOW
from tests.test_cli import cli

WEEK_AGO = NOW - timedelta(days=7)
PAGE = f"""\
# Past Talk

## Meta
| | |
| --- | --- |
| **When:** | {WEEK_AGO:%A, %B} {WEEK_AGO.day}, {WEEK_AGO.year} |
| **Time:** | 6:00pm - 8:00pm |
| **Total RSVPs:** | ??? |

## Presentation
Text.
"""
SLUG = "past-talk"


async def _source(sessions: async_sessionmaker[AsyncSession]) -> str:
    async with sessions() as session:
        return (await queries.event_by_slug(session, SLUG)).source


async def _export(config_file: Path, *flags: str) -> int:
    """`export markdown SLUG` in this process (so that it takes the test's clock), in a thread."""
    argv = ["--config", str(config_file), "export", "markdown", SLUG, *flags]
    return await asyncio.to_thread(main, argv, ManualClock(NOW))


async def test_import_from_the_project_root_then_export_from_anywhere(
    config_file: Path,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    events = config_file.parent / "events"
    page = events / SLUG / "README.md"
    page.parent.mkdir()
    page.write_text(PAGE)
    first = cli(config_file, "import", "events/")  # as the README says, from the config's folder
    assert first.returncode == 0, first.stderr
    assert "imported 1 new, 0 updated, 0 unchanged; 0 skipped, 0 failed" in first.stdout
    assert await _source(sessions) == str(page.resolve())
    # the same folder spelled otherwise, even twice in one run: the same file, unchanged, not a duplicate
    again = cli(config_file, "import", "./events", str(events), str(page))
    assert again.returncode == 0, again.stderr
    assert "imported 0 new, 0 updated, 1 unchanged; 0 skipped, 0 failed" in again.stdout
    assert "already used" not in again.stderr

    async with sessions.begin() as session:
        event = await queries.event_by_slug(session, SLUG)
        event_id = event.id
        await service.check_in(session, event, 7, "Walk", by=9, now=WEEK_AGO)
    await add_rsvps(sessions, event_id, [(1, "Alice", "going"), (2, "Bob", "going")])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert await _export(config_file, "--write") == 0
    out, err = capsys.readouterr()
    assert out == f"{page.resolve()}: updated\n", err
    assert page.read_text() == PAGE.replace(
        "| **Total RSVPs:** | ??? |\n", "| **Total RSVPs:** | 2 |\n| **Total Attendance:** | 1 |\n"
    )


async def test_rows_with_relative_sources_still_work_and_are_made_absolute(
    config: Config,
    config_file: Path,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    page = config.events_dir / SLUG / "README.md"
    page.parent.mkdir()
    page.write_text(PAGE)
    monkeypatch.chdir(config_file.parent)
    async with sessions.begin() as session:
        await import_paths(session, [Path("events")], config.parse_options(), NOW)
        # what imports stored before sources were absolute: the path relative to where `import` ran
        await session.execute(
            update(Event).where(Event.slug == SLUG).values(source=f"events/{SLUG}/README.md")
        )
        event = await queries.event_by_slug(session, SLUG)
        await service.check_in(session, event, 7, "Walk", by=9, now=WEEK_AGO)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert await _export(config_file) == 0  # printed: the file is found from another folder
    assert "| **Total Attendance:** | 1 |" in capsys.readouterr().out

    async with sessions.begin() as session:  # imported again, unchanged: the row now says where the file is
        report = await import_paths(session, [config.events_dir], config.parse_options(), NOW)
    assert report.unchanged == [SLUG] and report.ok
    assert await _source(sessions) == str(page.resolve())


def test_sources_are_resolved_through_symlinked_folders_and_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stored source is the file's resolved path however the folder was reached: a linked event
    folder, a linked README.md, a linked events folder, a relative path; also past many files of one folder."""
    from bot.catalog.prepared import PreparedEvent, Unchanged, load_all
    from bot.catalog.record import ParseOptions

    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "linked-folder").mkdir(parents=True)
    (elsewhere / "linked-folder" / "README.md").write_text(PAGE.replace("Past Talk", "Linked Folder"))
    (elsewhere / "linked-file.md").write_text(PAGE.replace("Past Talk", "Linked File"))
    events = tmp_path / "real-events"
    for slug in ("plain-a", "plain-b", "linked-file"):
        (events / slug).mkdir(parents=True)
    (events / "plain-a" / "README.md").write_text(PAGE)
    (events / "plain-b" / "README.md").write_text(PAGE.replace("Past Talk", "Plain B"))
    (events / "linked-file" / "README.md").symlink_to(elsewhere / "linked-file.md")
    (events / "linked-folder").symlink_to(elsewhere / "linked-folder")
    (tmp_path / "events").symlink_to(events)  # the folder the organizer names is itself a link
    monkeypatch.chdir(tmp_path)

    files = [
        Path("events") / slug / "README.md" for slug in ("plain-a", "linked-file", "linked-folder", "plain-b")
    ]
    expected = [str((tmp_path / path).resolve()) for path in files]
    assert expected[1] == str(elsewhere / "linked-file.md") and expected[2].startswith(str(elsewhere))

    parsed = load_all(files, ParseOptions(), None)
    assert [outcome.row["source"] for outcome in parsed if isinstance(outcome, PreparedEvent)] == expected

    hashes = {
        outcome.row["slug"]: outcome.row["content_hash"]
        for outcome in parsed
        if isinstance(outcome, PreparedEvent)
    }
    again = load_all(
        files, ParseOptions(), hashes
    )  # unchanged files are not parsed, and keep the same source
    assert [outcome.stored for outcome in again if isinstance(outcome, Unchanged)] == expected
