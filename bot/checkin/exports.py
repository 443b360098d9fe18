"""Attendance as CSV, one row per RSVP'd member, walk-in and guest entry.

Check-in times are ISO 8601 in the event's own zone, with its offset (`2027-01-20T18:05:00-06:00`), so a
spreadsheet shows the evening's clock and the date of the evening, not UTC's.
"""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CheckIn, Event, Rsvp

COLUMNS = [
    "user_id",
    "name",
    "rsvp",
    "checked_in",
    "kind",
    "guests",
    "checked_in_at",
    "checked_in_by",
    "group",
]


async def attendance_csv(session: AsyncSession, event: Event) -> str:
    rsvps = (
        await session.scalars(select(Rsvp).where(Rsvp.event_id == event.id).order_by(Rsvp.user_name))
    ).all()
    checks = (
        await session.scalars(
            select(CheckIn).where(CheckIn.event_id == event.id).order_by(CheckIn.at, CheckIn.id)
        )
    ).all()
    by_user = {c.user_id: c for c in checks if c.user_id is not None}
    zone = ZoneInfo(event.timezone)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rsvps:
        c = by_user.pop(r.user_id, None)
        writer.writerow(
            [
                r.user_id,
                r.user_name,
                r.status,
                "yes" if c else "no",
                c.kind if c else "",
                "",
                c.at.astimezone(zone).isoformat() if c else "",
                c.checked_in_by if c else "",
                r.group_name or "",
            ]
        )
    for c in checks:
        if c.user_id is not None and c.user_id not in by_user:
            continue
        writer.writerow(
            [
                c.user_id if c.user_id is not None else "",
                c.user_name,
                "",
                "yes",
                c.kind,
                c.guests if c.kind == "guests" else "",
                c.at.astimezone(zone).isoformat(),
                c.checked_in_by,
                c.group_name or "",
            ]
        )
    return buffer.getvalue()
