"""`meetup-bot schedule [--json]`: the dry run an organizer reads before merging an event file."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.catalog import queries
from bot.catalog.importer import import_paths
from bot.cli.main import main
from bot.cli.schedule import schedule_command
from bot.clock import ManualClock
from bot.config import Config, load_config
from bot.db.models import Post, Rsvp
from bot.schedule.facts import facts_of
from bot.schedule.sync import snapshot_of
from tests.conftest import BASE_CONFIG
from tests.factories import NOW

EVENT = """\
# Profiling Go

## Meta
| | |
| --- | --- |
| **When:** | Thursday, December 10, 2026 |
| **Where:** | Example Hall |
| **Hosting Group:** | StLGo, KCN-STL |

## Event
* 5:30 - 6:00 Food and networking
* 6:15 - 7:00 Main presentation
"""


async def test_schedule_json_lists_every_owed_post_in_due_order(
    config: Config,
    sessions: async_sessionmaker[AsyncSession],
    write_event: Callable[[str, str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_event("profiling.md", EVENT)
    async with sessions.begin() as session:
        assert (await import_paths(session, [config.events_dir], config.parse_options(), NOW)).ok
    assert await schedule_command(config, as_json=True, clock=ManualClock(NOW)) == 0
    rows = json.loads(capsys.readouterr().out)
    stlgo = [r for r in rows if r["group"] == "StLGo"]
    assert [r["kind"] for r in stlgo] == [
        "announcement",
        "scheduled_event",
        "reminder:1d",
        "reminder:2h",
        "agenda:0:start",
        "agenda:1:main",
        "agenda:1:start",
    ]
    assert {r["group"] for r in rows} == {"StLGo", "Kubernetes & Cloud Native STL"}
    first = stlgo[0]
    assert first["channel_id"] == "100000000000000002" and first["state"] == "planned"
    assert first["due_local"] == "2026-12-03T17:30:00-06:00"
    assert datetime.fromisoformat(first["due_at"]) == datetime(2026, 12, 3, 23, 30, tzinfo=UTC)
    assert [r["due_at"] for r in rows] == sorted(r["due_at"] for r in rows)
    async with sessions() as session:  # a dry run writes nothing
        assert await session.scalar(select(func.count()).select_from(Post)) == 0

    # the table form, and the day after the announcement was due: it shows as late
    assert await schedule_command(config, as_json=False, clock=ManualClock(NOW + timedelta(days=3))) == 0
    table = capsys.readouterr().out
    assert (
        "Thu 2026-12-03 17:30 CST  StLGo  #100000000000000002  profiling  announcement (late: due already)"
        in table
    )


def test_schedule_on_an_empty_database_says_so(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config_file), "schedule"]) == 0
    assert "Nothing to post" in capsys.readouterr().out


def day_after(days: int) -> str:
    """A `When:` value `days` after NOW, as files write it."""
    day = (NOW + timedelta(days=days)).astimezone(ZoneInfo("America/Chicago"))
    return f"{day:%A, %B} {day.day}, {day.year}"


def meetup(group: str, days: int, *, title: str = "Profiling Go", where: str = "Example Hall") -> str:
    return (
        f"# {title}\n\n## Meta\n| | |\n| --- | --- |\n| **When:** | {day_after(days)} |\n"
        f"| **Where:** | {where} |\n| **Hosting Group:** | {group} |\n"
    )


async def test_schedule_shows_an_event_no_configured_group_will_post(
    config: Config,
    sessions: async_sessionmaker[AsyncSession],
    write_event: Callable[[str, str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_event("typo.md", meetup("NoSuchGroup", days=20))
    async with sessions.begin() as session:
        report = await import_paths(session, [config.events_dir], config.parse_options(), NOW)
    assert report.ok and len(report.warnings) == 1
    assert await schedule_command(config, as_json=True, clock=ManualClock(NOW)) == 0
    (row,) = json.loads(capsys.readouterr().out)
    old_keys = {"slug", "title", "kind", "group", "channel_id", "due_at", "due_local", "late_until", "state"}
    assert old_keys | {"text"} <= set(row)
    assert (row["slug"], row["kind"], row["group"], row["channel_id"]) == (
        "typo",
        "announcement",
        "NoSuchGroup",
        None,
    )
    assert (row["state"], row["explanation"]) == ("not_posted", "not posted: no configured group")

    assert await schedule_command(config, as_json=False, clock=ManualClock(NOW)) == 0
    table = capsys.readouterr().out
    assert "NoSuchGroup  -  typo  announcement (not posted: no configured group)" in table
    assert "0 posts" in table


async def test_schedule_is_a_dry_run_that_logs_no_planned_notice_and_shows_the_dms_it_would_send(
    config: Config,
    sessions: async_sessionmaker[AsyncSession],
    write_event: Callable[[str, str], Path],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = write_event("profiling.md", meetup("StLGo", days=5))
    async with sessions.begin() as session:
        assert (await import_paths(session, [config.events_dir], config.parse_options(), NOW)).ok
    async with sessions.begin() as session:  # announced (as the bot records it), and alice is going
        event = await queries.event_by_slug(session, "profiling")
        group = config.groups[0]
        session.add(
            Post(
                event_id=event.id,
                kind="announcement",
                group_name=group.name,
                guild_id=group.guild_id,
                channel_id=group.announce_channel_id,
                discord_id=1,
                nonce="n",
                status="sent",
                due_at=NOW,
                sent_at=NOW,
                snapshot=snapshot_of(facts_of(event), "📣"),
                created_at=NOW,
                updated_at=NOW,
            )
        )
        session.add(Rsvp(event_id=event.id, user_id=42, status="going", queued_at=NOW, updated_at=NOW))
    path.write_text(meetup("StLGo", days=6))  # a new day: a Rescheduled notice and a DM are owed
    async with sessions.begin() as session:
        assert (await import_paths(session, [config.events_dir], config.parse_options(), NOW)).ok

    caplog.set_level(logging.DEBUG, logger="bot")
    assert await schedule_command(config, as_json=True, clock=ManualClock(NOW)) == 0
    rows = json.loads(capsys.readouterr().out)
    owed = {(r["kind"], r["state"], r["channel_id"], r["user_id"]) for r in rows if r["state"] == "pending"}
    assert owed == {
        ("notice:rescheduled:1", "pending", str(group.announce_channel_id), None),
        ("dm:rescheduled:1", "pending", None, "42"),
    }
    assert not [r.getMessage() for r in caplog.records if "planned" in r.getMessage()]
    assert await schedule_command(config, as_json=False, clock=ManualClock(NOW)) == 0
    assert "DM to member 42  profiling  dm:rescheduled:1 (due now)" in capsys.readouterr().out
    async with sessions() as session:  # nothing was written
        statuses = list(await session.scalars(select(Post.status)))
    assert statuses == ["sent"]


async def test_the_last_line_counts_one_post_and_two_posts(
    config_file: Path,
    sessions: async_sessionmaker[AsyncSession],
    write_event: Callable[[str, str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Online events without an agenda, and no reminders: an announcement is all each event owes."""
    config_file.write_text(BASE_CONFIG + "announcements:\n  reminders: []\n")
    config = load_config(config_file, environ={})
    for slug, days, counted in [("first", 20, "1 post"), ("second", 27, "2 posts")]:
        write_event(f"{slug}.md", meetup("StLGo", days, title=f"{slug.title()} Talk", where="YouTube"))
        async with sessions.begin() as session:
            assert (await import_paths(session, [config.events_dir], config.parse_options(), NOW)).ok
        assert await schedule_command(config, as_json=False, clock=ManualClock(NOW)) == 0
        lines = capsys.readouterr().out.splitlines()
        assert [line for line in lines if slug in line and "announcement" in line], lines
        assert lines[-1] == f"{counted}; times in America/Chicago"
