"""A retry after Discord's nonce window looks for an earlier copy of the post; two posts with the same text
(the 1-day and 2-hour reminders) must not be taken for each other: each is posted once, no message twice in
the ledger.

The outage is a real one: the sandbox answers the bot's message POSTs with 503 (control API faults) until
the retries fall more than NONCE_WINDOW after the first try, on the test's clock.
"""

from __future__ import annotations

from datetime import timedelta

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import ManualClock
from bot.db.models import Post
from bot.sandbox import SandboxServer
from bot.schedule.service import NONCE_WINDOW
from tests.e2e.announcements.conftest import STLGO_CHANNEL, Publish, StartBot, bot_messages, day_after

MESSAGES = "POST /channels/{channel_id}/messages"


async def outage(http: aiohttp.ClientSession, sandbox: SandboxServer, times: int) -> None:
    """The next `times` message POSTs get a 503, as during a Discord outage."""
    body = {"route": MESSAGES, "status": 503, "times": times}
    async with http.post(f"{sandbox.url}/sandbox/faults", json=body) as response:
        assert response.status == 200, await response.text()


async def sent_rows(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Post]:
    async with sessions() as session:
        rows = await session.scalars(select(Post).where(Post.channel_id == STLGO_CHANNEL))
        return {row.kind: row for row in rows}


async def test_the_2h_reminder_is_posted_after_an_outage_though_the_1d_reminder_reads_the_same(
    start_bot: StartBot,
    publish: Publish,
    clock: ManualClock,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
    http: aiohttp.ClientSession,
) -> None:
    start = (await publish("profiling", when=day_after(10))).starts_at
    clock.set(start - timedelta(days=7))
    app = await start_bot()
    await app.scheduler.run_due()
    clock.set(start - timedelta(days=1))
    await app.scheduler.run_due()
    announcement, first_reminder = bot_messages(sandbox, STLGO_CHANNEL)

    due = start - timedelta(hours=2)
    clock.set(due)
    await outage(http, sandbox, times=3)  # tries at +0, +30 s and +1 min 30 s fail; +3 min 30 s gets through
    report = await app.scheduler.run_due()
    assert report.retrying == [f"profiling reminder:2h #{STLGO_CHANNEL}"]
    while report.retrying:
        retry_at = app.scheduler.next_due()
        assert retry_at is not None and retry_at < start
        clock.set(retry_at)
        report = await app.scheduler.run_due()
    assert clock.now() - due > NONCE_WINDOW  # the try that got through had to look for an earlier copy
    assert report.sent == [f"profiling reminder:2h #{STLGO_CHANNEL}"]

    messages = bot_messages(sandbox, STLGO_CHANNEL)
    assert [m.id for m in messages[:2]] == [announcement.id, first_reminder.id]
    assert len(messages) == 3  # the 2-hour reminder is in the channel, once
    second_reminder = messages[2]
    assert (
        second_reminder.content == first_reminder.content
    )  # the same text: only the ledger tells them apart
    rows = await sent_rows(sessions)
    assert rows["reminder:1d"].discord_id == first_reminder.id
    assert rows["reminder:2h"].status == "sent" and rows["reminder:2h"].discord_id == second_reminder.id
    held = [row.discord_id for row in rows.values() if row.discord_id is not None]
    assert len(held) == len(set(held))  # no two rows point at one message
