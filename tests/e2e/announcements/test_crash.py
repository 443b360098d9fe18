"""A bot killed (SIGKILL, no cleanup) after Discord accepted a reminder but before the ledger recorded it:
after a restart the reminder is in the channel exactly once.

The crash is a real one: the bot runs in a subprocess, and the sandbox kills that process from inside the
request handler, after it stored the message and before the HTTP answer goes back. So the message exists
on "Discord", the ledger row is still `pending`, and nothing in the bot got to run a cleanup path.
"""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import ManualClock
from bot.config import Config
from bot.db.models import Post
from bot.sandbox import SandboxServer
from bot.sandbox.models import Message
from bot.schedule.ledger import LEASE
from tests.e2e.announcements.conftest import STLGO_CHANNEL, Publish, StartBot, bot_messages, day_after
from tests.e2e.bot_process import spawn_bot


async def reminder_row(sessions: async_sessionmaker[AsyncSession]) -> Post | None:
    async with sessions() as session:
        found: Post | None = await session.scalar(select(Post).where(Post.kind == "reminder:1d"))
        return found


async def crash_while_posting_the_reminder(
    start_bot: StartBot,
    publish: Publish,
    clock: ManualClock,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
    config: Config,
) -> tuple[datetime, Message]:
    """Announce, then run a bot process that is SIGKILLed once Discord has accepted the 1-day reminder."""
    start = (await publish("profiling", when=day_after(9))).starts_at
    clock.set(start - timedelta(days=7))
    app = await start_bot()
    await app.scheduler.run_due()
    await app.close()
    assert len(bot_messages(sandbox, STLGO_CHANNEL)) == 1

    due = start - timedelta(days=1)
    clock.set(due)  # the sandbox (Discord) judges nonces by this clock, the bot process by its own copy of it
    process = await spawn_bot("run-due", config.source, due, sandbox.api_base_url)

    def kill_after_accepting(method: str, route: str, status: int, body: Any) -> None:
        if (
            method == "POST"
            and route == "/channels/{channel_id}/messages"
            and status == 200
            and str(body.get("content", "")).startswith("⏰")
        ):
            os.kill(process.pid, signal.SIGKILL)

    sandbox.set_response_observer(kill_after_accepting)
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        sandbox.set_response_observer(None)
    assert process.returncode == -signal.SIGKILL, stderr.decode()[-2000:]

    messages = bot_messages(sandbox, STLGO_CHANNEL)
    assert len(messages) == 2  # Discord has the reminder...
    first_reminder = messages[1]
    row = await reminder_row(sessions)
    assert row is not None and row.status == "pending" and row.discord_id is None  # ...the ledger does not

    return due, first_reminder


async def test_killed_between_discord_and_the_ledger_posts_the_reminder_once(
    start_bot: StartBot,
    publish: Publish,
    clock: ManualClock,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
    config: Config,
) -> None:
    due, first_reminder = await crash_while_posting_the_reminder(
        start_bot, publish, clock, sandbox, sessions, config
    )

    # restarted within the dead process's lease: it waits rather than risk a second post
    clock.set(due + LEASE / 2)
    app = await start_bot()
    await app.scheduler.run_due()
    assert len(bot_messages(sandbox, STLGO_CHANNEL)) == 2
    # after the lease: resent with the same nonce, which Discord answers with the first message
    clock.set(due + LEASE + timedelta(seconds=1))
    report = await app.scheduler.run_due()
    assert report.sent == [f"profiling reminder:1d #{STLGO_CHANNEL}"]
    messages = bot_messages(sandbox, STLGO_CHANNEL)
    assert [m.id for m in messages] == [messages[0].id, first_reminder.id]
    row = await reminder_row(sessions)
    assert row is not None and row.status == "sent" and row.discord_id == first_reminder.id
    assert row.attempts == 2


async def test_restarted_after_discord_forgot_the_nonce_finds_the_message_instead_of_posting_again(
    start_bot: StartBot,
    publish: Publish,
    clock: ManualClock,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
    config: Config,
) -> None:
    due, first_reminder = await crash_while_posting_the_reminder(
        start_bot, publish, clock, sandbox, sessions, config
    )
    clock.set(due + timedelta(hours=1))  # down for an hour: Discord dedupes a nonce for a few minutes only
    app = await start_bot()
    report = await app.scheduler.run_due()
    assert report.sent == [f"profiling reminder:1d #{STLGO_CHANNEL}"]
    messages = bot_messages(sandbox, STLGO_CHANNEL)
    assert [m.id for m in messages] == [messages[0].id, first_reminder.id]  # found in the history, not resent
    row = await reminder_row(sessions)
    assert row is not None and row.status == "sent" and row.discord_id == first_reminder.id
