"""Attendance figures: going / maybe / waitlist / checked in / walk-ins / guests / no-shows, per group."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.checkin import service
from bot.checkin.attendance import attendance, history
from bot.db.models import Event
from tests.checkin.conftest import KCN, NOW, STLGO, add_rsvps, insert_event


async def test_figures_overall_and_per_group(sessions: async_sessionmaker[AsyncSession]) -> None:
    event_id = await insert_event(sessions, "joint", groups=(STLGO, KCN))
    await add_rsvps(sessions, event_id, [(1, "A", "going"), (2, "B", "going"), (3, "C", "maybe")], STLGO)
    await add_rsvps(sessions, event_id, [(4, "D", "going"), (5, "E", "waitlist"), (6, "F", "not_going")], KCN)
    async with sessions.begin() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        for user_id in (1, 3, 4, 5):
            await service.check_in(session, event, user_id, "", by=9, now=NOW)
        await service.check_in(session, event, 7, "Walk", by=9, now=NOW, group=KCN)
        await service.add_guests(session, event, 2, by=9, now=NOW, group=STLGO)
    async with sessions() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        figures = await attendance(session, event, event.ends_at)  # over: whoever is not in did not come
    total, stl, kcn = figures.total, figures.by_group[STLGO], figures.by_group[KCN]
    assert (total.going, total.maybe, total.waitlist) == (3, 1, 1)
    assert (total.checked_in, total.walk_ins, total.guests, total.no_shows) == (4, 1, 2, 1)
    assert total.present == 7 and total.show_up_rate == 2 / 3
    assert (stl.going, stl.checked_in, stl.guests, stl.no_shows, stl.show_up_rate) == (2, 2, 2, 1, 0.5)
    assert (kcn.going, kcn.checked_in, kcn.walk_ins, kcn.no_shows, kcn.show_up_rate) == (1, 2, 1, 0, 1.0)


async def test_no_shows_and_show_up_rate_only_after_the_end(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    event_id = await insert_event(sessions, "talk", starts_at=NOW + timedelta(hours=1))
    await add_rsvps(sessions, event_id, [(1, "A", "going"), (2, "B", "going"), (3, "C", "going")])
    async with sessions.begin() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        await service.check_in(session, event, 1, "", by=9, now=NOW)
        await service.add_guests(session, event, 2, by=9, now=NOW)
    async with sessions() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        before = await attendance(session, event, NOW)  # an hour before the start
        running = await attendance(session, event, event.ends_at - timedelta(minutes=1))
        over = await attendance(session, event, event.ends_at)
    for figures in (before, running):
        assert (figures.total.going, figures.total.present) == (3, 3)
        assert (figures.total.no_shows, figures.total.show_up_rate) == (None, None)  # B and C may still come
        assert figures.by_group[STLGO].no_shows is None
    assert (over.total.no_shows, over.total.show_up_rate) == (2, 1 / 3)
    assert over.by_group[STLGO].no_shows == 2


async def test_history_prefers_recorded_figures(sessions: async_sessionmaker[AsyncSession]) -> None:
    old = await insert_event(
        sessions, "old", starts_at=NOW - timedelta(days=60), reported_rsvps=23, reported_attendance=4
    )
    recent = await insert_event(sessions, "recent", starts_at=NOW - timedelta(days=30), reported_rsvps=50)
    await add_rsvps(sessions, recent, [(1, "A", "going"), (2, "B", "going"), (3, "C", "maybe")])
    async with sessions.begin() as session:
        event = await session.get(Event, recent)
        assert event is not None
        await service.check_in(session, event, 1, "", by=9, now=NOW)
        await service.add_guests(session, event, 3, by=9, now=NOW)
    await insert_event(sessions, "future", starts_at=NOW + timedelta(days=5), reported_rsvps=8)
    async with sessions() as session:
        points = await history(session, STLGO, NOW)
    assert [(p.event_id, p.rsvps, p.attendance, p.recorded) for p in points] == [
        (old, 23, 4, False),
        (recent, 2, 4, True),
    ]
