"""Events whose file left an imported folder: marked removed (never deleted), so the bot can post a cancellation."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalog.sources import source_file
from bot.db.models import Event

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Removed:
    """An event newly marked removed; `upcoming` when it has not started (so a cancellation can follow)."""

    slug: str
    upcoming: bool


def _under(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder)
    except (ValueError, OSError):
        return False
    return True


async def mark_removed(
    session: AsyncSession, folder: Path, now: datetime, *, events_dir: Path | None = None
) -> list[Removed]:
    """Set `removed_at` on events imported from under `folder` whose file is gone; clear it if it came back.

    Stored sources are resolved with `source_file` against `events_dir` (default: `folder`), never against
    the current directory: older rows hold paths relative to wherever `import` ran. Events imported from
    elsewhere are left alone. Returns the events newly marked removed.
    """
    folder = folder.resolve()
    base = events_dir or folder
    removed: list[Removed] = []
    rows = await session.execute(
        select(Event.id, Event.slug, Event.source, Event.removed_at, Event.starts_at)
    )
    for event_id, slug, source, removed_at, starts_at in rows.all():
        path = source_file(source, base)
        if not _under(path, folder):
            continue
        exists = path.exists()
        if not exists and removed_at is None:
            event = await session.get(Event, event_id)
            if event is not None:
                event.removed_at = now
                removed.append(Removed(slug, starts_at > now))
                log.debug("%s: its file %s is gone from %s; marked removed", slug, path, folder)
        elif exists and removed_at is not None:
            event = await session.get(Event, event_id)
            if event is not None:
                event.removed_at = None
    return removed


def removal_line(folder: Path | str, removed: list[Removed]) -> str:
    """What the CLI and the bot's log say about events whose files are gone (one line)."""
    upcoming = [r.slug for r in removed if r.upcoming]
    past = [r.slug for r in removed if not r.upcoming]
    parts = []
    if upcoming:
        parts.append(f"{', '.join(upcoming)} (a cancellation will be posted)")
    if past:
        parts.append(f"{', '.join(past)} (already past: nothing is posted)")
    return f"removed from {folder}: {'; '.join(parts)}"
