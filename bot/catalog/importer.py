"""Import event files into the database: idempotent, one batched transaction, one bad file stops nothing."""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalog.files import iter_event_files
from bot.catalog.prepared import Outcome, PreparedEvent, load_all, prepare
from bot.catalog.record import EventFileError, EventRecord, NotAnEvent, ParseOptions
from bot.db.models import Event, EventGroup

log = logging.getLogger(__name__)

_CHUNK = 500
# below this many files a process pool costs more than it saves
PARALLEL_FROM = 1000  # ids per IN (...) query: well under SQLite's and PostgreSQL's parameter limits


@dataclass
class ImportReport:
    """What an import did, slug by slug, and every file it could not use."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[NotAnEvent] = field(default_factory=list)
    errors: list[EventFileError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (
            f"imported {len(self.created)} new, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged; {len(self.skipped)} skipped, {len(self.errors)} failed"
        )


@dataclass
class ParsedBatch:
    events: list[PreparedEvent] = field(default_factory=list)
    skipped: list[NotAnEvent] = field(default_factory=list)
    errors: list[EventFileError] = field(default_factory=list)


def _load_parallel(files: list[Path], options: ParseOptions, workers: int) -> list[Outcome]:
    """Parsing is CPU-bound pure Python: big imports use every core, in file order."""
    size = -(-len(files) // workers)
    chunks = [files[i : i + size] for i in range(0, len(files), size)]
    # forkserver: workers start from a clean process, not a fork of this one and its database threads
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=len(chunks), mp_context=context) as pool:
        return [outcome for chunk in pool.map(load_all, chunks, [options] * len(chunks)) for outcome in chunk]


def parse_paths(paths: Iterable[Path], options: ParseOptions, *, workers: int | None = None) -> ParsedBatch:
    """Parse every event file under `paths`; a slug claimed by two files is an error for the second."""
    files = list(iter_event_files(paths))
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers > 1 and len(files) >= PARALLEL_FROM:
        outcomes = _load_parallel(files, options, workers)
    else:
        outcomes = load_all(files, options)
    batch = ParsedBatch()
    sources: dict[str, str] = {}
    for outcome in outcomes:
        if isinstance(outcome, NotAnEvent):
            batch.skipped.append(outcome)
            continue
        if isinstance(outcome, EventFileError):
            batch.errors.append(outcome)
            continue
        first = sources.setdefault(outcome.slug, outcome.source)
        if first != outcome.source:
            message = f"slug {outcome.slug!r} is already used by {first}; rename one of the two files"
            batch.errors.append(EventFileError(outcome.source, None, message))
            continue
        batch.events.append(outcome)
    return batch


async def store_records(session: AsyncSession, records: Sequence[EventRecord], now: datetime) -> ImportReport:
    """Insert new events and update changed ones in the session's transaction; unchanged rows are untouched."""
    return await store_events(session, [prepare(record) for record in records], now)


async def store_events(session: AsyncSession, events: Sequence[PreparedEvent], now: datetime) -> ImportReport:
    """`store_records` for events already prepared (by the parsing workers)."""
    report = ImportReport()
    rows = {event.slug: (event.row, event.groups) for event in events}
    existing: dict[str, tuple[int, str]] = {}
    slugs = list(rows)
    for start in range(0, len(slugs), _CHUNK):
        chunk = slugs[start : start + _CHUNK]
        result = await session.execute(
            select(Event.slug, Event.id, Event.content_hash).where(Event.slug.in_(chunk))
        )
        existing.update({slug: (event_id, digest) for slug, event_id, digest in result})

    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    for slug, (row, _groups) in rows.items():
        if slug not in existing:
            new_rows.append({**row, "created_at": now, "updated_at": now})
            report.created.append(slug)
        elif existing[slug][1] != row["content_hash"]:
            changed_rows.append({**row, "id": existing[slug][0], "updated_at": now})
            report.updated.append(slug)
        else:
            report.unchanged.append(slug)

    # Core executemany (no ORM bookkeeping, no RETURNING): one prepared statement for the whole batch.
    connection = await session.connection()
    ids: dict[str, int] = {}
    if new_rows:
        await connection.execute(insert(Event.__table__), new_rows)
        ids.update(await _ids_by_slug(session, [row["slug"] for row in new_rows]))
    if changed_rows:
        await connection.execute(
            update(Event.__table__).where(Event.__table__.c.id == bindparam("_id")),
            [{**row, "_id": row["id"]} for row in changed_rows],
        )
        changed_ids = [row["id"] for row in changed_rows]
        for start in range(0, len(changed_ids), _CHUNK):
            chunk_ids = changed_ids[start : start + _CHUNK]
            await connection.execute(delete(EventGroup.__table__).where(EventGroup.event_id.in_(chunk_ids)))
        ids.update({row["slug"]: row["id"] for row in changed_rows})

    group_rows = [
        {"event_id": ids[slug], "group_name": name, "position": position}
        for slug in (*report.created, *report.updated)
        for position, name in enumerate(rows[slug][1])
    ]
    if group_rows:
        await connection.execute(insert(EventGroup.__table__), group_rows)
    return report


async def _ids_by_slug(session: AsyncSession, slugs: list[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for start in range(0, len(slugs), _CHUNK):
        result = await session.execute(
            select(Event.slug, Event.id).where(Event.slug.in_(slugs[start : start + _CHUNK]))
        )
        ids.update({slug: event_id for slug, event_id in result})
    return ids


async def import_paths(
    session: AsyncSession, paths: Iterable[Path], options: ParseOptions, now: datetime
) -> ImportReport:
    """Parse and store; the caller's session commits (one transaction for the whole batch)."""
    batch = parse_paths(paths, options)
    report = await store_events(session, batch.events, now)
    report.skipped = batch.skipped
    report.errors = batch.errors
    report.warnings = [f"{e.source}: {w}" for e in batch.events for w in e.row["warnings"]]
    for notice in batch.skipped:
        log.info("%s", notice)
    for error in batch.errors:
        log.warning("%s", error)
    return report
