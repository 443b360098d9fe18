"""The `make run` terminal: a newcomer types commands and reactions and acts as a sample member."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.application import Application
from bot.catalog.queries import event_by_slug
from bot.clock import ManualClock
from bot.config import Config, load_config
from bot.sandbox import SandboxServer
from bot.sandbox.models import Message
from bot.sandbox_mode import (
    DEMO_REMINDER,
    DEMO_SLUG,
    Console,
    SandboxStart,
    feed_printer,
    prepare_sandbox,
    readable,
    with_demo_reminder,
)
from bot.when import clock_time, day_text, when_text
from tests.e2e.rsvp.conftest import statuses
from tests.factories import insert_event
from tests.waiting import wait_for, wait_for_async

STLGO_CHANNEL = 100000000000000002
ZONE = "America/Chicago"


@pytest.fixture
def config(config_file: Path) -> Config:
    """The config as the sandbox run uses it (with the demo's short reminder)."""
    return with_demo_reminder(load_config(config_file, environ={}))


@pytest.fixture
async def start(
    config: Config, sessions: async_sessionmaker[AsyncSession], clock: ManualClock
) -> SandboxStart:
    """What `run` does after the import: nothing is announced soon, so the demo is added."""
    return await prepare_sandbox(config, sessions, clock.now())


@pytest.fixture
def printed(sandbox: SandboxServer, config: Config, clock: ManualClock) -> io.StringIO:
    """The live feed as the sandbox run prints it below the console, from before the bot starts."""
    out = io.StringIO()
    sandbox.on_feed(feed_printer(sandbox, config, clock, out=out))
    return out


@pytest.fixture
async def app(start: SandboxStart, printed: io.StringIO, app: Application) -> Application:
    """The bot (tests/e2e/conftest.py), started after the demo was added and the feed printer set, as `run`
    starts it."""
    return app


def announcements(sandbox: SandboxServer) -> list[Message]:
    channel = sandbox.state.channels[STLGO_CHANNEL]
    return [m for m in sandbox.state.channel_messages(channel) if m.content.startswith("📣")]


class Typist:
    """Types lines into a running console and reads what it printed."""

    def __init__(self, sandbox: SandboxServer, config: Config, clock: ManualClock, slug: str | None) -> None:
        self.out = io.StringIO()
        self.console = Console(sandbox.url, config, clock, out=self.out, example_slug=slug)
        self.reader = asyncio.StreamReader()
        self.task = asyncio.create_task(self.console.run(self.reader))

    async def type(self, line: str, expect: str, timeout: float = 10) -> str:
        """Types `line`; returns what the console printed for it once that contains `expect`."""
        before = len(self.out.getvalue())
        self.reader.feed_data(f"{line}\n".encode())
        await wait_for(
            lambda: expect in self.out.getvalue()[before:], timeout=timeout, what=f"{line!r}: {expect!r}"
        )
        return self.out.getvalue()[before:]

    async def quit(self) -> None:
        self.reader.feed_data(b"quit\n")
        await asyncio.wait_for(self.task, 10)


async def test_the_demo_is_announced_at_once_and_reminded_a_minute_or_two_later(
    app: Application, sandbox: SandboxServer, start: SandboxStart, clock: ManualClock
) -> None:
    assert start.demo is not None and start.example_slug == DEMO_SLUG
    now = clock.now()
    reminder_due = start.demo.starts_at - DEMO_REMINDER
    assert timedelta(minutes=1) <= reminder_due - now <= timedelta(minutes=2)
    assert start.lines[-1] == (
        f"sandbox: it is announced now and reminded {when_text(reminder_due, ZONE, now)}; RSVP with `react ✅`"
    )
    # the timer posts it as soon as the bot is connected: nobody calls the scheduler
    await wait_for(lambda: announcements(sandbox), timeout=10, what="the demo's announcement")
    assert "[DEMO] Sandbox meetup" in announcements(sandbox)[0].content

    def reminders() -> list[Message]:
        channel = sandbox.state.channels[STLGO_CHANNEL]
        return [m for m in sandbox.state.channel_messages(channel) if m.content.startswith("⏰")]

    await app.scheduler.run_due()
    assert not reminders()  # not due yet
    clock.set(reminder_due)
    await app.scheduler.run_due()
    reminder = (await wait_for(reminders, timeout=10, what="the demo's reminder"))[0]
    assert reminder.message_reference is not None
    assert int(reminder.message_reference["message_id"]) == announcements(sandbox)[0].id


async def test_console_plays_a_member(
    app: Application,
    sandbox: SandboxServer,
    config: Config,
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    start: SandboxStart,
    printed: io.StringIO,
) -> None:
    await wait_for(lambda: announcements(sandbox), timeout=10, what="the demo's announcement")
    assert start.demo is not None
    typist = Typist(sandbox, config, clock, start.example_slug)
    assert f"/event slug:{DEMO_SLUG}" in typist.console.help

    answer = await typist.type("/next-event", "answer to alice")
    starts = when_text(start.demo.starts_at, ZONE, clock.now())
    assert "[DEMO] Sandbox meetup" in answer
    assert f"When: {starts} – " in answer and "(in 10 min)" in answer
    assert "<t:" not in answer
    assert f"📣 New meetup: **[DEMO] Sandbox meetup (not a real event)**, {starts}" in printed.getvalue()
    await wait_for(lambda: f"127.0.0.1, {starts} [scheduled]" in printed.getvalue(), what="the Discord event")
    assert "<t:" not in printed.getvalue() and "+00:00" not in printed.getvalue()

    answer = await typist.type(f"/event slug:{start.example_slug}", "answer to alice")  # help's example works
    assert "No event is called" not in answer

    answer = await typist.type(f"as olivia /announce slug:{DEMO_SLUG}", "answer to olivia")
    assert "in #announcements" in answer and "<#" not in answer

    await typist.type("as bob react ✅", "bob reacted ✅")
    await typist.type("nonsense", "? unknown: 'nonsense'")
    await typist.quit()

    bob = sandbox.state.find_user("bob")
    assert bob is not None
    going = next(r for r in announcements(sandbox)[0].reactions if r.name == "✅")
    assert bob.id in going.user_ids
    async with sessions() as session:
        demo = await event_by_slug(session, DEMO_SLUG)
    assert demo.title.startswith("[DEMO]")
    await wait_for_async(lambda: _has(sessions, demo.id, bob.id, "going"), timeout=10, what="bob's RSVP")


async def test_react_on_a_chosen_announcement_and_take_it_back(
    app: Application,
    sandbox: SandboxServer,
    config: Config,
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    start: SandboxStart,
) -> None:
    await wait_for(lambda: announcements(sandbox), timeout=10, what="the demo's announcement")
    talk = await insert_event(
        sessions, "talk", starts_at=clock.now() + timedelta(days=3), title="A real talk"
    )
    await app.scheduler.rebuild()
    await app.scheduler.run_due()  # within its lead time: announced at once, after the demo
    await wait_for(lambda: len(announcements(sandbox)) == 2, timeout=10, what="the talk's announcement")
    demo_message, talk_message = announcements(sandbox)
    assert "A real talk" in talk_message.content
    async with sessions() as session:
        demo_id = (await event_by_slug(session, DEMO_SLUG)).id
    typist = Typist(sandbox, config, clock, start.example_slug)
    listed = await typist.type("announcements", "A real talk")
    assert f"{DEMO_SLUG}  [DEMO] Sandbox meetup" in listed and "talk  A real talk" in listed

    bob, carol = sandbox.state.find_user("bob"), sandbox.state.find_user("carol")
    assert bob is not None and carol is not None
    await typist.type(f"react ✅ {DEMO_SLUG} as bob", "bob reacted ✅ on [DEMO]")
    await typist.type("as carol react ✅", "carol reacted ✅ on A real talk (talk)")  # the latest
    await wait_for_async(lambda: _has(sessions, demo_id, bob.id, "going"), timeout=10, what="bob going")
    await wait_for_async(lambda: _has(sessions, talk, carol.id, "going"), timeout=10, what="carol going")
    assert bob.id not in _going(talk_message) and carol.id not in _going(demo_message)

    await typist.type(f"unreact ✅ {DEMO_SLUG} as bob", "bob took back ✅")
    await typist.type("as carol react -✅", "carol took back ✅ on A real talk")
    await typist.type("unreact ✅ as carol", "carol had no ✅ on A real talk (talk) to take back")
    await wait_for_async(lambda: _has(sessions, demo_id, bob.id, None), timeout=10, what="bob's RSVP gone")
    await wait_for_async(lambda: _has(sessions, talk, carol.id, None), timeout=10, what="carol's RSVP gone")
    assert bob.id not in _going(demo_message) and carol.id not in _going(talk_message)

    answer = await typist.type("react ✅ no-such-event", "!")
    assert (
        f"no announcement of 'no-such-event' in #announcements; announced here: {DEMO_SLUG}, talk" in answer
    )
    await typist.quit()


async def test_react_before_any_announcement_says_so(
    sandbox: SandboxServer, config: Config, clock: ManualClock
) -> None:
    typist = Typist(sandbox, config, clock, None)
    await typist.type("react ✅", "no announcement to react to yet")
    assert "/event slug:SLUG" in typist.console.help  # no event to name
    await typist.quit()


async def _has(
    sessions: async_sessionmaker[AsyncSession], event_id: int, user_id: int, status: str | None
) -> bool:
    return (await statuses(sessions, event_id)).get(user_id) == status


def _going(message: Message) -> list[int]:
    return next((r.user_ids for r in message.reactions if r.name == "✅"), [])


def stamp(moment: datetime, style: str) -> str:
    """A Discord timestamp tag, as the bot writes them."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def test_readable_names_the_day_in_the_zone_and_shows_channels_by_name(clock: ManualClock) -> None:
    now = clock.now()
    far, far_end = now + timedelta(days=20), now + timedelta(days=20, hours=2)
    near = now + timedelta(minutes=12)

    text = f"When: {stamp(far, 'F')} – {stamp(far_end, 't')} ({stamp(far, 'R')})"
    assert readable(text, ZONE, now) == f"When: {when_text(far, ZONE, now)} – {clock_time(far_end, ZONE)}"
    assert day_text(far, ZONE) in readable(text, ZONE, now)  # a far moment names its date
    text = f"When: {stamp(near, 'F')} ({stamp(near, 'R')})"
    assert readable(text, ZONE, now) == f"When: {when_text(near, ZONE, now)} (in 12 min)"
    # a time of day alone names its day; a relative time alone becomes the date
    assert readable(f"until {stamp(far_end, 't')}", ZONE, now) == f"until {when_text(far_end, ZONE, now)}"
    assert readable(f"starts {stamp(far, 'R')}", ZONE, now) == f"starts {when_text(far, ZONE, now)}"
    # a reminder of a far event: the date once, not twice
    text = f"starts {stamp(far, 'R')} ({stamp(far, 'F')}) · Hall"
    assert readable(text, ZONE, now) == f"starts {when_text(far, ZONE, now)} · Hall"
    names = {STLGO_CHANNEL: "announcements", 5: "organizer", 6: "bob"}
    assert readable("in <#100000000000000002> for <@&5> and <@6>", ZONE, now, names) == (
        "in #announcements for @organizer and @bob"
    )
    assert readable("in <#42>", ZONE, now) == "in #unknown-channel"
