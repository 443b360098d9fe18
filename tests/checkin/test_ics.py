"""The iCalendar feed, read back with a real iCalendar parser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.checkin.ics import calendar
from bot.db.models import Event
from tests.checkin.conftest import NOW, insert_event

LONG = "Failure Is Not an Option: Chaos, Load Tests; and Résumés, with a very long title that must fold"


async def test_feed_parses_with_icalendar(sessions: async_sessionmaker[AsyncSession]) -> None:
    first = await insert_event(sessions, "fail", starts_at=NOW + timedelta(days=2), title=LONG)
    second = await insert_event(sessions, "gone", starts_at=NOW + timedelta(days=9), title="Gone Talk")
    async with sessions.begin() as session:
        a, b = await session.get(Event, first), await session.get(Event, second)
        assert a is not None and b is not None
        a.location = "OCI, 12140 Woodcrest Executive Dr. Ste 310; St. Louis"
        a.links = [{"text": "Meetup", "url": "https://www.meetup.com/StL-Go/events/1/"}]
        b.cancelled = True
        text = calendar([a, b], NOW)
    assert "\r\n" in text and all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert text.count("\r\n ") >= 1  # the long SUMMARY was folded
    parsed = icalendar.Calendar.from_ical(text)
    events = list(parsed.walk("VEVENT"))
    assert [str(e["UID"]) for e in events] == ["fail@meetup-bot", "gone@meetup-bot"]
    assert str(events[0]["SUMMARY"]) == LONG
    assert str(events[0]["LOCATION"]) == "OCI, 12140 Woodcrest Executive Dr. Ste 310; St. Louis"
    assert str(events[0]["URL"]) == "https://www.meetup.com/StL-Go/events/1/"
    assert events[0].decoded("DTSTART") == datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
    assert events[0].decoded("DTEND") == datetime(2026, 12, 3, 20, 0, tzinfo=UTC)
    assert events[0].decoded("DTSTAMP") == NOW
    assert [str(e["STATUS"]) for e in events] == ["CONFIRMED", "CANCELLED"]
    assert str(events[0]["DESCRIPTION"]) == "Hosted by StLGo"
