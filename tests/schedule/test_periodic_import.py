"""The running bot's periodic import of events_dir: new, changed and removed files reach the database, and each
import problem is logged once (not every five minutes, and not twice)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import ManualClock
from bot.config import Config
from bot.db.models import Event
from bot.schedule.service import Scheduler
from tests.factories import NOW


def meetup(title: str, days: int = 20) -> str:
    day = (NOW + timedelta(days=days)).astimezone(ZoneInfo("America/Chicago"))
    return (
        f"# {title}\n\n## Meta\n| | |\n| --- | --- |\n| **When:** | {day:%A, %B} {day.day}, {day.year} |\n"
        "| **Where:** | Example Hall |\n| **Hosting Group:** | StLGo |\n"
    )


BROKEN = "# Broken\n\n## Meta\n| | |\n| --- | --- |\n| **Where:** | Online |\n"


def warnings_about(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and text in r.getMessage()]


async def test_the_periodic_import_stores_changes_marks_removals_and_logs_each_problem_once(
    config: Config,
    sessions: async_sessionmaker[AsyncSession],
    write_event: Callable[[str, str], Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    scheduler = Scheduler(config, sessions, ManualClock(NOW))
    talk = write_event("talk.md", meetup("Talk"))
    broken = write_event("broken.md", BROKEN)
    await scheduler.import_events()
    await scheduler.import_events()  # five minutes later: the same broken file
    assert len(warnings_about(caplog, str(broken))) == 1

    talk.unlink()
    broken.write_text(BROKEN.replace("Online", "Online\n| **When:** | sometime |"))  # broken another way
    await scheduler.import_events()
    async with sessions() as session:
        removed_at = await session.scalar(select(Event.removed_at).where(Event.slug == "talk"))
    assert removed_at == NOW  # marked, not deleted
    assert len(warnings_about(caplog, str(broken))) == 2  # the new problem, once
    assert any(
        "removed from" in r.getMessage() and "talk (a cancellation will be posted)" in r.getMessage()
        for r in caplog.records
    )
