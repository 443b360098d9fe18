"""Importing event files into a real SQLite database: idempotent, per-file errors, nothing lost."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.catalog import queries
from bot.catalog.importer import ImportReport, import_paths
from bot.catalog.rows import event_to_json
from bot.cli.main import main
from bot.clock import ManualClock
from bot.config import Config
from bot.db.models import Event

NOW = datetime(2026, 11, 1, tzinfo=UTC)

EVENT = """\
# Testing Without Mocks
https://www.meetup.com/example/events/1/

## Meta
| | |
| --- | --- |
| **When:** | Wednesday, December 9, 2026 |
| **Where:** | [Example Hall](https://example.org/hall), |
| | 1 Main St |
| | :round_pushpin: 38.6,-90.2 |
| **Presenter:** | Ada Park, [@ada](https://example.org/@ada) |
| **Hosting Group:** | St. Louis Go |
| **Total RSVPs:** | StLGo: 9, KCN-STL: 14 |
| **Total Attendance:** | ??? |

## Event
* 5:30 - 6:00 Food
* 6:00 - 7:00 Talk
"""

Write = Callable[[str, str], Path]
Sessions = async_sessionmaker[AsyncSession]


async def run_import(sessions: Sessions, config: Config, *paths: Path) -> ImportReport:
    async with sessions.begin() as session:
        return await import_paths(session, list(paths) or [config.events_dir], config.parse_options(), NOW)


async def load(sessions: Sessions, slug: str) -> Event:
    async with sessions() as session:
        return await queries.event_by_slug(session, slug)


async def test_import_stores_every_field(sessions: Sessions, config: Config, write_event: Write) -> None:
    write_event("2026-12-09-NoMocks/README.md", EVENT)
    report = await run_import(sessions, config)
    assert report.created == ["2026-12-09-NoMocks"] and report.ok
    data = event_to_json(await load(sessions, "2026-12-09-NoMocks"))
    assert data["title"] == "Testing Without Mocks"
    assert data["starts_at"] == "2026-12-09T17:30:00-06:00"
    assert data["ends_at"] == "2026-12-09T19:00:00-06:00"
    assert data["location"] == "Example Hall, 1 Main St"
    assert data["geo"] == [38.6, -90.2]
    assert data["presenters"] == ["Ada Park"]
    assert data["hosting_groups"] == ["StLGo", "Kubernetes & Cloud Native STL"]
    assert data["reported"] == {"membership": None, "rsvps": 23, "attendance": None}
    assert data["reported_by_group"]["rsvps"] == {"StLGo": 9, "Kubernetes & Cloud Native STL": 14}
    assert [item["title"] for item in data["agenda"]] == ["Food", "Talk"]
    assert data["links"] == ["https://www.meetup.com/example/events/1/"]
    assert data["source"].endswith("2026-12-09-NoMocks/README.md")


async def test_reimport_is_idempotent_and_a_change_keeps_identity(
    sessions: Sessions, config: Config, write_event: Write
) -> None:
    path = write_event("2026-12-09-NoMocks/README.md", EVENT)
    await run_import(sessions, config)
    first = await load(sessions, "2026-12-09-NoMocks")

    again = await run_import(sessions, config)
    assert again.unchanged == ["2026-12-09-NoMocks"] and not again.created and not again.updated
    assert (await load(sessions, "2026-12-09-NoMocks")).updated_at == first.updated_at

    path.write_text(path.read_text().replace("Ada Park", "Grace Lee").replace("St. Louis Go", "KCN-STL"))
    changed = await run_import(sessions, config)
    assert changed.updated == ["2026-12-09-NoMocks"]
    second = await load(sessions, "2026-12-09-NoMocks")
    assert second.id == first.id
    assert second.presenters == ["Grace Lee"]
    assert second.hosting_groups == ["Kubernetes & Cloud Native STL", "StLGo"]
    async with sessions() as session:
        assert len((await session.scalars(select(Event))).all()) == 1


async def test_a_broken_file_leaves_its_event_and_the_others_alone(
    sessions: Sessions, config: Config, write_event: Write
) -> None:
    path = write_event("2026-12-09-NoMocks/README.md", EVENT)
    write_event("other.md", EVENT.replace("Testing Without Mocks", "Other Talk"))
    await run_import(sessions, config)

    path.write_text(EVENT.replace("Wednesday, December 9, 2026", "Someday soon"))
    write_event("other.md", EVENT.replace("Testing Without Mocks", "Other Talk, renamed"))
    report = await run_import(sessions, config)
    assert len(report.errors) == 1
    error = str(report.errors[0])
    assert error.startswith(f"{path}:7: ") and "Someday soon" in error
    assert report.updated == ["other"]
    kept = await load(sessions, "2026-12-09-NoMocks")
    assert kept.title == "Testing Without Mocks" and kept.starts_at == datetime(
        2026, 12, 9, 23, 30, tzinfo=UTC
    )


async def test_bad_files_each_get_a_clear_error(
    sessions: Sessions, config: Config, write_event: Write
) -> None:
    write_event("good.md", EVENT)
    binary = config.events_dir / "binary.md"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    huge = config.events_dir / "huge.md"
    huge.write_text(EVENT + ("filler text " * 450_000))
    no_date = write_event("nodate.md", EVENT.replace("| **When:** | Wednesday, December 9, 2026 |\n", ""))
    bad_time = write_event("badtime.md", EVENT.replace("* 5:30 - 6:00 Food", "* 25:99 - 6:00 Food"))
    report = await run_import(sessions, config)
    assert report.created == ["good"]
    messages = {Path(e.path).name: e.message for e in report.errors}
    assert set(messages) == {"binary.md", "huge.md", "nodate.md", "badtime.md"}
    assert "binary" in messages["binary.md"] or "UTF-8" in messages["binary.md"]
    assert "MiB" in messages["huge.md"]
    assert "When" in messages["nodate.md"]
    assert "25:99" in messages["badtime.md"]
    assert all(e.path in (str(binary), str(huge), str(no_date), str(bad_time)) for e in report.errors)


async def test_unreadable_file_is_an_error_not_a_crash(
    sessions: Sessions, config: Config, write_event: Write
) -> None:
    write_event("good.md", EVENT)
    locked = write_event("locked.md", EVENT)
    locked.chmod(0)
    dangling = config.events_dir / "dangling.md"
    dangling.symlink_to(config.events_dir / "gone.md")
    try:
        report = await run_import(sessions, config, config.events_dir, dangling)
    finally:
        locked.chmod(0o644)
    failed = {Path(e.path).name for e in report.errors}
    assert "dangling.md" in failed
    if os.geteuid() != 0:  # root reads a file whatever its mode
        assert "locked.md" in failed
    assert "good" in report.created


async def test_index_page_is_skipped_with_a_notice(
    sessions: Sessions, config: Config, write_event: Write
) -> None:
    write_event("README.md", "# Our events\n\nOne folder per event.\n")
    report = await run_import(sessions, config)
    assert report.ok and not report.created
    assert len(report.skipped) == 1 and "skipped" in str(report.skipped[0])


async def test_two_files_with_one_slug(sessions: Sessions, config: Config, write_event: Write) -> None:
    write_event("talk/README.md", EVENT)
    write_event("talk.md", EVENT.replace("Testing Without Mocks", "Impostor"))
    report = await run_import(sessions, config)
    assert report.created == ["talk"]
    assert len(report.errors) == 1 and "slug 'talk' is already used by" in report.errors[0].message
    assert (await load(sessions, "talk")).title == "Testing Without Mocks"


async def test_yaml_event(sessions: Sessions, config: Config, write_event: Write) -> None:
    write_event(
        "yaml-night.yaml",
        """
        title: YAML Night
        when: 2026-12-02
        time: "6:00pm - 8:00pm"
        where: Example Hall, 1 Main St
        presenters: [Ada Park, Grace Lee]
        hosting_groups: [KCN-STL]
        capacity: 30
        """,
    )
    report = await run_import(sessions, config)
    assert report.created == ["yaml-night"], report.errors
    event = await load(sessions, "yaml-night")
    assert event.hosting_groups == ["Kubernetes & Cloud Native STL"]
    assert event.capacity == 30
    assert event.starts_at == datetime(2026, 12, 3, 0, 0, tzinfo=UTC)


async def test_upcoming_and_next_event(sessions: Sessions, config: Config, write_event: Write) -> None:
    write_event("a.md", EVENT)
    write_event(
        "b.md", EVENT.replace("December 9, 2026", "November 12, 2026").replace("Wednesday", "Thursday")
    )
    write_event("old.md", EVENT.replace("December 9, 2026", "October 7, 2026"))
    write_event(
        "kcn.md",
        EVENT.replace("St. Louis Go", "KCN-STL").replace(
            "| **Total RSVPs:** | StLGo: 9, KCN-STL: 14 |\n", ""
        ),
    )
    await run_import(sessions, config)
    async with sessions() as session:
        upcoming = [e.slug for e in await queries.upcoming_events(session, NOW)]
        assert upcoming == ["b", "a", "kcn"]
        nxt = await queries.next_event(session, NOW, group="Kubernetes & Cloud Native STL")
        assert nxt is not None and nxt.slug == "b"  # b is co-hosted through its per-group counts
        only_kcn = await queries.upcoming_events(
            session, NOW, group="Kubernetes & Cloud Native STL", offset=1
        )
        assert [e.slug for e in only_kcn] == ["a", "kcn"]


# ---------------------------------------------------------------- the `import` command, as an organizer runs it

KNOWN = "StLGo (St. Louis Go), Kubernetes & Cloud Native STL (KCN-STL)"
FIX = "fix the name or add it to groups[].aliases in config.yaml"


def day_after(days: int) -> str:
    """A `When:` value `days` after NOW, as files write it."""
    day = (NOW + timedelta(days=days)).astimezone(ZoneInfo("America/Chicago"))
    return f"{day:%A, %B} {day.day}, {day.year}"


def a_meetup(title: str, group: str, days: int = 30) -> str:
    return (
        f"# {title}\n\n## Meta\n| | |\n| --- | --- |\n| **When:** | {day_after(days)} |\n"
        f"| **Where:** | Example Hall |\n| **Hosting Group:** | {group} |\n"
    )


def meetup_bot(config_file: Path, *args: str) -> int:
    return main(["--config", str(config_file), *args], ManualClock(NOW))


def stored(config_file: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(config_file.parent / "meetup.db") as connection:
        return connection.execute(query).fetchall()


def test_import_warns_with_path_and_line_about_a_hosting_group_the_config_does_not_know(
    config_file: Path, write_event: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    typo = write_event("typo.md", a_meetup("Typo Night", "NoSuchGroup"))
    yaml = write_event(
        "typo-yaml.yaml",
        f"title: YAML Typo\nwhen: {(NOW + timedelta(days=30)).date()}\nhosting_groups:\n  - NoSuchGroup\n",
    )
    # a co-host that is not on Discord beside a configured group is normal: no warning
    write_event("cohost.md", a_meetup("Co-hosted", "StLGo, Grafana & Friends"))
    assert meetup_bot(config_file, "import", str(typo.parent)) == 0  # a warning, not a failure
    err = capsys.readouterr().err
    assert (
        f'warning: {typo}:8: Hosting Group "NoSuchGroup" is not a configured group; known: {KNOWN}; {FIX}'
        in err
    )
    assert (
        f'warning: {yaml}:4: hosting_groups: "NoSuchGroup" is not a configured group; known: {KNOWN}' in err
    )
    assert "Grafana" not in err
    rows = stored(config_file, "SELECT slug, group_name FROM events JOIN event_groups ON event_id = id")
    assert ("typo", "NoSuchGroup") in rows  # stored all the same; `schedule` says it will not be posted


def test_import_prints_each_problem_once_and_logs_it_at_debug_only(
    config_file: Path, write_event: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = write_event("broken.md", "# Broken\n\n## Meta\n| | |\n| --- | --- |\n| **Where:** | Online |\n")
    assert meetup_bot(config_file, "import", str(broken.parent)) == 1
    err = capsys.readouterr().err
    assert err.count(f"{broken}") == 1 and f"error: {broken}" in err
    assert "WARNING" not in err
    assert meetup_bot(config_file, "--verbose", "import", str(broken.parent)) == 1
    assert "DEBUG" in capsys.readouterr().err  # still in the log, for whoever asks for detail


def test_import_of_a_folder_marks_events_whose_files_are_gone_as_removed(
    config_file: Path, write_event: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = config_file.parent / "events"
    kept = write_event("kept.md", a_meetup("Kept", "StLGo"))
    gone = write_event("gone.md", a_meetup("Gone", "StLGo"))
    old = write_event("old.md", a_meetup("Old", "StLGo", days=-30))
    relative = write_event("relative.md", a_meetup("Relative", "StLGo"))
    # 3 of 7 files go below: a normal edit (more than half at once would look like a broken folder)
    for n in range(3):
        write_event(f"more-{n}.md", a_meetup(f"More {n}", "StLGo", days=40 + n))
    assert meetup_bot(config_file, "import", str(folder)) == 0
    # a row from before sources were stored absolute: relative to where `import` ran (the config's folder)
    with sqlite3.connect(config_file.parent / "meetup.db") as connection:
        connection.execute("UPDATE events SET source = 'events/relative.md' WHERE slug = 'relative'")
    capsys.readouterr()
    for path in (gone, old, relative):
        path.unlink()

    assert meetup_bot(config_file, "import", str(kept)) == 0  # a file alone says nothing about the others
    assert "removed" not in capsys.readouterr().out
    assert stored(config_file, "SELECT slug FROM events WHERE removed_at IS NOT NULL") == []

    assert meetup_bot(config_file, "import", str(folder)) == 0
    out = capsys.readouterr().out
    assert (
        f"removed from {folder}: gone, relative (a cancellation will be posted); "
        "old (already past: nothing is posted)"
    ) in out
    removed = stored(config_file, "SELECT slug FROM events WHERE removed_at IS NOT NULL ORDER BY slug")
    assert removed == [("gone",), ("old",), ("relative",)]  # marked, never deleted

    write_event("gone.md", a_meetup("Gone", "StLGo"))  # it came back
    assert meetup_bot(config_file, "import", str(folder)) == 0
    assert "removed from" not in capsys.readouterr().out
    assert stored(config_file, "SELECT slug FROM events WHERE removed_at IS NOT NULL ORDER BY slug") == [
        ("old",),
        ("relative",),
    ]
