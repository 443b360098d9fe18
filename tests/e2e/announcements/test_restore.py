"""A source that lost its files must not mass-cancel, and a file that comes back restores its event.

The real bot against the sandbox, a real SQLite file, real event files: an emptied or mostly emptied
events_dir cancels nothing and tells the organizers once; a removed event whose file comes back before its
start has its announcement edited back, a new Discord event and one "back on" post (and DM), never repeated
by a restart; a second remove/restore cycle is told again."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.run import _serve
from bot.clock import ManualClock
from bot.config import Config, DiscordConfig
from bot.db.models import Event
from bot.sandbox import SandboxServer
from bot.sandbox.models import ScheduledEvent
from tests.e2e.announcements.conftest import (
    LOG_CHANNEL,
    STLGO_CHANNEL,
    STLGO_GUILD,
    Publish,
    StartBot,
    bot_messages,
    day_after,
    texts,
)
from tests.e2e.conftest import Member
from tests.waiting import wait_for

KEPT = "events are kept; nothing was cancelled"
SCHEDULED, CANCELED = 1, 4


async def dms(http: aiohttp.ClientSession, sandbox: SandboxServer, user_id: int) -> list[str]:
    async with http.get(f"{sandbox.url}/sandbox/dms/{user_id}") as response:
        assert response.status == 200
        return [m["content"] for m in await response.json()]


def discord_events(sandbox: SandboxServer, name: str) -> list[ScheduledEvent]:
    return sorted((e for e in sandbox.state.events.values() if e.name == name), key=lambda e: e.id)


async def removed(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        return list(await session.scalars(select(Event.slug).where(Event.removed_at.is_not(None))))


async def announce_three(
    publish: Publish, start_bot: StartBot, clock: ManualClock, sandbox: SandboxServer
) -> list[Event]:
    """Three upcoming events and a past one in events_dir, the three announced with their Discord events."""
    await publish("old", when=day_after(-30))
    events = [await publish(slug, when=day_after(days)) for slug, days in (("a", 3), ("b", 4), ("c", 5))]
    app = await start_bot()
    await app.scheduler.run_due()
    assert len(texts(sandbox, STLGO_CHANNEL)) == 3
    assert [e.status for e in sandbox.state.events.values()] == [SCHEDULED] * 3
    await app.close()
    return events


async def test_the_bot_started_on_an_emptied_events_dir_cancels_nothing_and_tells_the_organizers(
    publish: Publish,
    start_bot: StartBot,
    clock: ManualClock,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
    config: Config,
) -> None:
    await announce_three(publish, start_bot, clock, sandbox)
    for path in config.events_dir.iterdir():  # a checkout being replaced: the folder is there, empty
        path.unlink()
    # `meetup-bot run` with a token, against the sandbox: its start-up import, then the bot
    serving = config.model_copy(update={"discord": DiscordConfig(api_base_url=sandbox.api_base_url)})
    stop = asyncio.Event()
    bot = asyncio.create_task(_serve(serving, "test-token", clock, stop, ()))
    try:
        warnings = await wait_for(
            lambda: [t for t in texts(sandbox, LOG_CHANNEL) if KEPT in t],
            timeout=20,
            what="the organizers told that events_dir looks broken",
        )
    finally:
        stop.set()
        assert await asyncio.wait_for(bot, 20) == 0
    assert warnings == [
        f"⚠️ meetup-bot: {config.events_dir} holds no event files (4 of 4 vanished): {KEPT}. Check the folder "
        "(events_dir in the config); an empty folder never cancels: to cancel an event, mark it cancelled "
        "in its file."
    ]
    assert await removed(sessions) == []
    assert not any(t.startswith("❌") for t in texts(sandbox, STLGO_CHANNEL))
    assert [e.status for e in sandbox.state.events.values()] == [SCHEDULED] * 3


async def test_a_running_bot_whose_folder_lost_three_of_four_files_cancels_nothing_and_tells_once(
    publish: Publish,
    start_bot: StartBot,
    clock: ManualClock,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
    config: Config,
) -> None:
    await announce_three(publish, start_bot, clock, sandbox)
    app = await start_bot()
    for slug in ("a", "b", "c"):
        (config.events_dir / f"{slug}.md").unlink()
    await app.scheduler.resync()
    await app.scheduler.resync()  # five minutes later, still broken: not told again
    assert texts(sandbox, STLGO_CHANNEL)[3:] == []
    (warning,) = texts(sandbox, LOG_CHANNEL)
    assert f"{config.events_dir} lost 3 of its 4 event files at once" in warning and KEPT in warning
    assert "removal_guard.max_share" in warning
    assert await removed(sessions) == []
    assert [e.status for e in sandbox.state.events.values()] == [SCHEDULED] * 3


async def test_a_running_bot_whose_folder_lost_one_of_four_files_cancels_that_one(
    publish: Publish,
    start_bot: StartBot,
    clock: ManualClock,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
    config: Config,
) -> None:
    await announce_three(publish, start_bot, clock, sandbox)
    app = await start_bot()
    (config.events_dir / "b.md").unlink()
    await app.scheduler.resync()
    (cancellation,) = texts(sandbox, STLGO_CHANNEL)[3:]
    assert cancellation.startswith("❌ **Profiling Go**") and "was removed from the schedule" in cancellation
    assert texts(sandbox, LOG_CHANNEL) == []
    assert await removed(sessions) == ["b"]
    assert sorted(e.status for e in sandbox.state.events.values()) == [SCHEDULED, SCHEDULED, CANCELED]


async def test_a_removed_event_whose_file_comes_back_is_back_on_once_and_again_after_a_second_removal(
    publish: Publish,
    start_bot: StartBot,
    clock: ManualClock,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
    http: aiohttp.ClientSession,
) -> None:
    await publish("later-talk", when=day_after(60))  # the folder keeps a file: an emptied one never cancels
    event = await publish("profiling", when=day_after(9))
    app = await start_bot()
    clock.set(event.starts_at - timedelta(days=7))
    await app.scheduler.run_due()
    (announcement,) = bot_messages(sandbox, STLGO_CHANNEL)
    (first,) = discord_events(sandbox, "Profiling Go")
    alice = Member(http, sandbox, "alice")
    answer = await alice.command("rsvp", STLGO_GUILD, STLGO_CHANNEL, slug="profiling", status="going")
    assert answer["content"] == "You're going to **Profiling Go**."

    await publish("profiling", remove=True)
    await app.scheduler.run_due()
    assert "was removed from the schedule" in texts(sandbox, STLGO_CHANNEL)[1]
    assert sandbox.state.messages[announcement.id].embeds[0]["title"].startswith("Cancelled: ")
    assert sandbox.state.events[first.id].status == CANCELED
    assert len(await dms(http, sandbox, alice.id)) == 1

    clock.advance(timedelta(hours=1))
    await publish("profiling", when=day_after(9))  # the file is back before the start
    await app.scheduler.run_due()
    await app.scheduler.run_due()  # a second pass changes nothing
    contents = texts(sandbox, STLGO_CHANNEL)
    back_on = [m for m in bot_messages(sandbox, STLGO_CHANNEL) if m.content.startswith("✅ Back on")]
    assert len(contents) == 3 and len(back_on) == 1
    assert back_on[0].content.startswith("✅ Back on: **Profiling Go** is happening after all")
    assert back_on[0].message_reference is not None
    assert int(back_on[0].message_reference["message_id"]) == announcement.id
    assert sandbox.state.messages[announcement.id].embeds[0]["title"] == "Profiling Go"
    old, new = discord_events(sandbox, "Profiling Go")
    assert (old.id, old.status, new.status) == (first.id, CANCELED, SCHEDULED)
    told = await dms(http, sandbox, alice.id)
    assert len(told) == 2 and "is back on after all" in told[1]

    await app.close()  # a restart: nothing is told twice, no third Discord event
    app = await start_bot()
    clock.advance(timedelta(minutes=5))
    await app.scheduler.run_due()
    assert len(texts(sandbox, STLGO_CHANNEL)) == 3
    assert len(discord_events(sandbox, "Profiling Go")) == 2
    assert len(await dms(http, sandbox, alice.id)) == 2

    # a second cycle is a new cancellation and a new "back on"
    await publish("profiling", remove=True)
    await app.scheduler.run_due()
    assert "was removed from the schedule" in texts(sandbox, STLGO_CHANNEL)[3]
    assert sandbox.state.events[new.id].status == CANCELED
    await publish("profiling", when=day_after(9))
    await app.scheduler.run_due()
    contents = texts(sandbox, STLGO_CHANNEL)
    assert len(contents) == 5 and contents[4].startswith("✅ Back on")
    assert [e.status for e in discord_events(sandbox, "Profiling Go")] == [CANCELED, CANCELED, SCHEDULED]
    assert sandbox.state.messages[announcement.id].embeds[0]["title"] == "Profiling Go"
    assert len(await dms(http, sandbox, alice.id)) == 4
    assert await removed(sessions) == []
