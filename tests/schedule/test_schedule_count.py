"""`meetup-bot schedule`'s last line counts the posts it would make in English: `1 post`, `2 posts`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.catalog.importer import import_paths
from bot.cli.schedule import schedule_command
from bot.clock import ManualClock
from bot.config import Config, load_config
from tests.conftest import BASE_CONFIG
from tests.factories import NOW


def online_meetup(title: str, days: int) -> str:
    """An online StLGo event without an agenda, `days` after NOW: no Discord event and no agenda posts."""
    day = (NOW + timedelta(days=days)).astimezone(ZoneInfo("America/Chicago"))
    return (
        f"# {title}\n\n## Meta\n| | |\n| --- | --- |\n| **When:** | {day:%A, %B} {day.day}, {day.year} |\n"
        "| **Where:** | YouTube |\n| **Hosting Group:** | StLGo |\n"
    )


@pytest.fixture
def config(config_file: Path) -> Config:
    """The tests' config with no reminders: an announcement is all an online event owes."""
    config_file.write_text(BASE_CONFIG + "announcements:\n  reminders: []\n")
    return load_config(config_file, environ={})


async def test_one_post_is_a_post_and_two_are_posts(
    config: Config,
    sessions: async_sessionmaker[AsyncSession],
    write_event: Callable[[str, str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_event("first.md", online_meetup("First Talk", days=20))
    async with sessions.begin() as session:
        assert (await import_paths(session, [config.events_dir], config.parse_options(), NOW)).ok
    assert await schedule_command(config, as_json=False, clock=ManualClock(NOW)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if "first" in line and "announcement" in line], lines
    assert lines[-1] == "1 post; times in America/Chicago"

    write_event("second.md", online_meetup("Second Talk", days=27))
    async with sessions.begin() as session:
        assert (await import_paths(session, [config.events_dir], config.parse_options(), NOW)).ok
    assert await schedule_command(config, as_json=False, clock=ManualClock(NOW)) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2 posts; times in America/Chicago"
