"""Attendance figures of one event, overall and per hosting group; and the group's history for charts.

No-shows are going RSVPs not checked in, and the show-up rate is checked-in going RSVPs over going RSVPs:
both only once the event is over. Before its end a going member who is not in yet may still come, so the
figures say nothing about them rather than count them as absent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CheckIn, Event, EventGroup, Rsvp


@dataclass
class Figures:
    going: int = 0
    maybe: int = 0
    waitlist: int = 0
    checked_in: int = 0  # members with an RSVP (going, maybe or waitlist) who came
    walk_ins: int = 0
    guests: int = 0
    going_came: int = 0
    ended: bool = False  # the event is over: whoever is not in by then did not come
    answered: int = 0  # RSVP rows of any status, not going included: whether the bot took RSVPs at all

    @property
    def present(self) -> int:
        return self.checked_in + self.walk_ins + self.guests

    @property
    def no_shows(self) -> int | None:
        """Going RSVPs who did not come; None until the event's end (they may still arrive)."""
        return self.going - self.going_came if self.ended else None

    @property
    def show_up_rate(self) -> float | None:
        """Checked-in going RSVPs over going RSVPs; None until the event's end, or without going RSVPs."""
        return self.going_came / self.going if self.ended and self.going else None


@dataclass
class Attendance:
    event_id: int
    total: Figures
    by_group: dict[str, Figures] = field(default_factory=dict)
    reported_rsvps: int | None = None
    reported_attendance: int | None = None

    @property
    def recorded(self) -> bool:
        """Whether anybody was checked in (otherwise only the imported figures say anything)."""
        return self.total.present > 0


async def attendance(session: AsyncSession, event: Event, now: datetime) -> Attendance:
    """The event's figures as they stand at `now` (no-shows and the show-up rate only after its end)."""
    rsvps = (
        await session.execute(
            select(Rsvp.user_id, Rsvp.status, Rsvp.group_name).where(Rsvp.event_id == event.id)
        )
    ).all()
    checks = (
        await session.execute(
            select(CheckIn.user_id, CheckIn.kind, CheckIn.guests, CheckIn.group_name).where(
                CheckIn.event_id == event.id
            )
        )
    ).all()
    default_group = event.hosting_groups[0] if event.hosting_groups else None
    ended = now >= event.ends_at
    total = Figures(ended=ended)
    groups = {g: Figures(ended=ended) for g in event.hosting_groups}

    def targets(group: str | None) -> list[Figures]:
        group = group or default_group
        return [total] + ([groups[group]] if group in groups else [])

    came = {user_id for user_id, kind, _, _ in checks if user_id is not None and kind == "member"}
    for user_id, status, group in rsvps:
        for figures in targets(group):
            figures.answered += 1
            if status == "going":
                figures.going += 1
                if user_id in came:
                    figures.going_came += 1
            elif status == "maybe":
                figures.maybe += 1
            elif status == "waitlist":
                figures.waitlist += 1
    for _user_id, kind, guests, group in checks:
        for figures in targets(group):
            if kind == "member":
                figures.checked_in += 1
            elif kind == "walk_in":
                figures.walk_ins += 1
            else:
                figures.guests += guests
    return Attendance(
        event.id,
        total,
        groups,
        reported_rsvps=event.reported_rsvps,
        reported_attendance=event.reported_attendance,
    )


@dataclass(frozen=True)
class HistoryPoint:
    """One past event's numbers: recorded (RSVPs and check-ins) where there are any, else imported."""

    event_id: int
    slug: str
    starts_at: datetime
    rsvps: int | None
    attendance: int | None
    recorded: bool


async def history(session: AsyncSession, group: str | None, before: datetime) -> list[HistoryPoint]:
    """Events that ended before `before`, oldest first, with their RSVP and attendance figures."""
    query = select(Event).where(Event.ends_at <= before, Event.cancelled.is_(False))
    if group is not None:
        hosted = select(EventGroup.event_id).where(EventGroup.group_name == group)
        query = query.where(Event.id.in_(hosted))
    events: Sequence[Event] = (await session.scalars(query.order_by(Event.starts_at))).all()
    ids = [e.id for e in events]
    going: dict[int, int] = dict(
        (
            await session.execute(
                select(Rsvp.event_id, func.count())
                .where(Rsvp.event_id.in_(ids), Rsvp.status == "going")
                .group_by(Rsvp.event_id)
            )
        ).all()
    )
    present: dict[int, int] = dict(
        (
            await session.execute(
                select(
                    CheckIn.event_id,
                    func.sum(func.coalesce(func.nullif(CheckIn.guests, 0), 1)),
                )
                .where(CheckIn.event_id.in_(ids))
                .group_by(CheckIn.event_id)
            )
        ).all()
    )
    points = []
    for e in events:
        if e.id in present:
            points.append(
                HistoryPoint(e.id, e.slug, e.starts_at, going.get(e.id, 0), int(present[e.id]), True)
            )
        else:
            points.append(
                HistoryPoint(e.id, e.slug, e.starts_at, e.reported_rsvps, e.reported_attendance, False)
            )
    return points
