"""Announcement fixtures: a log channel in config, event files written and imported at the clock's time,
and bots that can be stopped and started again on the same database and sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from textwrap import dedent
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.application import Application
from bot.catalog import queries
from bot.catalog.importer import import_paths
from bot.catalog.removal import mark_removed
from bot.clock import ManualClock
from bot.config import Config
from bot.db.models import Event
from bot.discord_app.services import Services
from bot.sandbox import SandboxServer, SeedGuild
from bot.sandbox.models import Message
from bot.sandbox_mode import seed_from_config
from tests.conftest import BASE_CONFIG
from tests.e2e.conftest import NOW
from tests.spec_check import SpecRecorder

STLGO_GUILD, STLGO_CHANNEL = 100000000000000001, 100000000000000002
KCN_GUILD, KCN_CHANNEL = 100000000000000011, 100000000000000012
LOG_CHANNEL = 100000000000000009

EVENT = """\
# {title}
https://www.meetup.com/example/events/1/

## Meta
| | |
| --- | --- |
| **When:** | {when} |
| **Where:** | {where} |
| **Presenter:** | Ada Park |
| **Hosting Group:** | {group} |{extra}

## Presentation
A talk about profiling Go programs.

## Sponsors
Thanks to Example Corp for the pizza.

## Event
* 5:30 - 6:00 Food and networking
* 6:15 - 7:00 Main presentation
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """The shared test config plus announcements: StLGo reports failures to a log channel."""
    (tmp_path / "events").mkdir()
    path = tmp_path / "config.yaml"
    text = BASE_CONFIG.replace(
        "    organizer_role_id: 100000000000000003\n",
        "    organizer_role_id: 100000000000000003\n"
        f"    announcements:\n      log_channel_id: {LOG_CHANNEL}\n",
    )
    path.write_text(text)
    return path


@pytest.fixture
async def sandbox(config: Config, recorder: SpecRecorder, clock: ManualClock) -> AsyncIterator[SandboxServer]:
    seed = seed_from_config(config)
    first, group = seed.guilds[0], config.groups[0]
    extra = [(LOG_CHANNEL, "bot-log")]
    if group.organizer_channel_id is not None:
        extra.append((group.organizer_channel_id, "organizers"))
    seed.guilds[0] = SeedGuild(
        first.guild_id, first.name, first.announce_channel_id, first.organizer_role_id, extra_channels=extra
    )
    server = SandboxServer(seed, now=clock.now)  # Discord judges "in the past" by the test's clock
    server.set_request_validator(recorder.validate_request)
    server.set_response_observer(recorder.observe_response)
    await server.start()
    yield server
    await server.stop()


Publish = Callable[..., Awaitable[Event]]


@pytest.fixture
def publish(sessions: async_sessionmaker[AsyncSession], config: Config, clock: ManualClock) -> Publish:
    """Write (or rewrite, or with remove=True delete) an event file, import events_dir as `run` does, and
    return the event as stored."""

    async def write(slug: str, *, remove: bool = False, **fields: str) -> Event:
        path = config.events_dir / f"{slug}.md"
        if remove:
            path.unlink()
        else:
            values = {
                "title": "Profiling Go",
                "where": "Example Hall, 1 Main St - St. Louis, MO",
                "group": "StLGo",
                "extra": "",  # more Meta rows, each starting with "\n"
            }
            values.update(fields)
            path.write_text(dedent(EVENT.format(**values)), encoding="utf-8")
        async with sessions.begin() as session:
            report = await import_paths(session, [config.events_dir], config.parse_options(), clock.now())
            await mark_removed(session, config.events_dir, clock.now())
        assert report.ok, report.errors
        async with sessions() as session:
            return await queries.event_by_slug(session, slug)

    return write


def day_after(days: int) -> str:
    """A `When:` value `days` after the tests' NOW, as a file writes it ("Thursday, December 10, 2026")."""
    day = (NOW + timedelta(days=days)).astimezone(ZoneInfo("America/Chicago"))
    return f"{day:%A, %B} {day.day}, {day.year}"


StartBot = Callable[[], Awaitable[Application]]


@pytest.fixture
async def start_bot(
    config: Config, sessions: async_sessionmaker[AsyncSession], sandbox: SandboxServer, clock: ManualClock
) -> AsyncIterator[StartBot]:
    """Starts a bot (again and again: a restart is close() then start_bot()); all are closed at the end."""
    apps: list[Application] = []

    async def start(**options: Any) -> Application:
        app = Application(
            Services(config, sessions, clock),
            "test-token",
            api_base_url=sandbox.api_base_url,
            guild_ready_timeout=0.05,
            **options,
        )
        apps.append(app)
        await app.start()
        await app.wait_ready(timeout=15)
        return app

    yield start
    for app in apps:
        await app.close()


def bot_messages(sandbox: SandboxServer, channel_id: int) -> list[Message]:
    state = sandbox.state
    return [
        m
        for m in state.channel_messages(state.channels[channel_id])
        if m.author_id == sandbox.bot_user_id and not m.deleted
    ]


def texts(sandbox: SandboxServer, channel_id: int) -> list[str]:
    return [m.content for m in bot_messages(sandbox, channel_id)]
