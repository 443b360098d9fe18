"""Read-side questions about the catalog: which events are upcoming, which is next for a group."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Event, EventGroup
from bot.errors import UserError


class EventNotFound(UserError):
    """No event with that slug."""

    def __init__(self, slug: str) -> None:
        self.slug = slug
        super().__init__(f"No event is called `{slug}`. Use /events to see the upcoming ones.")


def _upcoming(now: datetime, group: str | None) -> Select[Event]:
    query = select(Event).where(Event.ends_at > now, Event.cancelled.is_(False))
    if group is not None:
        query = query.where(Event.id.in_(select(EventGroup.event_id).where(EventGroup.group_name == group)))
    return query.order_by(Event.starts_at, Event.slug)


async def upcoming_events(
    session: AsyncSession,
    now: datetime,
    *,
    group: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> Sequence[Event]:
    """Events not yet over (a running one counts), soonest first; cancelled ones are left out."""
    query = _upcoming(now, group).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return (await session.scalars(query)).all()


async def next_event(session: AsyncSession, now: datetime, *, group: str | None = None) -> Event | None:
    """The running or next event of `group` (or of any group)."""
    return (await session.scalars(_upcoming(now, group).limit(1))).first()


async def all_events(session: AsyncSession) -> Sequence[Event]:
    return (await session.scalars(select(Event).order_by(Event.starts_at, Event.slug))).all()


async def event_by_slug(session: AsyncSession, slug: str) -> Event:
    event = (await session.scalars(select(Event).where(Event.slug == slug))).first()
    if event is None:
        raise EventNotFound(slug)
    return event


class NotThisGroupsEvent(UserError):
    def __init__(self, slug: str, group: str) -> None:
        super().__init__(f"`{slug}` is not an event of {group}. Use /events to see this server's events.")


async def group_event_by_slug(session: AsyncSession, slug: str, group: str) -> Event:
    """The event called `slug`, if `group` hosts it: a server's commands only reach its own group's events."""
    event = await event_by_slug(session, slug.strip())
    if group not in event.hosting_groups:
        raise NotThisGroupsEvent(slug.strip(), group)
    return event


class NoUpcomingEvent(UserError):
    def __init__(self, group: str) -> None:
        super().__init__(
            f"{group} has no upcoming event yet. Organizers add one by merging its file into the events folder."
        )


async def require_next_event(session: AsyncSession, now: datetime, group: str) -> Event:
    """The running or next event of `group`; a UserError when there is none."""
    event = await next_event(session, now, group=group)
    if event is None:
        raise NoUpcomingEvent(group)
    return event


async def count_upcoming(session: AsyncSession, now: datetime, *, group: str | None = None) -> int:
    query = select(func.count()).select_from(_upcoming(now, group).subquery())
    return int((await session.scalar(query)) or 0)


async def search_events(
    session: AsyncSession, now: datetime, text: str, *, group: str | None = None, limit: int = 25
) -> Sequence[Event]:
    """Events whose title or slug contains `text` (any case): upcoming first, soonest first, then past, newest first."""
    query = select(Event)
    if group is not None:
        query = query.where(Event.id.in_(select(EventGroup.event_id).where(EventGroup.group_name == group)))
    needle = text.strip().lower()
    if needle:
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(
            or_(
                func.lower(Event.title).like(pattern, escape="\\"),
                func.lower(Event.slug).like(pattern, escape="\\"),
            )
        )
    upcoming = (Event.ends_at > now).label("upcoming")
    query = query.order_by(
        upcoming.desc(),
        case((Event.ends_at > now, Event.starts_at), else_=None).asc(),
        Event.starts_at.desc(),
    ).limit(limit)
    return (await session.scalars(query)).all()
