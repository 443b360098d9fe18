"""`meetup-bot export ...` against a real database file and event file."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import icalendar
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.checkin import service
from bot.cli.main import main
from bot.clock import ManualClock
from bot.config import Config
from bot.db.models import Event
from tests.checkin.conftest import NOW, add_rsvps, insert_event

PAGE = """\
# Door Talk

## Meta
| | |
| --- | --- |
| **When:** | Wednesday, December 2, 2026 |
| **Total RSVPs:** | ??? |

## Presentation
Text.
"""


async def test_exports(
    sessions: async_sessionmaker[AsyncSession],
    config: Config,
    config_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = config.events_dir / "door.md"
    source.write_text(PAGE)
    event_id = await insert_event(sessions, "door", source=str(source), title="Door Talk")
    await add_rsvps(sessions, event_id, [(1, "Alice", "going"), (2, "Bob", "going")])
    async with sessions.begin() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        await service.check_in(session, event, 1, "", by=9, now=NOW, group="StLGo")
        await service.add_guests(session, event, 2, by=9, now=NOW, group="StLGo")
    base = ["--config", str(config_file), "export"]
    assert await _run([*base, "attendance", "door", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["name"], r["rsvp"], r["checked_in"], r["kind"], r["guests"]) for r in rows] == [
        ("Alice", "going", "yes", "member", ""),
        ("Bob", "going", "no", "", ""),
        ("", "", "yes", "guests", "2"),
    ]
    assert await _run([*base, "ics"]) == 0
    cal = icalendar.Calendar.from_ical(capsys.readouterr().out)
    assert [str(e["UID"]) for e in cal.walk("VEVENT")] == ["door@meetup-bot"]
    assert await _run([*base, "markdown", "door", "--write"]) == 0
    assert capsys.readouterr().out == f"{source}: updated\n"
    assert source.read_text() == PAGE.replace(
        "| **Total RSVPs:** | ??? |\n", "| **Total RSVPs:** | 2 |\n| **Total Attendance:** | 3 |\n"
    )
    assert await _run([*base, "attendance", "nope", "--csv"]) == 1
    assert "No event is called `nope`" in capsys.readouterr().err


async def _run(argv: list[str]) -> int:
    """The CLI in a thread (it runs its own event loop), on the clock the events were built from."""
    return await asyncio.to_thread(main, argv, ManualClock(NOW))
