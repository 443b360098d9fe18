"""Import event files into the database: idempotent, one batched transaction, one bad file stops nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalog.files import iter_event_files, load_event_file
from bot.catalog.record import EventFileError, EventRecord, NotAnEvent, ParseOptions
from bot.catalog.rows import record_to_row
from bot.db.models import Event, EventGroup

log = logging.getLogger(__name__)

_CHUNK = 500  # ids per IN (...) query: well under SQLite's and PostgreSQL's parameter limits


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
    records: list[EventRecord] = field(default_factory=list)
    skipped: list[NotAnEvent] = field(default_factory=list)
    errors: list[EventFileError] = field(default_factory=list)


def parse_paths(paths: Iterable[Path], options: ParseOptions) -> ParsedBatch:
    """Parse every event file under `paths`; a slug claimed by two files is an error for the second."""
    batch = ParsedBatch()
    sources: dict[str, str] = {}
    for path in iter_event_files(paths):
        try:
            record = load_event_file(path, options)
        except NotAnEvent as notice:
            batch.skipped.append(notice)
            continue
        except EventFileError as error:
            batch.errors.append(error)
            continue
        first = sources.setdefault(record.slug, record.source)
        if first != record.source:
            batch.errors.append(
                EventFileError(
                    record.source,
                    None,
                    f"slug {record.slug!r} is already used by {first}; rename one of the two files",
                )
            )
            continue
        batch.records.append(record)
    return batch


async def store_records(session: AsyncSession, records: Sequence[EventRecord], now: datetime) -> ImportReport:
    """Insert new events and update changed ones in the session's transaction; unchanged rows are untouched."""
    report = ImportReport()
    rows = {record.slug: (record_to_row(record), record.hosting_groups) for record in records}
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

    ids: dict[str, int] = {}
    if new_rows:
        result = await session.execute(
            insert(Event).returning(Event.id, Event.slug, sort_by_parameter_order=True), new_rows
        )
        ids.update({row.slug: row.id for row in result})
    if changed_rows:
        await session.execute(update(Event), changed_rows)
        changed_ids = [row["id"] for row in changed_rows]
        for start in range(0, len(changed_ids), _CHUNK):
            chunk_ids = changed_ids[start : start + _CHUNK]
            await session.execute(delete(EventGroup).where(EventGroup.event_id.in_(chunk_ids)))
        ids.update({row["slug"]: row["id"] for row in changed_rows})

    group_rows = [
        {"event_id": ids[slug], "group_name": name, "position": position}
        for slug in (*report.created, *report.updated)
        for position, name in enumerate(dict.fromkeys(rows[slug][1]))
    ]
    if group_rows:
        await session.execute(insert(EventGroup), group_rows)
    return report


async def import_paths(
    session: AsyncSession, paths: Iterable[Path], options: ParseOptions, now: datetime
) -> ImportReport:
    """Parse and store; the caller's session commits (one transaction for the whole batch)."""
    batch = parse_paths(paths, options)
    report = await store_records(session, batch.records, now)
    report.skipped = batch.skipped
    report.errors = batch.errors
    report.warnings = [f"{r.source}: {w}" for r in batch.records for w in r.warnings]
    for notice in batch.skipped:
        log.info("%s", notice)
    for error in batch.errors:
        log.warning("%s", error)
    return report
