"""The batched engine: a batch of changes gives exactly what applying them one by one gives."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Rsvp
from bot.errors import UserError
from bot.rsvp import service
from bot.rsvp.service import (
    Change,
    RemoveChange,
    RsvpClosed,
    RsvpOutcome,
    SetChange,
    UnknownEvent,
    apply_changes,
    mark_dm_failed,
    set_rsvp,
)
from tests.rsvp.conftest import NOW, MakeEvent

KCN = "Kubernetes & Cloud Native STL"


def script(event: int, closed: int) -> list[Change]:
    """Switches, removals (stale and real), promotions, re-joining, co-hosts, a closed and an unknown event."""
    return [
        SetChange(event, 20, "t", "going", "StLGo"),  # full: joins the waitlist behind 10..14
        RemoveChange(event, 1, "going", "StLGo"),  # a going member leaves: 10 (outside the batch) promoted
        SetChange(event, 2, "b", "maybe", "StLGo"),  # another: 11 promoted
        SetChange(
            event, 12, "w12", "going", KCN
        ),  # waitlisted, ✅ again on the other group's post: keeps place
        SetChange(event, 21, "u", "maybe", "StLGo"),
        RemoveChange(event, 21, "going", "StLGo"),  # stale: she is a maybe
        RemoveChange(event, 21, "maybe", "StLGo"),  # inserted in this batch and gone again
        SetChange(event, 21, "u", "going", "StLGo"),  # and back: last in line
        SetChange(closed, 1, "a", "going", "StLGo"),
        SetChange(event, 3, "c", "not_going", "StLGo"),  # 12 promoted (the member in the batch)
        RemoveChange(event, 13),  # waitlisted, leaves
        SetChange(event, 2, "b", "going", "StLGo"),  # back, but full now: waitlist
        SetChange(999_999, 1, "a", "going", "StLGo"),
        SetChange(event, 4, "d", "not_going", "StLGo"),  # 14 promoted (dm_failed: no notice)
        RemoveChange(event, 1),  # already gone
        SetChange(event, 5, "e", "going", "StLGo"),  # going already: nothing moves
        SetChange(
            event, 10, "w10", "not_going", "StLGo"
        ),  # promoted earlier in this batch, leaves: 20 promoted
        SetChange(event, 30, "x", "going", "StLGo"),
    ]


async def seed(sessions: async_sessionmaker[AsyncSession], event: int) -> None:
    """Members 1..5 going (capacity 5), 10..14 waiting in that order, 14 with closed DMs."""
    async with sessions.begin() as session:
        for user in (1, 2, 3, 4, 5, 10, 11, 12, 13, 14):
            await set_rsvp(
                session,
                event,
                user,
                f"m{user}",
                "going",
                "StLGo",
                NOW - timedelta(hours=1),
                default_capacity=5,
            )
        await mark_dm_failed(session, event, 14)


def shape(result: RsvpOutcome | UserError) -> Any:
    if isinstance(result, UserError):
        return type(result).__name__
    notices = [(n.user_id, n.kind, n.position) for n in result.notices]
    return (
        result.user_id,
        result.status,
        result.previous,
        result.group_name,
        result.previous_group,
        result.position,
        result.promoted,
        notices,
    )


async def rows(sessions: async_sessionmaker[AsyncSession], event: int) -> list[tuple[object, ...]]:
    async with sessions() as session:
        found = await session.scalars(select(Rsvp).where(Rsvp.event_id == event).order_by(Rsvp.user_id))
        return [
            (
                r.user_id,
                r.user_name,
                r.status,
                r.group_name,
                r.queue_seq,
                r.notified_status,
                r.notified_position,
                r.dm_failed,
            )
            for r in found
        ]


async def one_by_one(
    sessions: async_sessionmaker[AsyncSession], changes: Sequence[Change]
) -> list[RsvpOutcome | UserError]:
    results: list[RsvpOutcome | UserError] = []
    for change in changes:
        async with sessions.begin() as session:
            [result] = await apply_changes(session, [change], NOW, default_capacity=5)
            results.append(result)
    return results


@pytest.mark.parametrize("page", [1, 2, 50])
async def test_a_batch_gives_what_one_by_one_gives(
    sessions: async_sessionmaker[AsyncSession],
    make_event: MakeEvent,
    monkeypatch: pytest.MonkeyPatch,
    page: int,
) -> None:
    monkeypatch.setattr(service, "_PAGE", page)  # the waitlist beyond the batch is read a page at a time
    closed = await make_event("old", starts_at=NOW - timedelta(hours=3))
    batched = await make_event("batched", groups=("StLGo", KCN))
    single = await make_event("single", groups=("StLGo", KCN))
    await seed(sessions, batched)
    await seed(sessions, single)

    async with sessions.begin() as session:
        together = await apply_changes(session, script(batched, closed), NOW, default_capacity=5)
    apart = await one_by_one(sessions, script(single, closed))

    assert [shape(r) for r in together] == [shape(r) for r in apart]
    assert await rows(sessions, batched) == await rows(sessions, single)
    kinds = [shape(r) for r in together if isinstance(r, UserError)]
    assert kinds == [RsvpClosed.__name__, UnknownEvent.__name__]
    going = [r for r in await rows(sessions, batched) if r[2] == "going"]
    assert len(going) == 5


async def test_a_failing_batch_writes_nothing(
    sessions: async_sessionmaker[AsyncSession], make_event: MakeEvent
) -> None:
    event = await make_event(capacity=1)
    with pytest.raises(RuntimeError):
        async with sessions.begin() as session:
            await apply_changes(session, [SetChange(event, 1, "a", "going", "StLGo")], NOW)
            raise RuntimeError("the transaction fails after the changes were applied")
    assert await rows(sessions, event) == []
