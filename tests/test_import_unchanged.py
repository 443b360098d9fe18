"""Re-importing: files whose text is what the stored event was made from are not parsed again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import bot.catalog.importer as importer
from bot.catalog import queries
from bot.catalog.importer import ImportReport, import_paths, parse_paths
from bot.catalog.rows import event_to_json
from bot.config import Config

NOW = datetime(2026, 11, 1, tzinfo=UTC)

EVENT = """\
# Testing Without Mocks

## Meta
| | |
| --- | --- |
| **When:** | Wednesday, December 9, 2026 |
| **Where:** | Example Hall |
| **Snacks:** | pizza |
| **Total RSVPs:** | StLGo: 9, KCN-STL: 14 |

## Event
* 5:30 - 6:00 Food &amp; drinks
* 6:00 - 7:00 Talk
"""

Write = Callable[[str, str], Path]
Sessions = async_sessionmaker[AsyncSession]


async def run_import(sessions: Sessions, config: Config) -> ImportReport:
    async with sessions.begin() as session:
        return await import_paths(session, [config.events_dir], config.parse_options(), NOW)


async def test_unchanged_files_keep_their_warnings_and_changed_ones_update(
    sessions: Sessions, config: Config, write_event: Write
) -> None:
    path = write_event("2026-12-09-NoMocks/README.md", EVENT)
    first = await run_import(sessions, config)
    assert first.created == ["2026-12-09-NoMocks"] and len(first.warnings) == 1
    assert first.warnings[0].startswith(f'{path}:8: Meta: unknown key "Snacks"')

    again = await run_import(
        sessions, config
    )  # skipped before parsing: see test_parse_paths_with_stored_hashes
    assert again.unchanged == ["2026-12-09-NoMocks"] and again.ok
    assert not again.created and not again.updated
    assert again.warnings == first.warnings

    path.write_text(EVENT.replace("Testing Without Mocks", "Testing, Changed"))
    changed = await run_import(sessions, config)
    assert changed.updated == ["2026-12-09-NoMocks"] and not changed.unchanged
    async with sessions() as session:
        data = event_to_json(await queries.event_by_slug(session, "2026-12-09-NoMocks"))
    assert data["title"] == "Testing, Changed"
    assert [item["title"] for item in data["agenda"]] == ["Food & drinks", "Talk"]
    assert data["reported_by_group"] == {"rsvps": {"StLGo": 9, "Kubernetes & Cloud Native STL": 14}}
    assert data["starts_at"] == "2026-12-09T17:30:00-06:00"


async def test_an_unchanged_file_still_claims_its_slug(
    sessions: Sessions, config: Config, write_event: Write
) -> None:
    write_event("talk/README.md", EVENT)
    first = await run_import(sessions, config)
    write_event("talk.md", EVENT)  # sorted after talk/: the second claim on the slug "talk"
    report = await run_import(sessions, config)
    assert first.created == ["talk"] and report.unchanged == ["talk"]
    assert [str(e) for e in report.errors] == [
        f"{config.events_dir / 'talk.md'}: slug 'talk' is already used by "
        f"{config.events_dir / 'talk' / 'README.md'}; rename one of the two files"
    ]


def test_parse_paths_with_stored_hashes(config: Config, write_event: Write) -> None:
    write_event("a/README.md", EVENT)
    write_event("b/README.md", EVENT.replace("Testing Without Mocks", "Another"))
    options = config.parse_options()
    batch = parse_paths([config.events_dir], options)
    stored = {e.slug: e.row["content_hash"] for e in batch.events if e.slug == "a"}
    again = parse_paths([config.events_dir], options, stored=stored)
    assert [(u.slug, u.source) for u in again.unchanged] == [
        ("a", str(config.events_dir / "a" / "README.md"))
    ]
    assert [e.slug for e in again.events] == ["b"]
    assert [getattr(item, "slug", None) for item in again.accepted] == ["a", "b"]


def test_parallel_parsing_gives_what_serial_parsing_gives(
    config: Config, write_event: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "PARALLEL_FROM", 2)
    monkeypatch.setattr(importer, "_PARSE_CHUNK", 2)
    for n in range(5):
        write_event(f"2026-12-0{n + 1}-Talk/README.md", EVENT.replace("Mocks", f"Mocks {n}"))
    write_event("README.md", "# Index\n\n* [a talk](2026-12-01-Talk/)\n")
    write_event("broken.md", EVENT.replace("Wednesday, December 9, 2026", "Someday"))
    options = config.parse_options()
    serial = parse_paths([config.events_dir], options, workers=1)
    parallel = parse_paths([config.events_dir], options, workers=2)
    assert [(e.row, e.groups, e.warnings) for e in parallel.events] == [
        (e.row, e.groups, e.warnings) for e in serial.events
    ]
    assert [str(e) for e in parallel.errors] == [str(e) for e in serial.errors] != []
    assert [str(s) for s in parallel.skipped] == [str(s) for s in serial.skipped] != []

    stored = {e.slug: e.row["content_hash"] for e in serial.events[::2]}
    again = parse_paths([config.events_dir], options, workers=2, stored=stored)
    assert [u.slug for u in again.unchanged] == list(stored)
    assert [e.slug for e in again.events] == [e.slug for e in serial.events[1::2]]


async def test_a_parallel_import_stores_chunk_by_chunk(
    sessions: Sessions, config: Config, write_event: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "PARALLEL_FROM", 2)
    monkeypatch.setattr(importer, "_PARSE_CHUNK", 2)
    slugs = [f"2026-12-0{n + 1}-Talk" for n in range(5)]
    for n, slug in enumerate(slugs):
        write_event(f"{slug}/README.md", EVENT.replace("Mocks", f"Mocks {n}"))
    write_event("README.md", "# Index\n")
    write_event("broken.md", EVENT.replace("Wednesday, December 9, 2026", "Someday"))
    first = await run_import(sessions, config)
    assert first.created == slugs and len(first.errors) == 1 and len(first.skipped) == 1
    assert len(first.warnings) == 5

    write_event(f"{slugs[3]}/README.md", EVENT.replace("Mocks", "Mocks, again"))
    again = await run_import(sessions, config)
    assert again.updated == [slugs[3]] and again.unchanged == slugs[:3] + slugs[4:]
    assert len(again.warnings) == 5 and len(again.errors) == 1
    async with sessions() as session:
        assert (await queries.event_by_slug(session, slugs[3])).title == "Testing Without Mocks, again"
