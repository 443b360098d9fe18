"""The bot's own write-back: the morning after each event, its totals go into its file as a commit.

With `events_repo` set, each periodic pass calls `write_back_due`. An event is due once it has ended and
the morning after has come (09:00 in the event's zone, the day after it ended), for a week after its end
(so switching this on never rewrites old history). Each due event is claimed in the database (a
`writebacks` row: one process, once, across restarts), written back with the usual rules (never lowering a
figure: no force here), committed alone in the clone, and pushed when `events_repo.push` is on.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.catalog.sources import source_file
from bot.checkin.writeback import LABELS, Kept, NothingRecorded, WriteBackError, recorded_totals
from bot.clock import Clock
from bot.config import Config, EventsRepoConfig
from bot.db.models import Event, Writeback
from bot.repo.commit import (
    OutsideClone,
    PushReport,
    Written,
    ahead,
    in_clone,
    push_pending,
    write_and_commit,
)
from bot.repo.git import GitError, repo_lock

MORNING_AFTER = time(9, 0)  # local time in the event's zone, the day after it ended
WINDOW = timedelta(days=7)  # events that ended longer ago than this are left alone
CLAIM_LEASE = timedelta(minutes=15)  # a claim older than this was left by a process that died: taken over
CLAIMED, DONE = "claimed", "done"

log = logging.getLogger(__name__)


def morning_after(event: Event) -> datetime:
    """When the bot writes an event's totals back: MORNING_AFTER on the day after it ended, in its zone."""
    zone = ZoneInfo(event.timezone)
    day = event.ends_at.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(day, MORNING_AFTER, tzinfo=zone)


async def _candidates(session: AsyncSession, now: datetime) -> list[Event]:
    """Ended events of the last WINDOW nobody has written back or is writing back (a stale claim counts
    as nobody); the morning-after test, which depends on each event's zone, is left to the caller."""
    open_claim = and_(Writeback.state == CLAIMED, Writeback.claimed_at < now - CLAIM_LEASE)
    query = (
        select(Event)
        .outerjoin(Writeback, Writeback.event_id == Event.id)
        .where(
            Event.ends_at <= now,
            Event.ends_at > now - WINDOW,
            Event.cancelled.is_(False),
            Event.removed_at.is_(None),
            or_(Writeback.event_id.is_(None), open_claim),
        )
        .order_by(Event.ends_at, Event.id)
    )
    return list(await session.scalars(query))


async def _claim(
    sessions: async_sessionmaker[AsyncSession], event_id: int, token: str, now: datetime
) -> bool:
    """Claims the event for this pass: a new row, or a claim whose lease ran out; False when another
    process has it or it is done."""
    try:
        async with sessions.begin() as session:
            session.add(Writeback(event_id=event_id, state=CLAIMED, claim_token=token, claimed_at=now))
        return True
    except IntegrityError:
        pass
    async with sessions.begin() as session:
        result: Any = await session.execute(
            update(Writeback)
            .where(
                Writeback.event_id == event_id,
                Writeback.state == CLAIMED,
                Writeback.claimed_at < now - CLAIM_LEASE,
            )
            .values(claim_token=token, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))


async def _finish(
    sessions: async_sessionmaker[AsyncSession],
    event_id: int,
    token: str,
    now: datetime,
    commit: str | None,
    outcome: str,
) -> None:
    async with sessions.begin() as session:
        await session.execute(
            update(Writeback)
            .where(Writeback.event_id == event_id, Writeback.claim_token == token)
            .values(state=DONE, done_at=now, commit=commit, outcome=outcome)
            .execution_options(synchronize_session=False)
        )


def _kept(kept: list[Kept], slug: str) -> str:
    return "".join(
        f"; kept {k.label} {k.written} (the bot recorded {k.recorded}; "
        f"`meetup-bot export markdown {slug} --write --force --commit` replaces it)"
        for k in kept
    )


def _written_line(name: str, relative: str, written: Written, slug: str) -> str:
    kept = _kept(written.merged.kept, slug)
    if written.commit is None:
        return f"{name}: {relative} already holds the totals; nothing committed{kept}"
    subject = written.message.splitlines()[0]
    figures = subject.split(": ", 1)[1] if ": " in subject else "the totals"
    return f"{name}: wrote {figures} into {relative}, commit {written.commit[:7]}{kept}"


async def _write_back_one(
    config: Config,
    repo: EventsRepoConfig,
    sessions: async_sessionmaker[AsyncSession],
    event_id: int,
    now: datetime,
) -> tuple[str, str | None] | None:
    """(the line for the organizers, the commit made) for one claimed event; None if it is gone."""
    async with sessions() as session:
        event = await session.get(Event, event_id)
        if event is None:
            return None
        name = f"{' '.join(event.title.split())} ({event.slug})"
        slug = event.slug
        try:
            values = await recorded_totals(session, event, now)
        except NothingRecorded:
            return f"{name}: the bot recorded no RSVPs or check-ins; nothing written back", None
        title, source = event.title, event.source
    path = source_file(source, config.events_dir)
    retry = f"`meetup-bot export markdown {slug} --write --commit` writes it back"
    try:
        relative = in_clone(repo, path)
        written = await write_and_commit(
            repo, path, values, config.parse_options().canonical_group, title=title, slug=slug
        )
    except OutsideClone as error:
        return f"{name}: not written back: {error.message}", None
    except FileNotFoundError:
        return f"{name}: not written back: {path} is not in the clone (sync, then {retry})", None
    except WriteBackError as error:
        return f"{name}: not written back: {relative}: {error}; once it has one, {retry}", None
    except (OSError, UnicodeDecodeError) as error:
        return f"{name}: not written back: {relative} cannot be read or written ({error}); {retry}", None
    except GitError as error:
        return f"{name}: not written back: {error.message}; the file was put back; {retry}", None
    log.info("write-back of %s: %s", slug, ", ".join(LABELS[k] for k in values))
    return _written_line(name, relative, written, slug), written.commit


async def write_back_due(
    config: Config, sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> list[str]:
    """Writes back, commits (and pushes) the totals of every event whose morning after has come and
    that nobody wrote back yet; returns one line per event for the organizers' log channel (plus one
    for the push). Also pushes totals commits an earlier pass could not push (a retry that fails again
    is logged, not returned, so the channel hears about it once). Nothing without `events_repo`, or
    before the bot has its clone."""
    repo = config.events_repo
    if repo is None or not (repo.clone_dir / ".git").exists():
        return []
    now = clock.now()
    async with sessions() as session:
        due = [e.id for e in await _candidates(session, now) if morning_after(e) <= now]
    if not due and not (repo.push and await ahead(repo)):
        return []
    token = secrets.token_hex(16)
    lines: list[str] = []
    commits = 0
    async with repo_lock(repo.clone_dir):
        for event_id in due:
            if not await _claim(sessions, event_id, token, now):
                continue
            done = await _write_back_one(config, repo, sessions, event_id, now)
            line, commit = done if done is not None else ("", None)
            await _finish(sessions, event_id, token, now, commit, line)
            if line:
                lines.append(line)
            commits += commit is not None
        if repo.push:
            try:
                report = await push_pending(repo)
            except GitError as error:  # the clone itself is broken
                report = PushReport("failed", f"cannot push from {repo.clone_dir}: {error.message}")
            if commits or report.state == "pushed":
                lines.extend([report.line] if report.line else [])
            elif report.line:
                log.warning("totals commits not pushed yet: %s", report.line)
    return lines
