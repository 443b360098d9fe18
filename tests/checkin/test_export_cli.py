"""`meetup-bot export ...` against a real database file and event file."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

import icalendar
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.checkin import service
from bot.cli.main import main
from bot.clock import ManualClock
from bot.config import Config
from bot.db.models import Event
from tests.checkin.conftest import KCN, NOW, STLGO, add_rsvps, insert_event

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
    csv_text = capsys.readouterr().out
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert [(r["name"], r["rsvp"], r["checked_in"], r["kind"], r["guests"]) for r in rows] == [
        ("Alice", "going", "yes", "member", ""),
        ("Bob", "going", "no", "", ""),
        ("", "", "yes", "guests", "2"),
    ]
    assert await _run([*base, "attendance", "door"]) == 0  # CSV is the only format: --csv may be left out
    assert capsys.readouterr().out == csv_text
    assert await _run([*base, "ics"]) == 0
    cal = icalendar.Calendar.from_ical(capsys.readouterr().out)
    assert [str(e["UID"]) for e in cal.walk("VEVENT")] == ["door@meetup-bot"]
    # the event starts at NOW + 1h: before its end nothing is written, not even rows of what is so far
    assert await _run([*base, "markdown", "door", "--write"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and source.read_text() == PAGE
    assert err == (
        "error: door has not ended yet (ends today at 3:00 PM CST); totals are written after the event\n"
    )
    after = NOW + timedelta(hours=4)
    assert await _run([*base, "markdown", "door", "--write"], after) == 0
    assert capsys.readouterr().out == f"{source}: updated\n"
    assert source.read_text() == PAGE.replace(
        "| **Total RSVPs:** | ??? |\n", "| **Total RSVPs:** | 2 |\n| **Total Attendance:** | 3 |\n"
    )
    assert await _run([*base, "attendance", "nope", "--csv"]) == 1
    assert "No event is called `nope`" in capsys.readouterr().err


PAST_PAGE = """\
# Past Talk

## Meta
| | |
| --- | --- |
| **When:** | (the database's dates count) |
| **Hosting Group:** | StLGo |
| **Total RSVPs:** | 24 |
| **Total Attendance:** | 15 |

## Presentation
Text.
"""


async def _past_event(
    sessions: async_sessionmaker[AsyncSession],
    config: Config,
    slug: str,
    page: str,
    groups: tuple[str, ...] = (STLGO,),
) -> tuple[int, Path]:
    """An event that ended a week before NOW, with its file in events_dir."""
    source = config.events_dir / f"{slug}.md"
    source.write_text(page)
    event_id = await insert_event(
        sessions, slug, source=str(source), starts_at=NOW - timedelta(days=7), groups=groups
    )
    return event_id, source


async def test_markdown_never_lowers_what_the_file_says_unless_forced(
    sessions: async_sessionmaker[AsyncSession],
    config: Config,
    config_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    event_id, source = await _past_event(sessions, config, "past", PAST_PAGE)
    await add_rsvps(sessions, event_id, [(1, "Alice", "going"), (2, "Bob", "going"), (3, "Cy", "maybe")])
    async with sessions.begin() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        await service.check_in(session, event, 1, "", by=9, now=NOW - timedelta(days=7), group=STLGO)
        await service.add_guests(session, event, 2, by=9, now=NOW - timedelta(days=7), group=STLGO)
    base = ["--config", str(config_file), "export", "markdown", "past"]
    assert await _run([*base, "--write"]) == 0
    out, err = capsys.readouterr()
    assert out == f"{source}: unchanged\n" and source.read_text() == PAST_PAGE
    assert err.splitlines() == [
        "Total RSVPs: the file says 24, the bot recorded 2; kept 24 (use --force to replace it)",
        "Total Attendance: the file says 15, the bot recorded 3; kept 15 (use --force to replace it)",
    ]
    assert await _run(base) == 0  # printed, by the same rules
    assert capsys.readouterr().out == PAST_PAGE
    assert await _run([*base, "--write", "--force"]) == 0
    out, err = capsys.readouterr()
    assert out == f"{source}: updated\n" and err == ""
    assert source.read_text() == PAST_PAGE.replace("| 24 |", "| 2 |").replace("| 15 |", "| 3 |")


async def test_markdown_without_anything_recorded_changes_nothing(
    sessions: async_sessionmaker[AsyncSession],
    config: Config,
    config_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, source = await _past_event(sessions, config, "quiet", PAST_PAGE.replace("| 24 |", "| ??? |"))
    before = source.read_bytes()
    for flags in (["--write"], [], ["--write", "--force"]):
        assert await _run(["--config", str(config_file), "export", "markdown", "quiet", *flags]) == 1
        out, err = capsys.readouterr()
        assert out == ""
        assert err == "error: the bot has recorded no RSVPs or check-ins for quiet; nothing to write\n"
    assert source.read_bytes() == before


async def test_markdown_writes_only_the_figures_and_groups_the_bot_recorded(
    sessions: async_sessionmaker[AsyncSession],
    config: Config,
    config_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    page = PAST_PAGE.replace("| 24 |", "| StLGo: ???, KCN-STL: ??? |").replace("| 15 |", "| ??? |")
    event_id, source = await _past_event(sessions, config, "joint", page, groups=(STLGO, KCN))
    await add_rsvps(
        sessions, event_id, [(1, "Ann", "going"), (2, "Ben", "going"), (3, "Cat", "not_going")], KCN
    )
    assert await _run(["--config", str(config_file), "export", "markdown", "joint", "--write"]) == 0
    out, err = capsys.readouterr()
    assert out == f"{source}: updated\n"
    assert err == "note: the bot has recorded no check-ins for joint; Total Attendance left as it is\n"
    # StLGo took no RSVPs through the bot: its "???" stays; nobody was checked in: attendance stays "???"
    assert source.read_text() == page.replace("KCN-STL: ???", "KCN-STL: 2")


async def test_ics_group_by_name_or_alias_in_any_case(
    sessions: async_sessionmaker[AsyncSession],
    config_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await insert_event(sessions, "go-talk", groups=(STLGO,))
    await insert_event(sessions, "k8s-talk", groups=(KCN,))
    base = ["--config", str(config_file), "export", "ics", "--group"]
    for name, uids in [
        ("kcn-stl", ["k8s-talk@meetup-bot"]),
        ("kubernetes & cloud native stl", ["k8s-talk@meetup-bot"]),
        ("ST. LOUIS GO", ["go-talk@meetup-bot"]),
        ("stlgo", ["go-talk@meetup-bot"]),
    ]:
        assert await _run([*base, name]) == 0
        cal = icalendar.Calendar.from_ical(capsys.readouterr().out)
        assert [str(e["UID"]) for e in cal.walk("VEVENT")] == uids, name
    assert await _run([*base, "Rust STL"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "error: no group called Rust STL; known groups: StLGo (aliases: St. Louis Go), "
        "Kubernetes & Cloud Native STL (aliases: KCN-STL)\n"
    )


async def _run(argv: list[str], now: datetime = NOW) -> int:
    """The CLI in a thread (it runs its own event loop), on the clock the events were built from (or `now`)."""
    return await asyncio.to_thread(main, argv, ManualClock(now))
