"""`meetup-bot events`: each start in the event's own zone, naming its date unless it is today."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.main import main
from bot.clock import ManualClock
from bot.when import day_text
from tests.factories import NOW, insert_event


async def test_events_table_names_the_local_day(
    config_file: Path, sessions: async_sessionmaker[AsyncSession], capsys: pytest.CaptureFixture[str]
) -> None:
    tonight = NOW + timedelta(hours=6)  # 6 pm CST: already tomorrow in UTC
    later = tonight + timedelta(days=15)
    await insert_event(sessions, "tonight", starts_at=tonight, title="Tonight Talk")
    await insert_event(sessions, "later", starts_at=later, title="Later Talk")
    argv = ["--config", str(config_file), "events"]
    assert await asyncio.to_thread(main, argv, ManualClock(NOW)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "today at 6:00 PM CST  tonight"
    assert lines[3] == f"{day_text(later, 'America/Chicago')} at 6:00 PM CST  later"
    assert re.fullmatch(r"\w{3}, \w{3} \d{1,2}, \d{4} at 6:00 PM CST  later", lines[3])
