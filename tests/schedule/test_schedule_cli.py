"""`meetup-bot schedule [--json]`: the dry run an organizer reads before merging an event file."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.catalog.importer import import_paths
from bot.cli.main import main
from bot.cli.schedule import schedule_command
from bot.clock import ManualClock
from bot.config import Config
from bot.db.models import Post

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
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
