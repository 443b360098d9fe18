"""Checking in members, walk-ins and guests; undo; which event is current; the autocomplete query."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.checkin import service
from bot.db.models import CheckIn, Event
from bot.errors import UserError
from bot.when import day_text, when_text
from tests.checkin.conftest import NOW, add_rsvps, insert_event

ORGANIZER = 999


async def _event(session: AsyncSession, event_id: int) -> Event:
    event = await session.get(Event, event_id)
    assert event is not None
    return event


async def test_member_walk_in_twice_and_undo(sessions: async_sessionmaker[AsyncSession]) -> None:
    event_id = await insert_event(sessions, "talk")
    await add_rsvps(sessions, event_id, [(1, "Alice", "going"), (2, "Bob", "not_going")])
    async with sessions.begin() as session:
        event = await _event(session, event_id)
        alice = await service.check_in(session, event, 1, "", by=ORGANIZER, now=NOW, group="StLGo")
        bob = await service.check_in(session, event, 2, "Bob", by=ORGANIZER, now=NOW)
        carol = await service.check_in(session, event, 3, "Carol", by=ORGANIZER, now=NOW)
        again = await service.check_in(
            session, event, 1, "Alice", by=ORGANIZER, now=NOW + timedelta(minutes=5)
        )
    assert (alice.kind, alice.name, alice.already) == ("member", "Alice", False)
    assert (bob.kind, carol.kind) == ("walk_in", "walk_in")  # "not going" but came: a walk-in
    assert again.already and again.kind == "member"
    async with sessions() as session:
        rows = (await session.scalars(select(CheckIn).order_by(CheckIn.id))).all()
    assert [(r.user_id, r.kind, r.checked_in_by, r.at, r.group_name) for r in rows] == [
        (1, "member", ORGANIZER, NOW, "StLGo"),
        (2, "walk_in", ORGANIZER, NOW, "StLGo"),
        (3, "walk_in", ORGANIZER, NOW, None),
    ]
    async with sessions.begin() as session:
        assert await service.undo_check_in(session, await _event(session, event_id), 1) == "Alice"
    async with sessions.begin() as session:
        with pytest.raises(UserError, match="not checked in"):
            await service.undo_check_in(session, await _event(session, event_id), 1)


async def test_guests_add_and_take_back(sessions: async_sessionmaker[AsyncSession]) -> None:
    event_id = await insert_event(sessions, "talk")
    async with sessions.begin() as session:
        event = await _event(session, event_id)
        assert await service.add_guests(session, event, 3, by=ORGANIZER, now=NOW) == 3
        assert await service.add_guests(session, event, -1, by=ORGANIZER, now=NOW) == 2
        with pytest.raises(UserError) as too_many:
            await service.add_guests(session, event, -5, by=ORGANIZER, now=NOW)
        assert too_many.value.message == (
            "Only 2 guests are counted for **Talk talk**; `guests:` can take back at most 2."
        )
        assert await service.add_guests(session, event, -1, by=ORGANIZER, now=NOW) == 1
        with pytest.raises(UserError, match=r"^Only 1 guest is counted for \*\*Talk talk\*\*;"):
            await service.add_guests(session, event, -2, by=ORGANIZER, now=NOW)
    async with sessions() as session:
        assert await service.guest_count(session, event_id) == 1


async def test_current_event_is_the_one_open_for_check_in(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Open from an hour before the start to the end; outside it the answer says when check-in opens."""
    later = NOW + timedelta(hours=5)
    early_now = later - timedelta(hours=2, minutes=30)  # the old rule (3 hours ahead) took this as current
    await insert_event(sessions, "later", starts_at=later, title="Later Talk")
    await insert_event(sessions, "kcn", starts_at=NOW, groups=("Kubernetes & Cloud Native STL",))
    async with sessions() as session:
        with pytest.raises(service.NoCurrentEvent) as early:
            await service.current_event(session, "StLGo", early_now)
        opens = when_text(later - timedelta(hours=1), "America/Chicago", early_now)
        assert early.value.message == (
            f"Check-in for **Later Talk** opens {opens} (an hour before the start); "
            "no StLGo event is open for check-in now. To use another event, name it with the `event:` option."
        )
        assert opens.startswith("today at ")  # the same local day: no date needed
        opening = await service.current_event(session, "StLGo", later - timedelta(hours=1))
        running = await service.current_event(session, "StLGo", later + timedelta(hours=1, minutes=59))
        assert (opening.slug, running.slug) == ("later", "later")
        with pytest.raises(service.NoCurrentEvent, match="none is coming up") as over:
            await service.current_event(session, "StLGo", later + timedelta(hours=2))  # its end
        assert over.value.upcoming is None
        # with `event:` an organizer still reaches a named event of the group, open or not
        assert (await service.event_for(session, "StLGo", NOW, "later")).slug == "later"
        with pytest.raises(UserError, match="not an event of StLGo"):
            await service.event_for(session, "StLGo", NOW, "kcn")


async def test_an_event_weeks_away_is_not_the_current_one(sessions: async_sessionmaker[AsyncSession]) -> None:
    """The issue: `/checkin member:` checked a member in to an event 15 days away."""
    far = NOW + timedelta(days=15)
    await insert_event(sessions, "far", starts_at=far, title="Far Talk")
    async with sessions() as session:
        with pytest.raises(service.NoCurrentEvent) as refused:
            await service.event_for(session, "StLGo", NOW, None)
    opens = day_text(far - timedelta(hours=1), "America/Chicago")
    assert refused.value.message.startswith(f"Check-in for **Far Talk** opens {opens} at ")
    assert re.search(
        r"opens \w{3}, \w{3} \d{1,2}, \d{4} at \d{1,2}:\d\d [AP]M C[SD]T \(an hour before",
        refused.value.message,
    )


async def test_candidates_prefix_first_without_checked_in_or_not_going(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    event_id = await insert_event(sessions, "talk")
    await add_rsvps(
        sessions,
        event_id,
        [
            (1, "Mariana", "going"),
            (2, "Anna Maria", "maybe"),
            (3, "Mario", "waitlist"),
            (4, "Marek", "not_going"),
            (5, "Maria", "going"),
        ],
    )
    async with sessions.begin() as session:
        await service.check_in(session, await _event(session, event_id), 5, "Maria", by=ORGANIZER, now=NOW)
    async with sessions() as session:
        found = await service.candidates(session, event_id, "mar")
        everyone = await service.candidates(session, event_id, "")
    assert [(c.user_id, c.status) for c in found] == [(1, "going"), (3, "waitlist"), (2, "maybe")]
    assert [c.name for c in everyone] == ["Anna Maria", "Mariana", "Mario"]
