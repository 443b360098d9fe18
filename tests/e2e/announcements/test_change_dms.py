"""Changes acted on in the pass that first sees them, and told to the members who said they would come:
a removed file (noticed by the running bot's periodic import), a cancellation found at start-up, a new time.
One DM per member and change, through the post ledger: never twice, not after a restart, closed DMs recorded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import ManualClock
from bot.config import Config
from bot.db.models import Post, Rsvp
from bot.sandbox import SandboxServer
from bot.schedule.timer import Timer
from bot.when import clock_time, day_text, when_text
from tests.e2e.announcements.conftest import (
    KCN_CHANNEL,
    STLGO_CHANNEL,
    STLGO_GUILD,
    Publish,
    StartBot,
    day_after,
    texts,
)
from tests.e2e.conftest import Member
from tests.waiting import wait_for

CHICAGO = ZoneInfo("America/Chicago")


async def dms(http: aiohttp.ClientSession, sandbox: SandboxServer, user_id: int) -> list[str]:
    """What the bot sent the member by DM, as the control API shows it."""
    async with http.get(f"{sandbox.url}/sandbox/dms/{user_id}") as response:
        assert response.status == 200
        return [m["content"] for m in await response.json()]


async def new_member(http: aiohttp.ClientSession, sandbox: SandboxServer, name: str, **body: Any) -> Member:
    payload = {"guild_id": str(STLGO_GUILD), "name": name, **body}
    async with http.post(f"{sandbox.url}/sandbox/members", json=payload) as response:
        assert response.status == 201, await response.text()
    return Member(http, sandbox, name)


async def rsvp(member: Member, status: str) -> str:
    answer = await member.command("rsvp", STLGO_GUILD, STLGO_CHANNEL, slug="profiling", status=status)
    content: str = answer["content"]
    return content


async def test_a_file_removed_while_the_bot_runs_is_cancelled_in_the_next_pass_and_members_are_told_once(
    start_bot: StartBot,
    publish: Publish,
    clock: ManualClock,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
    config: Config,
    http: aiohttp.ClientSession,
) -> None:
    await publish("later-talk", when=day_after(60))  # the folder keeps a file: an emptied one never cancels
    capacity = "\n| **Capacity:** | 1 |"
    event = await publish("profiling", when=day_after(9), group="StLGo, KCN-STL", extra=capacity)
    app = await start_bot()
    clock.set(event.starts_at - timedelta(days=7))
    await app.scheduler.run_due()
    assert len(texts(sandbox, STLGO_CHANNEL)) == 1 and len(texts(sandbox, KCN_CHANNEL)) == 1

    alice, bob, carol = (Member(http, sandbox, name) for name in ("alice", "bob", "carol"))
    erin = await new_member(http, sandbox, "erin")
    dora = await new_member(http, sandbox, "dora", dms_open=False)
    assert await rsvp(alice, "going") == "You're going to **Profiling Go**."
    assert "on the waitlist at place 1" in await rsvp(erin, "going")
    assert (await rsvp(bob, "maybe")).startswith("You're a maybe")
    assert (await rsvp(carol, "not_going")).startswith("Noted: you're not going")
    assert (await rsvp(dora, "maybe")).startswith("You're a maybe")

    # the file goes (a `git pull`); nobody runs `import`: the bot's own periodic pass notices it
    (config.events_dir / "profiling.md").unlink()
    await app.scheduler.resync()
    for channel in (STLGO_CHANNEL, KCN_CHANNEL):
        contents = texts(sandbox, channel)
        assert len(contents) == 2 and "was removed from the schedule" in contents[1]
    start = event.starts_at
    told = (
        f"❌ **Profiling Go** on {day_text(start, CHICAGO)} at {clock_time(start, CHICAGO)} is cancelled. "
        "Sorry for the change of plans."
    )
    # one DM each for going, waitlisted and maybe, though two groups posted the cancellation
    for member in (alice, erin, bob):
        assert await dms(http, sandbox, member.id) == [told], member.name
    assert await dms(http, sandbox, carol.id) == []  # not going: nothing
    assert await dms(http, sandbox, dora.id) == []  # closed DMs: recorded, not retried
    async with sessions() as session:
        dm_failed = await session.scalar(
            select(Rsvp.dm_failed).where(Rsvp.event_id == event.id, Rsvp.user_id == dora.id)
        )
        row = await session.scalar(select(Post).where(Post.event_id == event.id, Post.channel_id == dora.id))
    assert dm_failed is True
    assert row is not None and row.kind == "dm:cancellation" and row.status == "skipped"

    # another pass, and a restart: nobody is told twice, the closed DMs are not tried again
    await app.scheduler.resync()
    await app.close()
    app = await start_bot()
    clock.advance(timedelta(hours=1))
    await app.scheduler.run_due()
    for member in (alice, erin, bob):
        assert len(await dms(http, sandbox, member.id)) == 1, member.name
    assert len(texts(sandbox, STLGO_CHANNEL)) == 2 and len(texts(sandbox, KCN_CHANNEL)) == 2
    async with sessions() as session:
        row = await session.scalar(select(Post).where(Post.event_id == event.id, Post.channel_id == dora.id))
    assert row is not None and row.attempts == 1


async def test_a_reschedule_tells_each_member_once_per_change_with_the_new_time_in_the_events_zone(
    start_bot: StartBot,
    publish: Publish,
    clock: ManualClock,
    sandbox: SandboxServer,
    http: aiohttp.ClientSession,
) -> None:
    event = await publish("profiling", when=day_after(9))
    app = await start_bot()
    clock.set(event.starts_at - timedelta(days=7))
    await app.scheduler.run_due()
    alice, carol = Member(http, sandbox, "alice"), Member(http, sandbox, "carol")
    await rsvp(alice, "going")
    await rsvp(carol, "not_going")

    moved = await publish("profiling", when=day_after(10))  # `meetup-bot import` in another process
    await app.scheduler.run_due()
    assert "Rescheduled" in texts(sandbox, STLGO_CHANNEL)[-1]
    first = (
        f"📅 **Profiling Go** moved to {when_text(moved.starts_at, CHICAGO, clock.now())}. "
        "Your RSVP stands; change it if the new time does not suit you."
    )
    assert await dms(http, sandbox, alice.id) == [first]
    assert await dms(http, sandbox, carol.id) == []

    await app.close()  # a restart tells nobody again
    app = await start_bot()
    await app.scheduler.run_due()
    assert await dms(http, sandbox, alice.id) == [first]

    again = await publish("profiling", when=day_after(11))  # a second change: a second DM
    await app.scheduler.run_due()
    told = await dms(http, sandbox, alice.id)
    assert len(told) == 2 and when_text(again.starts_at, CHICAGO, clock.now()) in told[1]
    assert await dms(http, sandbox, carol.id) == []


async def test_a_file_removed_while_the_bot_was_down_is_cancelled_at_start_up_not_when_another_post_is_due(
    start_bot: StartBot, publish: Publish, clock: ManualClock, sandbox: SandboxServer
) -> None:
    await publish("later-talk", when=day_after(60))  # the folder keeps a file: an emptied one never cancels
    event = await publish("profiling", when=day_after(9))
    app = await start_bot()
    clock.set(event.starts_at - timedelta(days=7))
    await app.scheduler.run_due()
    await app.close()
    await publish("profiling", remove=True)  # `run` (or `import`) marks it removed while the bot is down
    await start_bot()  # the next post due is a reminder six days away: the timer must not wait for it
    await wait_for(
        lambda: any("was removed from the schedule" in t for t in texts(sandbox, STLGO_CHANNEL)),
        timeout=10,
        what="the cancellation, posted by the first pass after start-up",
    )
    assert len(texts(sandbox, STLGO_CHANNEL)) == 2


async def test_the_timer_imports_events_dir_and_posts_the_cancellation_in_the_same_pass(
    start_bot: StartBot, publish: Publish, clock: ManualClock, sandbox: SandboxServer, config: Config
) -> None:
    await publish("later-talk", when=day_after(60))  # the folder keeps a file: an emptied one never cancels
    event = await publish("profiling", when=day_after(9))
    app = await start_bot()
    clock.set(event.starts_at - timedelta(days=7))
    await app.scheduler.run_due()
    await app.timer.stop()  # the same timer, resyncing every 0.2 s instead of every 5 minutes
    timer = Timer(app.scheduler, clock, resync_every=timedelta(seconds=0.2))
    timer.start()
    try:
        (config.events_dir / "profiling.md").unlink()
        await wait_for(
            lambda: any("was removed from the schedule" in t for t in texts(sandbox, STLGO_CHANNEL)),
            timeout=10,
            what="the cancellation after the periodic import",
        )
    finally:
        await timer.stop()
