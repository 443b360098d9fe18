"""Scheduled posts ping nobody unless config names a role for reminders, whatever the event's text says."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import ManualClock
from bot.sandbox import SandboxServer
from tests.conftest import BASE_CONFIG
from tests.e2e.announcements.conftest import STLGO_CHANNEL, Publish, StartBot, bot_messages

ORGANIZER_ROLE = 100000000000000003
LOUD_TITLE = "@everyone Pizza @here <@&100000000000000003>"


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """StLGo's reminders may mention the organizer role; nothing else may ping."""
    (tmp_path / "events").mkdir()
    path = tmp_path / "config.yaml"
    path.write_text(
        BASE_CONFIG.replace(
            "    organizer_role_id: 100000000000000003\n",
            "    organizer_role_id: 100000000000000003\n"
            f"    announcements:\n      mention_role_id: {ORGANIZER_ROLE}\n",
        )
    )
    return path


async def test_only_reminders_ping_and_only_the_configured_role(
    start_bot: StartBot,
    publish: Publish,
    clock: ManualClock,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    start = (await publish("loud", when="Thursday, December 10, 2026", title=LOUD_TITLE)).starts_at
    app = await start_bot()
    clock.set(start - timedelta(days=7))
    await app.scheduler.run_due()
    clock.set(start - timedelta(days=1))
    await app.scheduler.run_due()
    announcement, reminder = bot_messages(sandbox, STLGO_CHANNEL)
    assert "@everyone" in announcement.content
    assert not announcement.mentions.everyone and announcement.mentions.roles == []
    assert reminder.content.startswith(f"<@&{ORGANIZER_ROLE}> ⏰ Reminder")
    assert reminder.mentions.roles == [ORGANIZER_ROLE]  # the configured role, once
    assert not reminder.mentions.everyone  # the @everyone in the title stays text
