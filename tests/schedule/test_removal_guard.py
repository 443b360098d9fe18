"""A folder that lost its files must not mass-cancel: `mark_removed` refuses when events_dir is missing,
unreadable, empty, or lost more than `removal_guard` allows at once; a few removed files still count, and
`meetup-bot import` prints the one loud line. Real files, a real migrated SQLite database."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.catalog.importer import import_paths
from bot.catalog.removal import EMPTY, MISSING, TOO_MANY, UNREADABLE, RemovalResult, mark_removed
from bot.cli.main import main
from bot.clock import ManualClock
from bot.config import Config, ConfigError, RemovalGuardConfig, load_config
from bot.db.models import Event
from tests.conftest import BASE_CONFIG
from tests.factories import NOW

Write = Callable[[str, str], Path]


def meetup(title: str, days: int) -> str:
    day = (NOW + timedelta(days=days)).astimezone(ZoneInfo("America/Chicago"))
    return (
        f"# {title}\n\n## Meta\n| | |\n| --- | --- |\n| **When:** | {day:%A, %B} {day.day}, {day.year} |\n"
        "| **Where:** | Example Hall |\n| **Hosting Group:** | StLGo |\n"
    )


def four_events(write_event: Write) -> list[Path]:
    """Three upcoming events and a past one, as a real folder holds them."""
    return [
        write_event("a.md", meetup("A", 3)),
        write_event("b.md", meetup("B", 4)),
        write_event("c.md", meetup("C", 5)),
        write_event("old.md", meetup("Old", -30)),
    ]


async def import_and_mark(
    sessions: async_sessionmaker[AsyncSession], config: Config, guard: RemovalGuardConfig | None = None
) -> RemovalResult:
    async with sessions.begin() as session:
        if config.events_dir.is_dir():
            await import_paths(session, [config.events_dir], config.parse_options(), NOW)
        return await mark_removed(session, config.events_dir, NOW, guard=guard or config.removal_guard)


async def removed_slugs(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        found = await session.scalars(
            select(Event.slug).where(Event.removed_at.is_not(None)).order_by(Event.slug)
        )
        return list(found)


async def test_an_emptied_folder_marks_nothing_removed(
    config: Config, sessions: async_sessionmaker[AsyncSession], write_event: Write
) -> None:
    files = four_events(write_event)
    assert (await import_and_mark(sessions, config)).refused is None
    for path in files:
        path.unlink()
    (config.events_dir / "notes.txt").write_text("not an event file")  # what a half-mounted folder may hold
    result = await import_and_mark(sessions, config)
    assert result.refused is not None and result.refused.reason == EMPTY
    assert (result.refused.vanished, result.refused.held) == (4, 4)
    assert result.removed == []
    assert await removed_slugs(sessions) == []


async def test_a_missing_or_unreadable_folder_marks_nothing_removed(
    config: Config, sessions: async_sessionmaker[AsyncSession], write_event: Write
) -> None:
    four_events(write_event)
    await import_and_mark(sessions, config)
    folder = config.events_dir
    moved = folder.with_name("events-elsewhere")
    folder.rename(moved)  # a late mount: the folder is not there yet
    result = await import_and_mark(sessions, config)
    assert result.refused is not None and result.refused.reason == MISSING
    assert await removed_slugs(sessions) == []
    moved.rename(folder)
    if os.geteuid() != 0:  # root reads any folder whatever its mode
        folder.chmod(0)
        try:
            async with sessions.begin() as session:
                result = await mark_removed(session, folder, NOW, guard=config.removal_guard)
        finally:
            folder.chmod(0o755)
        assert result.refused is not None and result.refused.reason == UNREADABLE
        assert await removed_slugs(sessions) == []


async def test_losing_three_of_four_files_at_once_is_refused_but_one_of_four_is_a_removal(
    config: Config, sessions: async_sessionmaker[AsyncSession], write_event: Write
) -> None:
    a, b, c, _old = four_events(write_event)
    await import_and_mark(sessions, config)
    for path in (a, b, c):
        path.unlink()
    result = await import_and_mark(sessions, config)
    assert result.refused is not None and result.refused.reason == TOO_MANY
    assert (result.refused.vanished, result.refused.held) == (3, 4)
    assert sorted(result.refused.slugs) == ["a", "b", "c"]
    assert await removed_slugs(sessions) == []

    # organizers who did mean it raise the share: then the same files are removals
    result = await import_and_mark(sessions, config, RemovalGuardConfig(max_share=0.8))
    assert result.refused is None
    assert sorted(r.slug for r in result.removed) == ["a", "b", "c"]
    assert await removed_slugs(sessions) == ["a", "b", "c"]


async def test_one_of_four_then_two_of_the_three_left_are_removals(
    config: Config, sessions: async_sessionmaker[AsyncSession], write_event: Write
) -> None:
    a, _b, _c, _old = four_events(write_event)
    await import_and_mark(sessions, config)
    a.unlink()
    result = await import_and_mark(sessions, config)
    assert result.refused is None and [r.slug for r in result.removed] == ["a"]
    # two more go later, one at a time against what is left: each pass is a normal edit
    (config.events_dir / "b.md").unlink()
    (config.events_dir / "c.md").unlink()
    result = await import_and_mark(sessions, config)  # 2 of the 3 left: under min_files (3)
    assert result.refused is None and sorted(r.slug for r in result.removed) == ["b", "c"]
    assert await removed_slugs(sessions) == ["a", "b", "c"]


async def test_a_file_that_comes_back_is_restored_even_while_the_folder_looks_broken(
    config: Config, sessions: async_sessionmaker[AsyncSession], write_event: Write
) -> None:
    a, b, c, old = four_events(write_event)
    await import_and_mark(sessions, config)
    a.unlink()
    await import_and_mark(sessions, config)
    saved = {p: p.read_text() for p in (b, c, old)}
    for path in (b, c, old):
        path.unlink()
    a.write_text(meetup("A", 3))  # a comes back while the others vanished
    result = await import_and_mark(sessions, config)
    assert result.restored == ["a"] and result.refused is not None
    assert await removed_slugs(sessions) == []
    for path, text in saved.items():
        path.write_text(text)


def test_removal_guard_is_validated_like_the_other_keys(tmp_path: Path) -> None:
    (tmp_path / "events").mkdir()
    path = tmp_path / "config.yaml"
    path.write_text(BASE_CONFIG + "removal_guard:\n  max_share: 1.5\n  min_files: 0\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ={})
    problems = raised.value.problems
    assert any(p.startswith("config.yaml: removal_guard.max_share: ") for p in problems), problems
    assert any(p.startswith("config.yaml: removal_guard.min_files: ") for p in problems), problems
    path.write_text(BASE_CONFIG + "removal_guard:\n  max_share: 0.9\n")
    assert load_config(path, environ={}).removal_guard == RemovalGuardConfig(max_share=0.9, min_files=3)


def test_import_prints_the_guard_line_and_cancels_nothing(
    config_file: Path, write_event: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = config_file.parent / "events"
    four_events(write_event)
    assert main(["--config", str(config_file), "import", str(folder)], ManualClock(NOW)) == 0
    capsys.readouterr()
    for name in ("a.md", "b.md", "c.md"):
        (folder / name).unlink()
    assert main(["--config", str(config_file), "import", str(folder)], ManualClock(NOW)) == 0
    out, err = capsys.readouterr()
    (line,) = [x for x in err.splitlines() if x.startswith("warning: ")]
    assert line == (
        f"warning: {folder} lost 3 of its 4 event files at once, more than removal_guard.max_share (50%) allows: "
        "events are kept; nothing was cancelled. Put the files back, or if they were removed on purpose raise "
        "removal_guard.max_share (or removal_guard.min_files) in the config"
    )
    assert "removed from" not in out

    shutil.rmtree(folder)
    folder.mkdir()  # emptied: a checkout being replaced
    assert main(["--config", str(config_file), "import", str(folder)], ManualClock(NOW)) == 0
    err = capsys.readouterr().err
    assert (
        f"warning: {folder} holds no event files (4 of 4 vanished): events are kept; nothing was cancelled"
        in err
    )
