"""Rows written straight into a real, migrated database, for tests of the core that do not need event files."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Event, EventGroup

# The tests' "now": every test injects a clock at (or relative to) this moment and builds its events relative
# to it, so no test depends on today's date (`make test-dates` runs the suite with the real clock moved).
# A Tuesday noon in America/Chicago, weeks from either DST change.
NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


async def insert_event(
    sessions: async_sessionmaker[AsyncSession],
    slug: str,
    *,
    starts_at: datetime,
    groups: Sequence[str] = ("StLGo",),
    title: str | None = None,
    source: str | None = None,
    **columns: Any,
) -> int:
    """A two-hour event in America/Chicago hosted by `groups`; other `events` columns as keywords."""
    async with sessions.begin() as session:
        event = Event(
            slug=slug,
            title=title or f"Talk {slug}",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            timezone="America/Chicago",
            source=source or f"{slug}.md",
            content_hash="0" * 64,
            created_at=NOW,
            updated_at=NOW,
            groups=[EventGroup(group_name=g, position=i) for i, g in enumerate(groups)],
            **columns,
        )
        session.add(event)
        await session.flush()
        return event.id
