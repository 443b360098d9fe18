"""The RSVP rules on a real SQLite file: latest answer wins, capacity and waitlist, promotion, DM-once, closing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Rsvp
from bot.rsvp.counts import rsvp_counts
from bot.rsvp.service import (
    Observed,
    RsvpClosed,
    list_rsvps,
    mark_dm_failed,
    my_rsvps,
    reconcile,
    remove_rsvp,
    set_rsvp,
)
from tests.rsvp.conftest import NOW, MakeEvent


async def test_latest_answer_wins_and_previous_is_reported(
    sessions: async_sessionmaker[AsyncSession], make_event: MakeEvent
) -> None:
    event_id = await make_event()
    seen = []
    for status in ("going", "not_going", "maybe"):
        async with sessions.begin() as session:
            outcome = await set_rsvp(session, event_id, 1, "alice", status, "StLGo", NOW)  # type: ignore[arg-type]
            seen.append((outcome.previous, outcome.status))
    assert seen == [(None, "going"), ("going", "not_going"), ("not_going", "maybe")]
    async with sessions() as session:
        counts = await rsvp_counts(session, event_id)
        rows = (await session.scalars(select(Rsvp))).all()
    assert (counts.going, counts.maybe, counts.not_going) == (0, 1, 0)
    assert len(rows) == 1


async def test_removing_a_stale_reaction_does_not_undo_the_new_answer(
    sessions: async_sessionmaker[AsyncSession], make_event: MakeEvent
) -> None:
    event_id = await make_event()
    async with sessions.begin() as session:
        await set_rsvp(session, event_id, 1, "alice", "going", "StLGo", NOW)
        await set_rsvp(session, event_id, 1, "alice", "maybe", "StLGo", NOW)
        # the bot removed her ✅; Discord reports that removal afterwards
        stale = await remove_rsvp(session, event_id, 1, NOW, only_status="going", only_group="StLGo")
        assert stale.status == "maybe"
        gone = await remove_rsvp(session, event_id, 1, NOW, only_status="maybe", only_group="StLGo")
        assert (gone.previous, gone.status) == ("maybe", None)
    async with sessions() as session:
        assert (await rsvp_counts(session, event_id)).maybe == 0


async def test_capacity_waitlist_promotion_and_notices(
    sessions: async_sessionmaker[AsyncSession], make_event: MakeEvent
) -> None:
    event_id = await make_event(capacity=2)
    outcomes = []
    async with sessions.begin() as session:
        for user in (1, 2, 3, 4):
            outcomes.append(await set_rsvp(session, event_id, user, f"m{user}", "going", "StLGo", NOW))
    assert [o.status for o in outcomes] == ["going", "going", "waitlist", "waitlist"]
    assert [o.position for o in outcomes] == [None, None, 1, 2]
    assert [(n.kind, n.position) for o in outcomes for n in o.notices] == [
        ("going", None),
        ("going", None),
        ("waitlist", 1),
        ("waitlist", 2),
    ]
    async with sessions.begin() as session:
        dropped = await set_rsvp(session, event_id, 1, "m1", "not_going", "StLGo", NOW)
    assert dropped.promoted == (3,)
    assert [(n.user_id, n.kind) for n in dropped.notices] == [(3, "promoted")]
    async with sessions.begin() as session:
        removed = await remove_rsvp(session, event_id, 2, NOW)
    assert removed.promoted == (4,)
    async with sessions() as session:
        rows = await list_rsvps(session, event_id)
    assert [(r.user_id, r.status) for r in rows] == [(3, "going"), (4, "going"), (1, "not_going")]


async def test_default_capacity_applies_when_the_event_has_none(
    sessions: async_sessionmaker[AsyncSession], make_event: MakeEvent
) -> None:
    event_id = await make_event()
    async with sessions.begin() as session:
        first = await set_rsvp(session, event_id, 1, "a", "going", "StLGo", NOW, default_capacity=1)
        second = await set_rsvp(session, event_id, 2, "b", "going", "StLGo", NOW, default_capacity=1)
    assert (first.status, second.status, second.position) == ("going", "waitlist", 1)


async def test_members_are_told_once_and_closed_dms_are_not_retried(
    sessions: async_sessionmaker[AsyncSession], make_event: MakeEvent
) -> None:
    event_id = await make_event(capacity=1)
    async with sessions.begin() as session:
        first = await set_rsvp(session, event_id, 1, "a", "going", "StLGo", NOW)
        await set_rsvp(session, event_id, 1, "a", "maybe", "StLGo", NOW)
        again = await set_rsvp(session, event_id, 1, "a", "going", "StLGo", NOW)
        waiting = await set_rsvp(session, event_id, 2, "b", "going", "StLGo", NOW)
        await mark_dm_failed(session, event_id, 2)
        promoted = await set_rsvp(session, event_id, 1, "a", "not_going", "StLGo", NOW)
    assert len(first.notices) == 1 and again.notices == ()
    assert [n.kind for n in waiting.notices] == ["waitlist"]
    assert promoted.promoted == (2,) and promoted.notices == ()  # DMs closed: not retried, RSVP stands
    async with sessions() as session:
        b = (await session.scalars(select(Rsvp).where(Rsvp.user_id == 2))).one()
    assert (b.status, b.dm_failed, b.notified_status, b.notified_position) == ("going", True, "waitlist", 1)


async def test_one_person_across_two_groups_of_a_cohosted_event(
    sessions: async_sessionmaker[AsyncSession], make_event: MakeEvent
) -> None:
    event_id = await make_event(groups=("StLGo", "Kubernetes & Cloud Native STL"))
    async with sessions.begin() as session:
        await set_rsvp(session, event_id, 1, "alice", "going", "StLGo", NOW)
        moved = await set_rsvp(session, event_id, 1, "alice", "going", "Kubernetes & Cloud Native STL", NOW)
        await set_rsvp(session, event_id, 2, "bob", "maybe", "StLGo", NOW)
    assert (moved.previous, moved.previous_group) == ("going", "StLGo")
    async with sessions() as session:
        counts = await rsvp_counts(session, event_id)
    assert (counts.going, counts.maybe) == (1, 1)
    assert counts.by_group["Kubernetes & Cloud Native STL"]["going"] == 1
    assert counts.by_group["StLGo"] == {"going": 0, "maybe": 1, "not_going": 0, "waitlist": 0}


async def test_rsvps_close_when_the_event_ends(
    sessions: async_sessionmaker[AsyncSession], make_event: MakeEvent
) -> None:
    event_id = await make_event(starts_at=NOW - timedelta(hours=3), title="Old Talk")
    with pytest.raises(RsvpClosed) as closed:
        async with sessions.begin() as session:
            await set_rsvp(session, event_id, 1, "alice", "going", "StLGo", NOW)
    assert closed.value.message == "RSVPs for Old Talk closed when it ended; nothing was changed."
    async with sessions() as session:
        assert (await rsvp_counts(session, event_id)).going == 0


async def test_500_concurrent_writers_never_oversell(
    sessions: async_sessionmaker[AsyncSession], make_event: MakeEvent
) -> None:
    """Each member in their own session and transaction, all at once: only the event-row lock keeps order."""
    event_id = await make_event(capacity=100)

    async def react(user_id: int) -> None:
        async with sessions.begin() as session:
            await set_rsvp(session, event_id, user_id, f"m{user_id}", "going", "StLGo", NOW)

    await asyncio.gather(*(react(user) for user in range(1, 501)))
    async with sessions() as session:
        counts = await rsvp_counts(session, event_id)
        rows = (await session.scalars(select(Rsvp).where(Rsvp.event_id == event_id))).all()
        listed = await list_rsvps(session, event_id)
    assert (counts.going, counts.waitlist) == (100, 400)
    seqs = sorted(r.queue_seq for r in rows)
    assert seqs == list(range(1, 501))  # every arrival got its own place in line
    going_seqs = {r.queue_seq for r in rows if r.status == "going"}
    assert going_seqs == set(range(1, 101))  # the first 100 to arrive are the ones going
    waitlist = [r for r in listed if r.status == "waitlist"]
    assert [r.position for r in waitlist] == list(range(1, 401))
    by_user = {r.user_id: r.queue_seq for r in rows}
    assert [by_user[r.user_id] for r in waitlist] == list(range(101, 501))


async def test_reconcile_brings_the_database_in_line(
    sessions: async_sessionmaker[AsyncSession], make_event: MakeEvent
) -> None:
    event_id = await make_event(capacity=1)
    async with sessions.begin() as session:
        await set_rsvp(session, event_id, 1, "a", "going", "StLGo", NOW)
        await set_rsvp(session, event_id, 2, "b", "going", "StLGo", NOW)  # waitlisted
        await set_rsvp(session, event_id, 3, "c", "maybe", "StLGo", NOW)
        await set_rsvp(session, event_id, 4, "d", "maybe", "StLGo", NOW, source="command")
    observed = {
        2: Observed("going", "StLGo", "b"),  # still ✅: keeps their waitlist place, then promoted
        3: Observed("not_going", "StLGo", "c"),  # switched while the bot was away
        5: Observed("maybe", "StLGo", "e"),  # new
    }  # 1 removed their ✅; 4 answered with /rsvp and has no reaction: kept
    async with sessions.begin() as session:
        summary = await reconcile(session, event_id, observed, NOW)
    assert (summary.added, summary.removed, summary.changed, summary.promoted) == (1, 1, 1, 1)
    async with sessions() as session:
        rows = {r.user_id: r.status for r in await list_rsvps(session, event_id)}
    assert rows == {2: "going", 3: "not_going", 4: "maybe", 5: "maybe"}
    async with sessions.begin() as session:
        again = await reconcile(session, event_id, observed, NOW)
    assert str(again) == "+0 -0 ~0 promoted 0"


async def test_my_rsvps_lists_upcoming_answers_with_waitlist_place(
    sessions: async_sessionmaker[AsyncSession], make_event: MakeEvent
) -> None:
    full = await make_event("full", capacity=1)
    other = await make_event("other", starts_at=NOW + timedelta(days=1))
    async with sessions.begin() as session:
        await set_rsvp(session, full, 1, "a", "going", "StLGo", NOW)
        await set_rsvp(session, full, 2, "b", "going", "StLGo", NOW)
        await set_rsvp(session, other, 2, "b", "maybe", "StLGo", NOW)
    async with sessions() as session:
        mine = await my_rsvps(session, 2, NOW)
    assert [(m.event.slug, m.status, m.position) for m in mine] == [
        ("other", "maybe", None),
        ("full", "waitlist", 1),
    ]
