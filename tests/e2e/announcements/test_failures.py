"""Discord failures never lose a post silently: 5xx and 429 are retried; missing permissions and a deleted
channel are retried with backoff (on the clock), then reported to the organizers."""

from __future__ import annotations

import logging
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import ManualClock
from bot.db.models import Post
from bot.sandbox import RateLimit, SandboxServer
from bot.schedule import ledger
from tests.e2e.announcements.conftest import (
    KCN_CHANNEL,
    LOG_CHANNEL,
    STLGO_CHANNEL,
    Publish,
    StartBot,
    bot_messages,
    texts,
)

ROUTE = "POST /channels/{channel_id}/messages"


async def _posts(sessions: async_sessionmaker[AsyncSession], kind: str) -> list[Post]:
    async with sessions() as session:
        return list(await session.scalars(select(Post).where(Post.kind == kind)))


async def test_server_errors_are_retried_with_backoff_and_post_once(
    start_bot: StartBot,
    publish: Publish,
    clock: ManualClock,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
    http: aiohttp.ClientSession,
) -> None:
    start = (await publish("profiling", when="Thursday, December 10, 2026")).starts_at
    app = await start_bot()
    async with http.post(f"{sandbox.url}/sandbox/faults", json={"route": ROUTE, "status": 503, "times": 2}):
        pass
    clock.set(start - timedelta(days=7))
    first = await app.scheduler.run_due()
    assert first.retrying == [f"profiling announcement #{STLGO_CHANNEL}"]
    assert texts(sandbox, STLGO_CHANNEL) == []
    clock.advance(timedelta(seconds=10))  # before the backoff: no retry yet
    assert (await app.scheduler.run_due()).retrying == []
    clock.advance(ledger.backoff(1))
    assert (await app.scheduler.run_due()).retrying == [f"profiling announcement #{STLGO_CHANNEL}"]
    clock.advance(ledger.backoff(2))
    assert (await app.scheduler.run_due()).sent == [f"profiling announcement #{STLGO_CHANNEL}"]
    assert len(bot_messages(sandbox, STLGO_CHANNEL)) == 1
    (row,) = await _posts(sessions, "announcement")
    assert row.status == "sent" and row.attempts == 3 and row.last_error is None


async def test_rate_limits_are_waited_out_and_each_post_goes_once(
    start_bot: StartBot,
    publish: Publish,
    clock: ManualClock,
    sandbox: SandboxServer,
    http: aiohttp.ClientSession,
) -> None:
    await publish("profiling", when="Thursday, December 10, 2026")
    app = await start_bot()
    seen: list[int] = []
    sandbox.set_response_observer(
        lambda method, route, status, body: seen.append(status) if route == ROUTE.split(" ", 1)[1] else None
    )
    sandbox.rate_limiter.configure(ROUTE, RateLimit(limit=1, per=1.0))
    # another client of the same bot user is busy in the channel: the bot's first try gets a shared 429,
    # which no header could have foretold; the second post waits for the bucket its headers announced
    async with http.post(f"{sandbox.url}/sandbox/faults", json={"route": ROUTE, "status": 429}) as r:
        assert r.status == 200
    clock.set(
        clock.now() + timedelta(days=8, hours=23)
    )  # both the announcement and the 1-day reminder are due
    report = await app.scheduler.run_due()
    sandbox.set_response_observer(None)
    messages = [line for line in report.sent if "scheduled_event" not in line]
    assert messages == [f"profiling announcement #{STLGO_CHANNEL}", f"profiling reminder:1d #{STLGO_CHANNEL}"]
    assert seen[0] == 429 and seen.count(200) == 2
    contents = texts(sandbox, STLGO_CHANNEL)
    assert len(contents) == 2 and "⏰ Reminder" in contents[1]


async def test_missing_permissions_are_retried_then_reported_in_the_log_channel(
    start_bot: StartBot,
    publish: Publish,
    clock: ManualClock,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
    http: aiohttp.ClientSession,
) -> None:
    start = (await publish("profiling", when="Thursday, December 10, 2026")).starts_at
    async with http.post(
        f"{sandbox.url}/sandbox/channels/{STLGO_CHANNEL}/permissions", json={"deny": ["SEND_MESSAGES"]}
    ) as response:
        assert response.status == 200
    app = await start_bot()
    clock.set(start - timedelta(days=7))
    for attempt in range(1, ledger.MAX_ATTEMPTS + 1):
        report = await app.scheduler.run_due()
        clock.advance(ledger.backoff(attempt))
    assert report.failed == [f"profiling announcement #{STLGO_CHANNEL}"]
    assert texts(sandbox, STLGO_CHANNEL) == []
    (row,) = await _posts(sessions, "announcement")
    assert row.status == "failed" and row.attempts == ledger.MAX_ATTEMPTS
    assert "missing permissions" in (row.last_error or "")
    # told by the running doctor at start-up (before anything was due), and when the post gave up
    logged = texts(sandbox, LOG_CHANNEL)
    (warned,) = [t for t in logged if "is missing in" in t]
    (notice,) = [t for t in logged if "could not post" in t]
    assert len(logged) == 2 and "**permission Send Messages** is missing in StLGo #announcements" in warned
    assert "could not post **announcement** for `profiling`" in notice and "missing permissions" in notice
    assert (await app.scheduler.run_due()).failed == []  # reported once, never retried again


async def test_a_deleted_channel_is_reported_in_the_log_without_a_log_channel(
    start_bot: StartBot,
    publish: Publish,
    clock: ManualClock,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    start = (await publish("kcn", when="Thursday, December 10, 2026", group="KCN-STL")).starts_at
    async with http.delete(f"{sandbox.url}/sandbox/channels/{KCN_CHANNEL}") as response:
        assert response.status == 200
    app = await start_bot()
    clock.set(start - timedelta(days=7))
    with caplog.at_level(logging.ERROR, logger="bot"):
        for attempt in range(1, ledger.MAX_ATTEMPTS + 1):
            await app.scheduler.run_due()
            clock.advance(ledger.backoff(attempt))
    (row,) = await _posts(sessions, "announcement")
    assert row.status == "failed" and "no longer exists" in (row.last_error or "")
    assert any("could not post **announcement** for `kcn`" in r.getMessage() for r in caplog.records)
    assert texts(sandbox, LOG_CHANNEL) == []  # the KCN group has no log channel
