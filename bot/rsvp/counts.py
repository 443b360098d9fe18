"""RSVP figures of an event, in total and per hosting group."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Rsvp

STATUSES = ("going", "maybe", "not_going", "waitlist")


@dataclass
class RsvpCounts:
    going: int = 0
    maybe: int = 0
    not_going: int = 0
    waitlist: int = 0
    by_group: dict[str, dict[str, int]] = field(default_factory=dict)


async def rsvp_counts(session: AsyncSession, event_id: int) -> RsvpCounts:
    """Counts by status; a member counts once, in the group whose announcement they answered."""
    rows = await session.execute(
        select(Rsvp.status, Rsvp.group_name, func.count())
        .where(Rsvp.event_id == event_id)
        .group_by(Rsvp.status, Rsvp.group_name)
    )
    counts = RsvpCounts()
    by_group: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    for status, group, n in rows:
        if status in STATUSES:
            setattr(counts, status, getattr(counts, status) + n)
            if group is not None:
                by_group[group][status] += n
    counts.by_group = dict(by_group)
    return counts
