"""The self check-in rate limit holds under concurrency: of 30 wrong codes sent at once by one member, exactly
MAX_WRONG are judged (and recorded); the rest are refused as rate-limited. Each attempt is its own session and
transaction, committed as the cog commits it, on a real SQLite file and (when available) a real PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.checkin import codes
from bot.checkin.service import CheckInResult
from bot.config import Config
from bot.db.engine import create_engine, open_database
from bot.db.models import CodeAttempt, Event
from bot.errors import UserError
from tests.checkin.conftest import insert_event
from tests.factories import NOW
from tests.test_postgres import URL as POSTGRES_URL

ATTEMPTS = 30
MEMBER = 7


async def _race(sessions: async_sessionmaker[AsyncSession]) -> tuple[list[int], list[str]]:
    """30 concurrent wrong codes from MEMBER; the `left` of each judged one, the messages of the refused."""
    event_id = await insert_event(sessions, "talk", starts_at=NOW + timedelta(minutes=30))
    async with sessions.begin() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        code = await codes.code_for(session, event, NOW)
    bad = "ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY"

    async def attempt() -> CheckInResult | codes.WrongCode | UserError:
        try:
            async with sessions.begin() as session:  # as the cog: one transaction, committed, then raised
                return await codes.redeem(session, "StLGo", MEMBER, "member7", bad, NOW)
        except UserError as refused:
            return refused

    results = await asyncio.gather(*(attempt() for _ in range(ATTEMPTS)))
    judged = sorted((r.left for r in results if isinstance(r, codes.WrongCode)), reverse=True)
    refused = [r.message for r in results if isinstance(r, UserError) and not isinstance(r, codes.WrongCode)]
    async with sessions() as session:
        recorded = await session.scalar(select(func.count()).where(CodeAttempt.user_id == MEMBER))
    assert recorded == codes.MAX_WRONG
    return judged, refused


def _expect(judged: list[int], refused: list[str]) -> None:
    assert judged == list(range(codes.MAX_WRONG - 1, -1, -1)), judged  # [4, 3, 2, 1, 0]: each count once
    assert len(refused) == ATTEMPTS - codes.MAX_WRONG
    assert all(message.startswith("Too many wrong codes: wait 10 minutes") for message in refused), refused


async def test_concurrent_wrong_codes_on_sqlite_judge_exactly_the_limit(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    _expect(*await _race(sessions))


@pytest.fixture
async def pg(config: Config) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(POSTGRES_URL)
    async with engine.begin() as connection:  # a clean schema, then the migrations build it
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    async with open_database(POSTGRES_URL) as sessions:
        yield sessions


@pytest.mark.skipif(
    not POSTGRES_URL,
    reason="set MEETUP_BOT_TEST_POSTGRES_URL to a PostgreSQL database this test may wipe (.ci/run starts one)",
)
async def test_concurrent_wrong_codes_on_postgres_judge_exactly_the_limit(
    pg: async_sessionmaker[AsyncSession],
) -> None:
    _expect(*await _race(pg))
