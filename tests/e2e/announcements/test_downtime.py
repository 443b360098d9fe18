"""After downtime: what still makes sense is posted late and says so; the rest is skipped with a log line."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import ManualClock
from bot.db.models import Post
from bot.sandbox import SandboxServer
from bot.schedule.plan import LATE_PREFIX
from tests.e2e.announcements.conftest import STLGO_CHANNEL, Publish, StartBot, texts


async def test_back_during_the_event_posts_the_running_agenda_item_late_and_skips_the_rest(
    start_bot: StartBot,
    publish: Publish,
    clock: ManualClock,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    start = (await publish("profiling", when="Thursday, December 10, 2026")).starts_at
    clock.set(start + timedelta(minutes=10))  # the bot was down from before the announcement until now
    app = await start_bot()
    with caplog.at_level(logging.WARNING, logger="bot.schedule"):
        report = await app.scheduler.run_due()
    (only,) = texts(sandbox, STLGO_CHANNEL)
    assert only.startswith(LATE_PREFIX) and "Food and networking" in only
    assert report.sent == [f"profiling agenda:0:start #{STLGO_CHANNEL}"]
    assert sorted(line.split()[1] for line in report.skipped) == [
        "announcement",
        "reminder:1d",
        "reminder:2h",
        "scheduled_event",
    ]
    assert any("skipped profiling reminder:1d" in r.getMessage() for r in caplog.records)
    async with sessions() as session:
        rows = {p.kind: p.status for p in await session.scalars(select(Post))}
    assert rows["announcement"] == "skipped" and rows["agenda:0:start"] == "sent"
    # the main presentation's "in 5 minutes" is still ahead, on time and not marked late
    clock.set(start + timedelta(minutes=40))
    await app.scheduler.run_due()
    assert texts(sandbox, STLGO_CHANNEL)[1].startswith("🎤 Main presentation starts in 5 minutes")
