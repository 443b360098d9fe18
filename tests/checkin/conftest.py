"""Check-in fixtures: events and RSVPs inserted straight into a real, migrated SQLite file."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Event, EventGroup, Rsvp

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
STLGO = "StLGo"
KCN = "Kubernetes & Cloud Native STL"


async def insert_event(
    sessions: async_sessionmaker[AsyncSession],
    slug: str,
    *,
    starts_at: datetime = NOW + timedelta(hours=1),
    groups: Sequence[str] = (STLGO,),
    title: str | None = None,
    reported_rsvps: int | None = None,
    reported_attendance: int | None = None,
    source: str | None = None,
) -> int:
    async with sessions.begin() as session:
        event = Event(
            slug=slug,
            title=title or f"Talk {slug}",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            timezone="America/Chicago",
            source=source or f"{slug}.md",
            content_hash="0" * 64,
            reported_rsvps=reported_rsvps,
            reported_attendance=reported_attendance,
            created_at=NOW,
            updated_at=NOW,
            groups=[EventGroup(group_name=g, position=i) for i, g in enumerate(groups)],
        )
        session.add(event)
        await session.flush()
        return event.id


async def add_rsvps(
    sessions: async_sessionmaker[AsyncSession],
    event_id: int,
    answers: Sequence[tuple[int, str, str]],
    group: str | None = STLGO,
) -> None:
    """(user_id, name, status) rows, as the RSVP engine stores them."""
    async with sessions.begin() as session:
        for seq, (user_id, name, status) in enumerate(answers):
            session.add(
                Rsvp(
                    event_id=event_id,
                    user_id=user_id,
                    user_name=name,
                    status=status,
                    group_name=group,
                    queued_at=NOW,
                    updated_at=NOW,
                    queue_seq=seq,
                )
            )
