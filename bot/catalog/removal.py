"""Events whose file left events_dir: marked removed (never deleted), so the bot can post a cancellation."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Event

log = logging.getLogger(__name__)


def _under(source: str, folder: Path) -> Path | None:
    path = Path(source)
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return None
    return path


async def mark_removed(session: AsyncSession, events_dir: Path, now: datetime) -> list[str]:
    """Set `removed_at` on events imported from events_dir whose file is gone; clear it if it came back.

    Returns the slugs newly marked removed. Events imported from elsewhere are left alone.
    """
    removed: list[str] = []
    rows = await session.execute(select(Event.id, Event.slug, Event.source, Event.removed_at))
    for event_id, slug, source, removed_at in rows:
        path = _under(source, events_dir)
        if path is None:
            continue
        exists = path.exists()
        if not exists and removed_at is None:
            event = await session.get(Event, event_id)
            if event is not None:
                event.removed_at = now
                removed.append(slug)
                log.info("%s: its file %s is gone from %s; marked removed", slug, source, events_dir)
        elif exists and removed_at is not None:
            event = await session.get(Event, event_id)
            if event is not None:
                event.removed_at = None
    return removed
