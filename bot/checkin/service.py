"""Checking members, walk-ins and guests in (and undoing it); which event a check-in is for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalog import queries
from bot.db.models import CheckIn, Event, EventGroup, Rsvp
from bot.errors import UserError
from bot.when import plural, when_text

# Check-in is open from an hour before an event starts until it ends: what "the event now" means for
# `/checkin member:|guests:` without `event:`, for self check-in codes and for /attendance. An organizer
# who names an event with `event:` may still check in to it outside that window (a late correction).
OPENS_BEFORE = timedelta(hours=1)
ATTENDING = ("going", "maybe", "waitlist")


def window(event: Event) -> tuple[datetime, datetime]:
    """When check-in for `event` opens and closes."""
    return event.starts_at - OPENS_BEFORE, event.ends_at


def opens_text(event: Event, now: datetime) -> str:
    """`Check-in for **Talk** opens Wed, Jan 20, 2027 at 5:00 PM CST (an hour before the start)`."""
    opens, _ = window(event)
    when = when_text(opens, event.timezone, now)
    return f"Check-in for **{event.title}** opens {when} (an hour before the start)"


class NoCurrentEvent(UserError):
    """No event of the group is open for check-in; says which one is next and when it opens."""

    def __init__(self, group: str, upcoming: Event | None, now: datetime) -> None:
        self.upcoming = upcoming
        if upcoming is None:
            message = (
                f"No {group} event is open for check-in now, and none is coming up: check-in opens an hour "
                "before an event starts and closes when it ends. Name a past event with the `event:` option."
            )
        else:
            message = (
                f"{opens_text(upcoming, now)}; no {group} event is open for check-in now. "
                "To use another event, name it with the `event:` option."
            )
        super().__init__(message)


@dataclass(frozen=True)
class CheckInResult:
    user_id: int
    name: str
    kind: str  # "member" or "walk_in"
    already: bool  # they were checked in before: nothing changed
    event_title: str


def _hosted_by(group: str) -> Select[int]:
    return select(EventGroup.event_id).where(EventGroup.group_name == group)


def _checkable(group: str) -> Select[Event]:
    """The group's events one may check in to at some time: not cancelled, file not removed."""
    return select(Event).where(
        Event.id.in_(_hosted_by(group)), Event.cancelled.is_(False), Event.removed_at.is_(None)
    )


async def open_events(session: AsyncSession, group: str, now: datetime) -> Sequence[Event]:
    """The group's events open for check-in at `now` (running, or starting within the hour), soonest first."""
    query = (
        _checkable(group)
        .where(Event.starts_at <= now + OPENS_BEFORE, Event.ends_at > now)
        .order_by(Event.starts_at, Event.id)
    )
    return (await session.scalars(query)).all()


async def next_to_open(session: AsyncSession, group: str, now: datetime) -> Event | None:
    """The group's soonest event whose check-in has not opened yet (for "check-in opens ..." answers)."""
    query = (
        _checkable(group)
        .where(Event.starts_at > now + OPENS_BEFORE)
        .order_by(Event.starts_at, Event.id)
        .limit(1)
    )
    return (await session.scalars(query)).first()


async def current_event(session: AsyncSession, group: str, now: datetime) -> Event:
    """The group's event open for check-in now (the running one, else the soonest to start within the hour).

    Outside every window: NoCurrentEvent, naming the next event and when its check-in opens.
    """
    found = await open_events(session, group, now)
    if not found:
        raise NoCurrentEvent(group, await next_to_open(session, group, now), now)
    return found[0]


async def event_for(session: AsyncSession, group: str, now: datetime, slug: str | None) -> Event:
    """The event named by `slug` (which must be the group's), or the current one."""
    if not slug or not slug.strip():
        return await current_event(session, group, now)
    event = await queries.event_by_slug(session, slug.strip())
    if group not in event.hosting_groups:
        raise UserError(f"`{slug}` is not an event of {group}. Pick one from the `event:` suggestions.")
    return event


async def _row(session: AsyncSession, event_id: int, user_id: int) -> CheckIn | None:
    query = select(CheckIn).where(CheckIn.event_id == event_id, CheckIn.user_id == user_id)
    return (await session.scalars(query)).first()


async def check_in(
    session: AsyncSession,
    event: Event,
    user_id: int,
    user_name: str,
    *,
    by: int,
    now: datetime,
    group: str | None = None,
    method: str = "organizer",
) -> CheckInResult:
    """Records that the member is here; a second check-in changes nothing and says so."""
    existing = await _row(session, event.id, user_id)
    if existing is not None:
        return CheckInResult(user_id, existing.user_name, existing.kind, True, event.title)
    rsvp = (
        await session.scalars(select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.user_id == user_id))
    ).first()
    kind = "member" if rsvp is not None and rsvp.status in ATTENDING else "walk_in"
    name = user_name or (rsvp.user_name if rsvp is not None else "") or str(user_id)
    session.add(
        CheckIn(
            event_id=event.id,
            user_id=user_id,
            user_name=name[:100],
            kind=kind,
            guests=0,
            method=method,
            group_name=group or (rsvp.group_name if rsvp is not None else None),
            checked_in_by=by,
            at=now,
        )
    )
    await session.flush()
    return CheckInResult(user_id, name, kind, False, event.title)


async def undo_check_in(session: AsyncSession, event: Event, user_id: int) -> str:
    """Removes a member's check-in; returns their name. A UserError when they were not checked in."""
    existing = await _row(session, event.id, user_id)
    if existing is None:
        raise UserError(
            f"That member is not checked in to **{event.title}**, so there is nothing to undo. "
            "Check the `member:` option."
        )
    name = existing.user_name
    await session.delete(existing)
    await session.flush()
    return name


async def guest_count(session: AsyncSession, event_id: int) -> int:
    query = select(func.coalesce(func.sum(CheckIn.guests), 0)).where(
        CheckIn.event_id == event_id, CheckIn.kind == "guests"
    )
    return int(await session.scalar(query) or 0)


async def add_guests(
    session: AsyncSession,
    event: Event,
    count: int,
    *,
    by: int,
    now: datetime,
    group: str | None = None,
) -> int:
    """Adds (or, with a negative count, takes back) guests without a Discord account; returns the new total.

    Each change is its own row, so the ledger keeps who counted whom and when.
    """
    if count == 0:
        raise UserError("`guests:` must be at least 1.")
    total = await guest_count(session, event.id)
    if total + count < 0:
        counted = f"{plural(total, 'guest')} {'is' if total == 1 else 'are'}"
        raise UserError(
            f"Only {counted} counted for **{event.title}**; `guests:` can take back at most {total}."
        )
    session.add(
        CheckIn(
            event_id=event.id,
            user_id=None,
            user_name="",
            kind="guests",
            guests=count,
            method="organizer",
            group_name=group,
            checked_in_by=by,
            at=now,
        )
    )
    await session.flush()
    return total + count


@dataclass(frozen=True)
class Candidate:
    user_id: int
    name: str
    status: str


async def candidates(session: AsyncSession, event_id: int, text: str, limit: int = 25) -> list[Candidate]:
    """RSVP'd members (going, maybe, waitlist) not yet checked in whose name contains `text`.

    One indexed query: names starting with the text first, then the rest, alphabetically.
    """
    needle = text.strip().lower()
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    name = func.lower(Rsvp.user_name)
    checked = exists().where(and_(CheckIn.event_id == Rsvp.event_id, CheckIn.user_id == Rsvp.user_id))
    query = select(Rsvp.user_id, Rsvp.user_name, Rsvp.status).where(
        Rsvp.event_id == event_id, Rsvp.status.in_(ATTENDING), ~checked
    )
    if needle:
        query = query.where(name.like(f"%{escaped}%", escape="\\"))
        starts = case((name.like(f"{escaped}%", escape="\\"), 0), else_=1)
        query = query.order_by(starts, name, Rsvp.user_id)
    else:
        query = query.order_by(name, Rsvp.user_id)
    rows = await session.execute(query.limit(limit))
    return [Candidate(u, n or str(u), s) for u, n, s in rows]


async def checked_in_members(session: AsyncSession, event_id: int) -> Sequence[CheckIn]:
    query = (
        select(CheckIn)
        .where(CheckIn.event_id == event_id, CheckIn.user_id.is_not(None))
        .order_by(CheckIn.at, CheckIn.id)
    )
    return (await session.scalars(query)).all()
