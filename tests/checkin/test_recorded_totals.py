"""Which figures the bot has recorded for an event, as the markdown write-back takes them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.checkin import service
from bot.checkin.writeback import NotEndedYet, NothingRecorded, Totals, recorded_totals
from bot.db.models import Event
from tests.checkin.conftest import KCN, NOW, STLGO, insert_event

START = NOW - timedelta(hours=2)  # insert_event's events last two hours: this one ends at NOW


async def test_check_ins_alone_give_attendance_alone_from_the_end_on(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    event_id = await insert_event(sessions, "walk", starts_at=START, groups=(STLGO, KCN))
    async with sessions.begin() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        await service.check_in(session, event, 7, "Walk", by=9, now=START, group=KCN)
        await service.add_guests(session, event, 2, by=9, now=START, group=KCN)
    async with sessions() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        with pytest.raises(NotEndedYet, match="walk has not ended yet"):
            await recorded_totals(session, event, NOW - timedelta(minutes=1))
        assert await recorded_totals(session, event, NOW) == {"attendance": Totals(3, {KCN: 3})}


async def test_guests_taken_back_are_no_check_ins(sessions: async_sessionmaker[AsyncSession]) -> None:
    event_id = await insert_event(sessions, "oops", starts_at=START)
    async with sessions.begin() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        await service.add_guests(session, event, 2, by=9, now=START)
        await service.add_guests(session, event, -2, by=9, now=START)
    async with sessions() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        with pytest.raises(NothingRecorded, match="no RSVPs or check-ins for oops"):
            await recorded_totals(session, event, NOW)
