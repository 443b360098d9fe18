"""The full life of an event through the sandbox, on a manual clock: announced, reminded, restarted,
rescheduled, walked through its agenda; every post exactly once."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.application import Application
from bot.clock import ManualClock
from bot.db.models import Post
from bot.sandbox import SandboxServer
from bot.schedule.preview import preview
from tests.e2e.announcements.conftest import (
    STLGO_CHANNEL,
    STLGO_GUILD,
    Publish,
    StartBot,
    bot_messages,
    texts,
)

CHICAGO = ZoneInfo("America/Chicago")


async def due_times(app: Application) -> dict[str, object]:
    """What `meetup-bot schedule` would show for the StLGo channel."""
    scheduler = app.scheduler
    async with scheduler.sessions() as session:
        rows = await preview(session, scheduler.config, scheduler.clock.now())
        await session.rollback()
    return {r.kind: r.due_at for r in rows if r.channel_id == STLGO_CHANNEL}


async def test_life_of_an_event(
    start_bot: StartBot,
    publish: Publish,
    clock: ManualClock,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    event = await publish("profiling", when="Thursday, December 10, 2026")
    app = await start_bot()
    await app.scheduler.run_due()
    assert texts(sandbox, STLGO_CHANNEL) == []  # a week and more ahead: nothing yet

    start = event.starts_at
    assert start.astimezone(CHICAGO).hour == 17 and start.astimezone(CHICAGO).minute == 30
    due = await due_times(app)
    assert due["announcement"] == start - timedelta(days=7)
    assert due["reminder:1d"] == start - timedelta(days=1)

    # just before the lead time: still nothing; at it: the announcement and the Discord event
    clock.set(start - timedelta(days=7, seconds=1))
    await app.scheduler.run_due()
    assert texts(sandbox, STLGO_CHANNEL) == []
    clock.set(start - timedelta(days=7))
    await app.scheduler.run_due()
    (announcement,) = bot_messages(sandbox, STLGO_CHANNEL)
    assert "Profiling Go" in announcement.content
    embed = announcement.embeds[0]
    assert embed["title"] == "Profiling Go"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert f"<t:{int(start.timestamp())}:R>" in fields["When"]
    assert "Example Hall" in fields["Where"] and "Ada Park" in fields["Presenters"]
    assert "Food and networking" in fields["Agenda"] and "Example Corp" in fields["Sponsors"]
    assert "✅ going" in fields["RSVP"] and "0 going" in fields["RSVP"]
    assert sorted(r.name for r in announcement.reactions) == sorted(["✅", "🤔", "❌"])
    (discord_event,) = [e for e in sandbox.state.events.values() if e.guild_id == STLGO_GUILD]
    assert (
        discord_event.entity_type == 3 and discord_event.location and "Example Hall" in discord_event.location
    )
    assert discord_event.scheduled_start_time == start and discord_event.scheduled_end_time == event.ends_at

    # a restart in the middle: nothing is posted twice, the next reminder still comes
    await app.close()
    app = await start_bot()
    await app.scheduler.run_due()
    assert len(bot_messages(sandbox, STLGO_CHANNEL)) == 1
    clock.set(start - timedelta(days=1))
    await app.scheduler.run_due()
    await app.scheduler.run_due()
    messages = bot_messages(sandbox, STLGO_CHANNEL)
    assert len(messages) == 2
    reminder = messages[1]
    assert reminder.content.startswith("⏰ Reminder: **Profiling Go**")
    assert reminder.message_reference is not None
    assert int(reminder.message_reference["message_id"]) == announcement.id
    assert reminder.mentions.roles == [] and not reminder.mentions.everyone

    # rescheduled to the next day: announcement edited, a notice, the reminders follow the new time
    clock.advance(timedelta(hours=1))
    await publish("profiling", when="Friday, December 11, 2026")
    await app.scheduler.run_due()
    messages = bot_messages(sandbox, STLGO_CHANNEL)
    assert len(messages) == 3
    assert messages[2].content.startswith("📅 Rescheduled: **Profiling Go**")
    new_start = start + timedelta(days=1)
    edited = sandbox.state.messages[announcement.id]
    assert edited.edited_timestamp is not None
    assert (
        f"<t:{int(new_start.timestamp())}:R>"
        in {f["name"]: f["value"] for f in edited.embeds[0]["fields"]}["When"]
    )
    assert sandbox.state.events[discord_event.id].scheduled_start_time == new_start
    due = await due_times(app)
    assert due["reminder:1d@1"] == new_start - timedelta(days=1)
    assert due["reminder:2h@1"] == new_start - timedelta(hours=2)
    assert "reminder:2h" not in due

    # the day itself: reminders, then the agenda walked through
    for moment in (
        new_start - timedelta(days=1),
        new_start - timedelta(hours=2),
        new_start,
        new_start + timedelta(minutes=40),
        new_start + timedelta(minutes=45),
    ):
        clock.set(moment)
        await app.scheduler.run_due()
    contents = texts(sandbox, STLGO_CHANNEL)[3:]
    assert [c.split(" ")[0] for c in contents] == ["⏰", "⏰", "🕒", "🎤", "🕒"]
    assert "Food and networking" in contents[2]
    assert "Main presentation starts in 5 minutes" in contents[3]
    assert "Main presentation" in contents[4]

    # the database agrees: every post sent exactly once, nothing pending
    async with sessions() as session:
        rows = list(await session.scalars(select(Post).where(Post.channel_id == STLGO_CHANNEL)))
    sent = sorted(p.kind for p in rows if p.status == "sent")
    assert sent == sorted(
        [
            "announcement",
            "scheduled_event",
            "reminder:1d",
            "notice:rescheduled:1",
            "reminder:1d@1",
            "reminder:2h@1",
            "agenda:0:start@1",
            "agenda:1:main@1",
            "agenda:1:start@1",
        ]
    )
    assert all(p.status in ("sent", "skipped") for p in rows)
    assert len({m.id for m in bot_messages(sandbox, STLGO_CHANNEL)}) == 8
