"""The ledger: a post is claimed once, sent once, retried with the same nonce; two processes never both send."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.catalog.importer import store_records
from bot.catalog.record import EventRecord
from bot.config import Config
from bot.db.engine import open_database
from bot.db.models import Post
from bot.schedule import ledger
from bot.schedule.plan import PlannedPost
from tests.factories import NOW


async def an_event(sessions: async_sessionmaker[AsyncSession]) -> int:
    start = NOW + timedelta(days=3)
    record = EventRecord(
        slug="talk",
        title="Talk",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        timezone="America/Chicago",
        source="talk.md",
        hosting_groups=["StLGo"],
    )
    async with sessions.begin() as session:
        await store_records(session, [record], NOW)
        found = await session.scalar(select(Post.id))
        assert found is None
    async with sessions() as session:
        from bot.db.models import Event

        event_id = await session.scalar(select(Event.id))
    assert event_id is not None
    return event_id


def planned(event_id: int, kind: str = "reminder:1d") -> PlannedPost:
    return PlannedPost(event_id, kind, "StLGo", 1, 2, NOW, NOW + timedelta(days=1), "hello")


async def test_a_sent_post_is_never_claimed_again(sessions: async_sessionmaker[AsyncSession]) -> None:
    event_id = await an_event(sessions)
    async with sessions.begin() as session:
        await ledger.claim_new(session, [(planned(event_id), {"text": "hello"})], "t1", NOW)
        (post,) = await ledger.claimed(session, "t1")
        assert await ledger.record_sent(session, post.id, "t1", 42, NOW)
    later = NOW + timedelta(hours=1)
    async with sessions.begin() as session:
        await ledger.claim_new(session, [(planned(event_id), {"text": "hello"})], "t2", later)
        await ledger.claim_pending(session, "t2", later)
        assert await ledger.claimed(session, "t2") == []
        assert await ledger.keys_for(session, [event_id]) == {(event_id, "reminder:1d", 2)}


async def test_a_crashed_senders_post_is_retried_with_the_same_nonce_after_the_lease(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    event_id = await an_event(sessions)
    async with sessions.begin() as session:
        await ledger.claim_new(session, [(planned(event_id), {"text": "hello"})], "dead", NOW)
        (first,) = await ledger.claimed(session, "dead")
    async with sessions.begin() as session:  # within the lease: nobody else takes it
        await ledger.claim_pending(session, "t2", NOW + ledger.LEASE / 2)
        assert await ledger.claimed(session, "t2") == []
    after = NOW + ledger.LEASE + timedelta(seconds=1)
    async with sessions.begin() as session:
        await ledger.claim_pending(session, "t3", after)
        (again,) = await ledger.claimed(session, "t3")
    assert again.id == first.id and again.nonce == first.nonce and again.attempts == 2
    async with sessions.begin() as session:  # the dead sender's late answer no longer counts
        assert not await ledger.record_sent(session, first.id, "dead", 1, after)
        assert await ledger.record_sent(session, first.id, "t3", 2, after)


async def test_failures_back_off_then_give_up(sessions: async_sessionmaker[AsyncSession]) -> None:
    event_id = await an_event(sessions)
    now = NOW
    async with sessions.begin() as session:
        await ledger.claim_new(session, [(planned(event_id), {"text": "hello"})], "t0", now)
    statuses = []
    for attempt in range(1, ledger.MAX_ATTEMPTS + 1):
        async with sessions.begin() as session:
            if attempt > 1:
                await ledger.claim_pending(session, f"t{attempt}", now)
            token = "t0" if attempt == 1 else f"t{attempt}"
            (post,) = await ledger.claimed(session, token)
            assert post.attempts == attempt
            statuses.append(await ledger.record_failure(session, post, token, "503", now))
            row = await session.get(Post, post.id, populate_existing=True)
            assert row is not None
            if row.status == ledger.PENDING:
                assert row.not_before == now + ledger.backoff(attempt)
                now = row.not_before
    assert statuses == [ledger.PENDING] * (ledger.MAX_ATTEMPTS - 1) + [ledger.FAILED]
    assert [ledger.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]


async def test_two_processes_on_one_sqlite_file_claim_each_post_once(
    config: Config, sessions: async_sessionmaker[AsyncSession]
) -> None:
    event_id = await an_event(sessions)
    posts = [planned(event_id, f"reminder:{n}h") for n in range(1, 30)]
    # a second engine on the same file stands in for a second bot process
    async with open_database(config.database.url) as other:

        async def claimer(factory: async_sessionmaker[AsyncSession], token: str) -> list[int]:
            async with factory.begin() as session:
                await ledger.claim_new(session, [(p, {}) for p in posts], token, NOW)
                return [p.id for p in await ledger.claimed(session, token)]

        mine, theirs = await asyncio.gather(claimer(sessions, "a"), claimer(other, "b"))
        assert sorted(mine + theirs) == sorted(set(mine + theirs))
        assert len(mine) + len(theirs) == len(posts)
        # both race for the same expired pending rows: each row goes to exactly one of them
        later = NOW + ledger.LEASE * 2

        async def retaker(factory: async_sessionmaker[AsyncSession], token: str) -> list[int]:
            async with factory.begin() as session:
                await ledger.claim_pending(session, token, later)
                return [p.id for p in await ledger.claimed(session, token)]

        again_a, again_b = await asyncio.gather(retaker(sessions, "c"), retaker(other, "d"))
        assert not set(again_a) & set(again_b)
        assert len(again_a) + len(again_b) == len(posts)
