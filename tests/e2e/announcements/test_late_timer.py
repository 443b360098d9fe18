"""A wake-up that fires late (a busy machine: APScheduler's "Run time of job ... was missed by 0:00:10")
still posts what the ledger owes; no misfire grace time drops it.

The lateness is real: the test holds the event loop (bot, APScheduler and sandbox all run on it) with a
blocking call until well past the moment the real APScheduler job was due, as a loaded machine would.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import aiohttp

from bot.clock import ManualClock
from bot.sandbox import SandboxServer
from tests.e2e.announcements.conftest import STLGO_CHANNEL, Publish, StartBot, day_after, texts
from tests.waiting import wait_for

# APScheduler's default misfire_grace_time is 1 s: the loop is held for longer than that past the due time
HELD_PAST_DUE = timedelta(seconds=2)


def hold_the_loop_until(moment: datetime) -> None:
    """Blocks the event loop (nothing else runs) until the wall clock reaches `moment`: load, not a wait."""
    while (left := (moment - datetime.now(UTC)).total_seconds()) > 0:
        time.sleep(left)


async def test_a_reminder_whose_wake_up_runs_late_is_still_posted(
    start_bot: StartBot, publish: Publish, clock: ManualClock, sandbox: SandboxServer
) -> None:
    start = (await publish("profiling", when=day_after(10))).starts_at
    clock.set(start - timedelta(days=7))
    app = await start_bot()
    await wait_for(lambda: app.timer.running, what="the timer")
    await wait_for(lambda: len(texts(sandbox, STLGO_CHANNEL)) == 1, timeout=10, what="the announcement")

    clock.set(start - timedelta(days=1))  # the 1-day reminder is due now
    app.timer.arm()
    wake = app.timer.next_wake()
    assert wake is not None
    hold_the_loop_until(wake + HELD_PAST_DUE)

    await wait_for(
        lambda: len(texts(sandbox, STLGO_CHANNEL)) == 2, timeout=10, what="the late wake-up's post"
    )
    reminder = texts(sandbox, STLGO_CHANNEL)[1]
    assert reminder.startswith("⏰ Reminder: **Profiling Go**")


async def test_a_post_falling_due_during_a_long_pass_is_posted_when_the_pass_ends(
    start_bot: StartBot,
    publish: Publish,
    clock: ManualClock,
    sandbox: SandboxServer,
    http: aiohttp.ClientSession,
) -> None:
    """The pass re-arms the wake-up for "now" while it still runs; APScheduler must not skip that wake-up as
    a second instance of a running job (a skipped date job is gone, and the reminder with it)."""
    first = (await publish("first", when=day_after(10))).starts_at
    second = (await publish("second", when=day_after(11), title="Tracing Go")).starts_at
    limit = {"route": "POST /channels/{channel_id}/messages", "limit": 1, "per": 2}
    async with http.post(f"{sandbox.url}/sandbox/rate-limits", json=limit) as response:
        assert response.status == 200, await response.text()
    clock.set(second - timedelta(days=7))  # both announcements are due: the second waits on the rate limit
    app = await start_bot()
    await wait_for(lambda: len(texts(sandbox, STLGO_CHANNEL)) == 1, timeout=10, what="the first announcement")
    clock.set(first - timedelta(days=1))  # meanwhile the first event's reminder falls due
    await wait_for(lambda: len(texts(sandbox, STLGO_CHANNEL)) == 3, timeout=15, what="the reminder")
    assert texts(sandbox, STLGO_CHANNEL)[2].startswith("⏰ Reminder: **Profiling Go**")
    assert app.timer.running
