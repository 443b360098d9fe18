"""The `make run` terminal: a newcomer types commands and reactions and acts as a sample member."""

from __future__ import annotations

import asyncio
import io

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.application import Application
from bot.clock import ManualClock
from bot.config import Config
from bot.sandbox import SandboxServer
from bot.sandbox_mode import DEMO_SLUG, Console, add_demo_event_if_needed, readable
from tests.e2e.conftest import Member
from tests.waiting import wait_for

STLGO_CHANNEL = 100000000000000002


async def test_console_plays_a_member(
    app: Application,
    sandbox: SandboxServer,
    config: Config,
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    alice: Member,
) -> None:
    assert await add_demo_event_if_needed(config, sessions, clock.now())
    assert not await add_demo_event_if_needed(config, sessions, clock.now())  # only when nothing is upcoming
    out = io.StringIO()
    console = Console(sandbox.url, config, out=out)
    reader = asyncio.StreamReader()
    running = asyncio.create_task(console.run(reader))

    reader.feed_data(b"react \xe2\x9c\x85\n")  # before any announcement: says so
    await wait_for(lambda: "no announcement to react to yet" in out.getvalue(), what="the console's answer")

    reader.feed_data(b"/next-event\n")
    await wait_for(lambda: "answer to alice" in out.getvalue(), timeout=10, what="/next-event's answer")
    assert "[DEMO] Sandbox meetup" in out.getvalue()
    assert "<t:" not in out.getvalue()  # Discord timestamps shown as local times

    await app.scheduler.rebuild()  # `run` adds the demo event before the bot starts; here it came later
    await app.scheduler.run_due()  # it starts in 10 minutes: announced at once
    reader.feed_data("as bob react ✅\n".encode())
    await wait_for(lambda: "bob reacted ✅" in "\n".join(sandbox.feed_lines), what="bob's reaction")
    reader.feed_data(b"nonsense\n")
    reader.feed_data(b"quit\n")
    await asyncio.wait_for(running, 10)
    assert "? unknown: 'nonsense'" in out.getvalue()

    bob = sandbox.state.find_user("bob")
    assert bob is not None
    announcement = next(
        m
        for m in sandbox.state.channel_messages(sandbox.state.channels[STLGO_CHANNEL])
        if m.content.startswith("📣")
    )
    going = next(r for r in announcement.reactions if r.name == "✅")
    assert bob.id in going.user_ids
    async with sessions() as session:
        from bot.catalog.queries import event_by_slug

        assert (await event_by_slug(session, DEMO_SLUG)).title.startswith("[DEMO]")


def test_readable_timestamps() -> None:
    assert "<t:" not in readable("starts <t:1797637800:F> (<t:1797637800:R>) until <t:1797642000:t>")
