"""The attendance CSV writes check-in times in the event's zone, with its offset, on the evening's date."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.checkin import service
from bot.checkin.exports import attendance_csv
from bot.db.models import Event
from tests.checkin.conftest import NOW, add_rsvps, insert_event

CHICAGO = ZoneInfo("America/Chicago")


async def test_check_in_times_are_local_with_the_offset(sessions: async_sessionmaker[AsyncSession]) -> None:
    start = NOW + timedelta(hours=6)  # an evening talk: its UTC date is already the next day
    event_id = await insert_event(sessions, "evening", starts_at=start)
    await add_rsvps(sessions, event_id, [(1, "Alice", "going")])
    at = start + timedelta(minutes=35)
    async with sessions.begin() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        await service.check_in(session, event, 1, "", by=9, now=at)
        await service.add_guests(session, event, 2, by=9, now=at)
    async with sessions() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        rows = list(csv.DictReader(io.StringIO(await attendance_csv(session, event))))
    local = at.astimezone(CHICAGO)
    assert local.date() != at.date()  # the case the UTC text got wrong
    assert [r["checked_in_at"] for r in rows] == [local.isoformat(), local.isoformat()]
    assert rows[0]["checked_in_at"].startswith(f"{local.date().isoformat()}T18:35:00")
    assert rows[0]["checked_in_at"].endswith("-06:00")  # CST, the event's offset that evening
