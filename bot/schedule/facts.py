"""Loading what planning needs from the database, lightly: plain columns, no ORM objects."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Event, EventGroup
from bot.schedule.plan import EventFacts, agenda_slots

_COLUMNS = (
    Event.id,
    Event.slug,
    Event.title,
    Event.starts_at,
    Event.ends_at,
    Event.timezone,
    Event.online,
    Event.location,
    Event.stream_url,
    Event.agenda,
    Event.created_at,
    Event.content_hash,
    Event.cancelled,
    Event.removed_at,
)


def facts_of(event: Event) -> EventFacts:
    """An ORM row as planning input."""
    return _facts(
        (
            event.id,
            event.slug,
            event.title,
            event.starts_at,
            event.ends_at,
            event.timezone,
            event.online,
            event.location,
            event.stream_url,
            event.agenda,
            event.created_at,
            event.content_hash,
            event.cancelled,
            event.removed_at,
        ),
        tuple(event.hosting_groups),
    )


def _facts(row: Sequence[Any], groups: tuple[str, ...]) -> EventFacts:
    (
        eid,
        slug,
        title,
        starts,
        ends,
        zone,
        online,
        location,
        stream,
        agenda,
        created,
        digest,
        cancelled,
        removed,
    ) = row
    return EventFacts(
        id=eid,
        slug=slug,
        title=title,
        starts_at=starts,
        ends_at=ends,
        timezone=zone,
        online=bool(online),
        location=location or "",
        stream_url=stream,
        agenda=agenda_slots(agenda or []),
        groups=groups,
        known_since=created,
        content_hash=digest,
        cancelled=bool(cancelled),
        removed=removed is not None,
    )


async def upcoming_facts(
    session: AsyncSession, now: datetime, event_ids: Sequence[int] | None = None
) -> list[EventFacts]:
    """Events that have not ended yet (or the given ones), with their hosting groups."""
    query = select(*_COLUMNS).order_by(Event.starts_at)
    rows: list[Any] = []
    if event_ids is None:
        rows = list(await session.execute(query.where(Event.ends_at > now)))
    else:
        ids = list(event_ids)
        for start in range(0, len(ids), 500):
            rows.extend(await session.execute(query.where(Event.id.in_(ids[start : start + 500]))))
    groups: dict[int, list[str]] = defaultdict(list)
    wanted = [row[0] for row in rows]
    for start in range(0, len(wanted), 500):
        result = await session.execute(
            select(EventGroup.event_id, EventGroup.group_name)
            .where(EventGroup.event_id.in_(wanted[start : start + 500]))
            .order_by(EventGroup.event_id, EventGroup.position)
        )
        for event_id, name in result:
            groups[event_id].append(name)
    return [_facts(row, tuple(groups[row[0]])) for row in rows]
