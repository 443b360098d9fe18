"""A bot process SIGKILLed while it sends a 1-minute reminder: the next process retries it within that
minute, not after a lease longer than the reminder's window, and the reminder is in the channel once.

The kill is real: the bot runs in a subprocess (tests/e2e/announcements/crash_bot.py) and the sandbox kills
it from inside its request handling while the reminder's POST is in flight, either before Discord stored
the message (the request is then refused, as one cut off in transit) or after.
"""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import ManualClock
from bot.config import Config
from bot.db.models import Post
from bot.sandbox import SandboxServer
from bot.schedule import ledger
from tests.conftest import BASE_CONFIG
from tests.e2e.announcements.conftest import STLGO_CHANNEL, Publish, StartBot, bot_messages, day_after
from tests.e2e.bot_process import spawn_bot
from tests.spec_check import SpecRecorder
from tests.waiting import wait_for, wait_for_async

pytestmark = pytest.mark.faults

KIND = "reminder:1m"


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """One reminder, a minute before the start: a window shorter than any lease that is not renewed."""
    (tmp_path / "events").mkdir()
    path = tmp_path / "config.yaml"
    path.write_text(BASE_CONFIG + "announcements:\n  reminders: [1m]\n")
    return path


async def reminder_row(sessions: async_sessionmaker[AsyncSession]) -> Post:
    async with sessions() as session:
        found = await session.scalar(select(Post).where(Post.kind == KIND))
    assert found is not None
    return found


@pytest.mark.parametrize("stored", [False, True], ids=["killed-before-discord-stored-it", "killed-after"])
async def test_a_send_cut_short_by_a_kill_is_retried_within_the_reminders_minute(
    stored: bool,
    start_bot: StartBot,
    publish: Publish,
    clock: ManualClock,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
    config: Config,
    recorder: SpecRecorder,
) -> None:
    start = (await publish("profiling", when=day_after(10))).starts_at
    clock.set(start - timedelta(days=7))
    app = await start_bot()
    await app.scheduler.run_due()
    await app.close()
    (announcement,) = bot_messages(sandbox, STLGO_CHANNEL)

    due = start - timedelta(minutes=1)
    clock.set(due)
    process = await spawn_bot("run-due", config.source, due, sandbox.api_base_url)

    def kill_in_flight(method: str, route: str, body: Any) -> Any:
        reminder = method == "POST" and route == "/channels/{channel_id}/messages"
        if reminder and isinstance(body, dict) and str(body.get("content", "")).startswith("⏰"):
            os.kill(process.pid, signal.SIGKILL)
            if not stored:  # the request dies on the way: Discord refuses it and keeps nothing
                return [(["content"], "the sender was killed before this request arrived whole")]
        return recorder.validate_request(method, route, body)

    sandbox.set_request_validator(kill_in_flight)
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        sandbox.set_request_validator(recorder.validate_request)
    assert process.returncode == -signal.SIGKILL, stderr.decode()[-2000:]
    assert len(bot_messages(sandbox, STLGO_CHANNEL)) == (2 if stored else 1)
    assert (await reminder_row(sessions)).status == "pending"

    clock.set(due + timedelta(seconds=5))  # restarted at once (a supervisor, systemd)
    app = await start_bot()
    await wait_for(lambda: app.timer.running, what="the restarted bot's timer")  # planned from the database
    wake = app.scheduler.next_due()  # when the restarted process's timer retries the reminder
    assert wake is not None and wake <= due + timedelta(seconds=30), wake
    clock.set(wake)
    report = await app.scheduler.run_due()
    assert report.sent == [f"profiling {KIND} #{STLGO_CHANNEL}"]

    messages = bot_messages(sandbox, STLGO_CHANNEL)
    assert messages[0].id == announcement.id
    reminders = [m for m in messages if m.content.startswith("⏰")]
    assert len(reminders) == 1 and len(messages) == 2  # posted, once (a resend inside Discord's nonce window)
    row = await reminder_row(sessions)
    assert row.status == "sent" and row.discord_id == reminders[0].id and row.attempts == 2


async def test_a_live_sender_keeps_its_claim_while_a_slow_send_outlasts_the_lease(
    start_bot: StartBot,
    publish: Publish,
    clock: ManualClock,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
    http: aiohttp.ClientSession,
) -> None:
    """Short leases must not hand a post that is still being sent to another process: the sender renews.

    The send is slow for real: Discord rate-limits the channel's message POSTs (control API), so discord.py
    waits inside the send, while the test's clock moves past the lease."""
    start = (await publish("profiling", when=day_after(10))).starts_at
    limit = {"route": "POST /channels/{channel_id}/messages", "limit": 1, "per": 2}
    async with http.post(f"{sandbox.url}/sandbox/rate-limits", json=limit) as response:
        assert response.status == 200, await response.text()
    clock.set(start - timedelta(days=7))
    app = await start_bot()
    await wait_for(lambda: app.timer.running, what="the timer")
    await app.timer.stop()  # this test runs the passes itself
    app.scheduler.renew_every = timedelta(milliseconds=50)
    await app.scheduler.run_due()  # the announcement takes the channel's one POST of the next 2 s
    clock.set(start - timedelta(minutes=1))
    sending = asyncio.create_task(app.scheduler.run_due())

    async def claimed() -> Post | None:
        async with sessions() as session:
            found = await session.scalar(select(Post).where(Post.kind == KIND, Post.claim_token.is_not(None)))
        return found

    first = await wait_for_async(claimed, what="the reminder claimed and being sent")
    assert first.not_before is not None
    clock.set(first.not_before + timedelta(seconds=1))  # the send outlasts the lease it was claimed with

    async def renewed() -> bool:
        row = await reminder_row(sessions)
        return row.status == "pending" and row.not_before is not None and row.not_before > clock.now()

    await wait_for_async(renewed, what="the sender renewing its claim")
    async with sessions.begin() as session:  # another process looking for work finds none
        await ledger.claim_pending(session, "another-process", clock.now())
        assert await ledger.claimed(session, "another-process") == []
    report = await asyncio.wait_for(sending, timeout=30)
    assert report.sent == [f"profiling {KIND} #{STLGO_CHANNEL}"]
    row = await reminder_row(sessions)
    assert row.status == "sent" and row.attempts == 1
