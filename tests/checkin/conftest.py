"""Check-in fixtures: events and RSVPs inserted straight into a real, migrated SQLite file."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Rsvp
from tests import factories
from tests.factories import NOW

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
    return await factories.insert_event(
        sessions,
        slug,
        starts_at=starts_at,
        groups=groups,
        title=title,
        source=source,
        reported_rsvps=reported_rsvps,
        reported_attendance=reported_attendance,
    )


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
