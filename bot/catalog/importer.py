"""Import event files into the database: idempotent, one batched transaction, one bad file stops nothing."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import re
import traceback
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain, islice
from pathlib import Path
from typing import Any, cast

from sqlalchemy import JSON, Column, DateTime, MetaData, Table, bindparam, delete, insert, select, update
from sqlalchemy.exc import InterfaceError, OperationalError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeEngine

from bot.catalog.files import iter_event_files, slug_for
from bot.catalog.prepared import JSON_COLUMNS, Outcome, PreparedEvent, Unchanged, load_all, prepare
from bot.catalog.record import EventFileError, EventRecord, NotAnEvent, ParseOptions, unexpected_error
from bot.db.models import Event, EventGroup
from bot.db.transactions import begin_immediate
from bot.db.types import JSONText, UTCDateTime

log = logging.getLogger(__name__)

_CHUNK = 500  # ids per IN (...) query: well under SQLite's and PostgreSQL's parameter limits
# below this many files a process pool costs more than it saves
PARALLEL_FROM = 1000
_PARSE_CHUNK = 250  # files per worker task: small enough to spread evenly and to overlap with the walk


def _bind_type(column: Column[Any]) -> TypeEngine[Any]:
    if isinstance(column.type, UTCDateTime):
        return DateTime(timezone=False)
    if isinstance(column.type, JSON) and column.name in JSON_COLUMNS:
        return JSONText()
    return column.type


_EVENT_GROUPS = cast(Table, EventGroup.__table__)

# The `events` table as the importer writes it: the same table and SQL, but bound with the values a
# PreparedEvent holds (JSON text, naive UTC times), so binding 10,000 rows encodes nothing again.
_EVENTS = Table(
    Event.__tablename__,
    MetaData(),
    *(Column(c.name, _bind_type(c), primary_key=c.primary_key) for c in cast(Table, Event.__table__).columns),
)


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
    """The files under the given paths: events to store, unchanged ones (not parsed), skips and errors."""

    events: list[PreparedEvent] = field(default_factory=list)
    skipped: list[NotAnEvent] = field(default_factory=list)
    errors: list[EventFileError] = field(default_factory=list)
    # files whose text hashes like the stored event (only with `stored`): not parsed, nothing to write
    unchanged: list[Unchanged] = field(default_factory=list)
    # `events` and `unchanged` together, in file order
    accepted: list[PreparedEvent | Unchanged] = field(default_factory=list)
    # slug -> (stored source, source as given) of the file that claimed it first
    _sources: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)

    def add(self, outcomes: list[Outcome]) -> list[PreparedEvent]:
        """Sort loaded files (in file order) into the batch; returns the events among them to store."""
        events: list[PreparedEvent] = []
        for outcome in outcomes:
            if isinstance(outcome, NotAnEvent):
                self.skipped.append(outcome)
                continue
            if isinstance(outcome, EventFileError):
                self.errors.append(outcome)
                continue
            # sources compare in their stored form: `events/`, `./events` and the absolute path name one file
            first = self._sources.setdefault(outcome.slug, (outcome.stored, outcome.source))
            if first != (outcome.stored, outcome.source):
                if first[0] == outcome.stored:  # the same file again, under another spelling
                    continue
                message = f"slug {outcome.slug!r} is already used by {first[1]}; rename one of the two files"
                self.errors.append(EventFileError(outcome.source, None, message))
                continue
            if isinstance(outcome, Unchanged):
                self.unchanged.append(outcome)
            else:
                events.append(outcome)
            self.accepted.append(outcome)
        self.events.extend(events)
        return events

    def refuse(self, errors: list[EventFileError]) -> None:
        """Files whose rows the database refused: errors now, no longer accepted events."""
        self.errors.extend(errors)
        failed = {error.path for error in errors}
        self.events = [e for e in self.events if e.source not in failed]
        self.accepted = [a for a in self.accepted if a.source not in failed]


@contextmanager
def _loading(
    paths: Iterable[Path], options: ParseOptions, workers: int | None, stored: Mapping[str, str] | None
) -> Iterator[list[Future[list[Outcome]]]]:
    """The files under `paths`, loaded: futures of their outcomes, chunk by chunk in file order.

    Parsing is CPU-bound pure Python: big imports use every core. Files go to the workers in chunks
    while the folder is still being walked, so that starting the workers, walking, parsing, receiving
    the results (and, in `import_paths`, storing them) overlap.
    """
    found = iter_event_files(paths)
    files = list(islice(found, PARALLEL_FROM))
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(files) < PARALLEL_FROM:
        files.extend(found)
        done: Future[list[Outcome]] = Future()
        done.set_result(load_all(files, options, stored))
        yield [done]
        return
    context = multiprocessing.get_context("forkserver")
    # forkserver: workers start from a clean process, not a fork of this one and its database threads;
    # the server imports the (SQLAlchemy-free) parser once, so that each worker starts with it
    context.set_forkserver_preload([load_all.__module__])
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        try:
            yield [
                # each worker gets the stored hashes of its own files only
                pool.submit(load_all, chunk, options, _stored_for(chunk, stored) if stored else None)
                for chunk in _chunks(chain(files, found), _PARSE_CHUNK)
            ]
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _chunks(items: Iterable[Path], size: int) -> Iterator[list[Path]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _stored_for(files: list[Path], stored: Mapping[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in files:
        slug = slug_for(path)
        digest = stored.get(slug)
        if digest is not None:
            found[slug] = digest
    return found


def parse_paths(
    paths: Iterable[Path],
    options: ParseOptions,
    *,
    workers: int | None = None,
    stored: Mapping[str, str] | None = None,
) -> ParsedBatch:
    """Parse every event file under `paths`; a slug claimed by two files is an error for the second.

    `stored` ({slug: content hash} of what the database holds) lets unchanged files skip parsing: they
    come back in `unchanged` instead of `events`.
    """
    batch = ParsedBatch()
    with _loading(paths, options, workers, stored) as chunks:
        for chunk in chunks:
            batch.add(chunk.result())
    return batch


async def store_records(session: AsyncSession, records: Sequence[EventRecord], now: datetime) -> ImportReport:
    """Insert new events and update changed ones in the session's transaction; unchanged rows are untouched."""
    return await store_events(session, [prepare(record) for record in records], now)


async def store_events(session: AsyncSession, events: Sequence[PreparedEvent], now: datetime) -> ImportReport:
    """`store_records` for events already prepared (by the parsing workers)."""
    report = ImportReport()
    now = now.astimezone(UTC).replace(tzinfo=None)  # rows are bound as naive UTC (see _EVENTS)
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
        await connection.execute(insert(_EVENTS), new_rows)
        ids.update(await _ids_by_slug(session, [row["slug"] for row in new_rows]))
    if changed_rows:
        await connection.execute(
            update(_EVENTS).where(_EVENTS.c.id == bindparam("_id")),
            [{**row, "_id": row["id"]} for row in changed_rows],
        )
        changed_ids = [row["id"] for row in changed_rows]
        for start in range(0, len(changed_ids), _CHUNK):
            chunk_ids = changed_ids[start : start + _CHUNK]
            await connection.execute(delete(_EVENT_GROUPS).where(EventGroup.event_id.in_(chunk_ids)))
        ids.update({row["slug"]: row["id"] for row in changed_rows})

    group_rows = [
        {"event_id": ids[slug], "group_name": name, "position": position}
        for slug in (*report.created, *report.updated)
        for position, name in enumerate(rows[slug][1])
    ]
    if group_rows:
        await connection.execute(insert(_EVENT_GROUPS), group_rows)
    return report


def _row_fault(exc: Exception) -> bool:
    """Whether the database refused the values of a row (the file's doing), not the database itself:
    a lost connection or a lock stays the whole import's problem."""
    if isinstance(exc, OperationalError | InterfaceError):
        return False
    return isinstance(exc, StatementError | ValueError | TypeError | ArithmeticError | UnicodeError)


def _storing_error(event: PreparedEvent, exc: Exception) -> EventFileError:
    shown = exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc
    error = unexpected_error(event.source, shown, "could not be stored in the database")
    error.detail = "".join(traceback.format_exception(exc))
    return error


async def store_isolated(
    session: AsyncSession, events: Sequence[PreparedEvent], now: datetime
) -> tuple[ImportReport, list[EventFileError]]:
    """`store_events`, such that a row the database refuses fails its own file only.

    The batch is written in a savepoint; if the database refuses it, the savepoint is rolled back and
    each event is written in a savepoint of its own, so the refused ones are reported as errors (with
    the traceback at DEBUG) and leave their stored events as they were. A failed statement must not
    abort the transaction for the other files (PostgreSQL refuses every later statement otherwise).
    """
    await begin_immediate(session)  # so the savepoints below nest in the import's one transaction
    try:
        async with session.begin_nested():
            return await store_events(session, events, now), []
    except Exception as exc:
        if not _row_fault(exc):
            raise
        if len(events) == 1:
            return ImportReport(), [_storing_error(events[0], exc)]
    report = ImportReport()
    errors: list[EventFileError] = []
    for event in events:
        try:
            async with session.begin_nested():
                one = await store_events(session, [event], now)
        except Exception as exc:
            if not _row_fault(exc):
                raise
            errors.append(_storing_error(event, exc))
            continue
        report.created += one.created
        report.updated += one.updated
        report.unchanged += one.unchanged
    return report, errors


async def _ids_by_slug(session: AsyncSession, slugs: list[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for start in range(0, len(slugs), _CHUNK):
        result = await session.execute(
            select(Event.slug, Event.id).where(Event.slug.in_(slugs[start : start + _CHUNK]))
        )
        ids.update({slug: event_id for slug, event_id in result})
    return ids


async def _refresh_sources(
    session: AsyncSession, unchanged: Sequence[Unchanged], sources: Mapping[str, str]
) -> None:
    """An unchanged file keeps its row, but the row must say where the file is now: older rows hold paths
    relative to wherever `import` ran, and a moved checkout leaves absolute ones stale."""
    moved = [
        {"_slug": item.slug, "source": item.stored}
        for item in unchanged
        if sources.get(item.slug) != item.stored
    ]
    if moved:
        connection = await session.connection()
        await connection.execute(update(_EVENTS).where(_EVENTS.c.slug == bindparam("_slug")), moved)


async def _stored_warnings(session: AsyncSession, slugs: list[str]) -> dict[str, list[str]]:
    """The warnings stored with these events (an unchanged file still reports its warnings)."""
    found: dict[str, list[str]] = {}
    for start in range(0, len(slugs), _CHUNK):
        result = await session.execute(
            select(Event.slug, Event.warnings).where(Event.slug.in_(slugs[start : start + _CHUNK]))
        )
        found.update({slug: warnings for slug, warnings in result})
    return found


async def import_paths(
    session: AsyncSession, paths: Iterable[Path], options: ParseOptions, now: datetime
) -> ImportReport:
    """Parse and store; the caller's session commits (one transaction for the whole batch).

    Files whose text is what the stored event was made from are not parsed again.
    """
    rows = (await session.execute(select(Event.slug, Event.content_hash, Event.source))).all()
    stored = {slug: digest for slug, digest, _source in rows}
    batch = ParsedBatch()
    report = ImportReport()
    with _loading(paths, options, None, stored) as chunks:
        for chunk in chunks:
            # each chunk is stored as soon as it is parsed, while the workers parse the next ones
            events = batch.add(await asyncio.wrap_future(chunk))
            if events:
                stored_chunk, refused = await store_isolated(session, events, now)
                report.created += stored_chunk.created
                report.updated += stored_chunk.updated
                report.unchanged += stored_chunk.unchanged
                if refused:
                    batch.refuse(refused)
    await _refresh_sources(session, batch.unchanged, {slug: source for slug, _digest, source in rows})
    report.unchanged = [item.slug for item in batch.unchanged] + report.unchanged
    report.skipped = batch.skipped
    report.errors = batch.errors
    kept = await _stored_warnings(session, [item.slug for item in batch.unchanged])
    report.warnings = [
        located(item.source, w)
        for item in batch.accepted
        for w in (item.warnings if isinstance(item, PreparedEvent) else kept.get(item.slug, []))
    ]
    # debug only: the caller reports them (the CLI prints `error:` lines, the running bot logs new ones),
    # so that each problem is shown once
    for notice in batch.skipped:
        log.debug("%s", notice)
    for error in batch.errors:
        log.debug("%s", error)
        if error.detail:
            log.debug("%s: what went wrong:\n%s", error.path, error.detail)
    return report


_LINE = re.compile(r"line (?P<line>\d+): ")


def located(source: str, warning: str) -> str:
    """A stored warning ("line 7: ...") as the report shows it: `path:7: ...`, like errors."""
    found = _LINE.match(warning)
    if found is None:
        return f"{source}: {warning}"
    return f"{source}:{found['line']}: {warning[found.end() :]}"
