"""The same schema and queries on a real PostgreSQL server (asyncpg).

Runs when $MEETUP_BOT_TEST_POSTGRES_URL names a database this test may wipe, e.g.
`postgresql+asyncpg://meetup:meetup@127.0.0.1/meetup_test`; skipped otherwise (CI has no server yet).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.catalog import queries
from bot.catalog.importer import import_paths
from bot.config import Config
from bot.db.engine import create_engine, open_database
from bot.db.models import Post, Rsvp
from bot.rsvp.service import set_rsvp
from bot.schedule import ledger
from bot.schedule.plan import PlannedPost

URL = os.environ.get("MEETUP_BOT_TEST_POSTGRES_URL", "")
PROJECT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 25, tzinfo=UTC)

pytestmark = pytest.mark.skipif(
    not URL,
    reason="set MEETUP_BOT_TEST_POSTGRES_URL to a PostgreSQL database this test may wipe (.ci/run starts one)",
)


@pytest.fixture
async def pg(config: Config) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(URL)
    async with engine.begin() as connection:  # a clean schema, then the migrations build it
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    async with open_database(URL) as sessions:
        yield sessions


async def test_import_is_idempotent_and_queries_work(
    pg: async_sessionmaker[AsyncSession], config: Config
) -> None:
    for expected in ("imported 3 new, 0 updated, 0 unchanged", "imported 0 new, 0 updated, 3 unchanged"):
        async with pg.begin() as session:
            report = await import_paths(session, [PROJECT / "events"], config.parse_options(), NOW)
        assert report.summary().startswith(expected), report.errors
    async with pg() as session:
        event = await queries.event_by_slug(session, "2026-12-16-ContextCancellation")
        assert event.presenters == ["Priya Raman", "Luis Ortega"] and event.capacity == 40
        assert event.starts_at == datetime(2026, 12, 16, 23, 30, tzinfo=UTC)
        assert [e.slug for e in await queries.upcoming_events(session, NOW, group="StLGo")] == [
            "2026-12-16-ContextCancellation",
            "2027-01-20-WasmAndGo",
        ]
        assert [e.slug for e in await queries.search_events(session, NOW, "wasm")] == ["2027-01-20-WasmAndGo"]


async def test_no_oversell_with_concurrent_writers(
    pg: async_sessionmaker[AsyncSession], config: Config
) -> None:
    async with pg.begin() as session:
        await import_paths(session, [PROJECT / "events"], config.parse_options(), NOW)
    async with pg() as session:
        event = await queries.event_by_slug(session, "2026-12-16-ContextCancellation")  # capacity 40

    async def rsvp(user_id: int) -> None:
        async with pg.begin() as session:
            await set_rsvp(session, event.id, user_id, f"m{user_id}", "going", "StLGo", NOW)

    await asyncio.gather(*(rsvp(n) for n in range(1, 61)))
    async with pg() as session:
        counts = dict(
            (
                await session.execute(
                    select(Rsvp.status, func.count()).where(Rsvp.event_id == event.id).group_by(Rsvp.status)
                )
            ).all()
        )
    assert counts == {"going": 40, "waitlist": 20}


async def test_ledger_claims_each_post_once(pg: async_sessionmaker[AsyncSession], config: Config) -> None:
    async with pg.begin() as session:
        await import_paths(session, [PROJECT / "events"], config.parse_options(), NOW)
    async with pg() as session:
        event = await queries.event_by_slug(session, "2026-12-16-ContextCancellation")
    planned = PlannedPost(event.id, "announcement", "StLGo", 1, 2, NOW, NOW + timedelta(days=1), "hello")
    for token in ("first", "second"):  # the second claimer finds the row taken
        async with pg.begin() as session:
            await ledger.claim_new(session, [(planned, {"text": "hello"})], token, NOW)
    async with pg() as session:
        rows = (await session.scalars(select(Post))).all()
        assert [(r.kind, r.claim_token, r.status) for r in rows] == [("announcement", "first", "pending")]
        assert await ledger.claimed(session, "second") == []
