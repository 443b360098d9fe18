"""Cancelled and removed events, and /announce: notices reply to the announcement, the Discord event
follows, history stays in the database; only organizers may announce by hand."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import ManualClock
from bot.db.models import Post
from bot.sandbox import SandboxServer
from tests.e2e.announcements.conftest import (
    KCN_CHANNEL,
    KCN_GUILD,
    STLGO_CHANNEL,
    STLGO_GUILD,
    Publish,
    StartBot,
    bot_messages,
    day_after,
    texts,
)
from tests.e2e.conftest import Member


async def test_a_cancelled_event_gets_a_notice_its_discord_event_is_cancelled_and_reminders_stop(
    start_bot: StartBot,
    publish: Publish,
    clock: ManualClock,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    start = (await publish("profiling", when="Thursday, December 10, 2026")).starts_at
    app = await start_bot()
    clock.set(start - timedelta(days=7))
    await app.scheduler.run_due()
    (announcement,) = bot_messages(sandbox, STLGO_CHANNEL)
    (discord_event,) = sandbox.state.events.values()

    clock.advance(timedelta(days=2))
    await publish("profiling", when="Thursday, December 10, 2026", title="[Cancelled] Profiling Go")
    await app.scheduler.run_due()
    await app.scheduler.run_due()  # a second pass (or a second import) changes nothing
    messages = bot_messages(sandbox, STLGO_CHANNEL)
    assert len(messages) == 2
    assert messages[1].content.startswith("❌ **Profiling Go**") and "is cancelled" in messages[1].content
    assert messages[1].message_reference is not None
    assert int(messages[1].message_reference["message_id"]) == announcement.id
    assert sandbox.state.messages[announcement.id].embeds[0]["title"].startswith("Cancelled: ")
    assert sandbox.state.events[discord_event.id].status == 4  # CANCELED
    clock.set(start - timedelta(hours=1))
    await app.scheduler.run_due()
    assert len(bot_messages(sandbox, STLGO_CHANNEL)) == 2  # no reminders for a cancelled event


async def test_an_event_removed_from_events_dir_gets_a_notice_and_stays_in_the_database(
    start_bot: StartBot,
    publish: Publish,
    clock: ManualClock,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await publish("later-talk", when=day_after(60))  # the folder keeps a file: an emptied one never cancels
    start = (await publish("kcn-talk", when="Thursday, December 10, 2026", group="KCN-STL")).starts_at
    app = await start_bot()
    clock.set(start - timedelta(days=7))
    await app.scheduler.run_due()
    assert len(bot_messages(sandbox, KCN_CHANNEL)) == 1
    event = await publish("kcn-talk", remove=True)  # the file is gone; the event stays in the database
    await app.scheduler.run_due()
    contents = texts(sandbox, KCN_CHANNEL)
    assert len(contents) == 2 and "was removed from the schedule" in contents[1]
    assert event.removed_at == clock.now()
    async with sessions() as session:
        kinds = {p.kind for p in await session.scalars(select(Post).where(Post.event_id == event.id))}
    assert {"announcement", "cancellation"} <= kinds


async def test_announce_posts_now_for_an_organizer_and_refreshes_after(
    start_bot: StartBot,
    publish: Publish,
    sandbox: SandboxServer,
    http: aiohttp.ClientSession,
) -> None:
    await publish("profiling", when="Thursday, December 10, 2026")
    await start_bot()
    olivia = Member(http, sandbox, "olivia")
    choices = await olivia.command("announce", STLGO_GUILD, STLGO_CHANNEL, focused="slug", slug="prof")
    assert [c["value"] for c in choices["choices"]] == ["profiling"]
    answer = await olivia.command("announce", STLGO_GUILD, STLGO_CHANNEL, slug="profiling")
    assert answer["ephemeral"] is True
    assert answer["content"] == f"Posted the announcement of **Profiling Go** in <#{STLGO_CHANNEL}>."
    assert len(bot_messages(sandbox, STLGO_CHANNEL)) == 1
    again = await olivia.command("announce", STLGO_GUILD, STLGO_CHANNEL, slug="profiling")
    assert "is up to date now" in again["content"]
    assert len(bot_messages(sandbox, STLGO_CHANNEL)) == 1


async def test_announce_is_refused_to_members_who_are_not_organizers(
    start_bot: StartBot, publish: Publish, sandbox: SandboxServer, alice: Member
) -> None:
    await publish("profiling", when="Thursday, December 10, 2026")
    await start_bot()
    answer = await alice.command("announce", STLGO_GUILD, STLGO_CHANNEL, slug="profiling")
    assert answer["ephemeral"] is True
    assert answer["content"].startswith("Only StLGo organizers can use /announce.")
    assert bot_messages(sandbox, STLGO_CHANNEL) == []
    # an organizer of the other group is not an organizer here
    olivia = Member(alice.http, sandbox, "olivia")
    kcn = await olivia.command("announce", KCN_GUILD, KCN_CHANNEL, slug="profiling")
    assert "is not an event of Kubernetes & Cloud Native STL" in kcn["content"]


async def test_an_event_cancelled_before_its_announcement_is_never_announced(
    start_bot: StartBot,
    publish: Publish,
    clock: ManualClock,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    start = (await publish("profiling", when="Thursday, December 10, 2026")).starts_at
    clock.set(start - timedelta(days=8))
    app = await start_bot()
    await app.scheduler.run_due()  # planned: the announcement is a day away
    assert next(p.kind for p in app.scheduler.upcoming()) == "announcement"
    # another process (`meetup-bot import`) records the cancellation; the running bot has not replanned yet
    await publish("profiling", when="Thursday, December 10, 2026", title="[Cancelled] Profiling Go")
    clock.set(start - timedelta(days=7))
    await app.scheduler.run_due()
    assert bot_messages(sandbox, STLGO_CHANNEL) == []
    assert sandbox.state.events == {}
