"""`write_back_due`: the bot's own morning-after write-back into its clone of a real git repository (a bare
remote, an organizer's clone, file:// URLs) and a real SQLite file; once per event, across processes."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.checkin import service
from bot.clock import ManualClock
from bot.config import Config, load_config
from bot.db.engine import open_database
from bot.db.models import Event, Writeback
from bot.repo.sync import sync_repository
from bot.repo.writeback_job import CLAIM_LEASE, write_back_due
from bot.schedule.service import Scheduler
from tests.checkin.conftest import add_rsvps
from tests.conftest import BASE_CONFIG
from tests.factories import NOW
from tests.repo.conftest import REPO_CONFIG, Remote, events_by_slug
from tests.repo.event_repo import event_text, run_git

# not the config's zone (America/Chicago), nor UTC: the morning after is 09:00 where the event was
BERLIN = ZoneInfo("Europe/Berlin")
TOTAL_ROWS = "| **Total RSVPs:** | ??? |\n| **Total Attendance:** | ??? |\n"
FILLED_ROWS = "| **Total RSVPs:** | 2 |\n| **Total Attendance:** | 3 |\n"
AUTHOR = "Totals Bot <totals@example.org>"

Sessions = async_sessionmaker[AsyncSession]


def bot_config(config_file: Path, remote: Remote, *, push: bool = False) -> Config:
    config_file.write_text(
        BASE_CONFIG
        + REPO_CONFIG.format(url=remote.url)
        + f"  author: {AUTHOR}\n  push: {'true' if push else 'false'}\n"
    )
    return load_config(config_file, environ={})


def berlin_evening(days: int) -> datetime:
    """18:00 in Berlin, `days` after NOW's date there (NOW is weeks from a DST change)."""
    local = (NOW + timedelta(days=days)).astimezone(BERLIN)
    return local.replace(hour=18, minute=0, second=0, microsecond=0)


def talk(title: str, days: int) -> str:
    """A two-hour talk at 18:00 Berlin time `days` after NOW, with unknown totals."""
    return event_text(title, berlin_evening(days), zone="Europe/Berlin", extra_rows=TOTAL_ROWS)


async def synced(
    remote: Remote, config: Config, sessions: Sessions, files: dict[str, str]
) -> dict[str, Event]:
    remote.publish(files, "Add talks")
    report = await sync_repository(config, sessions, ManualClock(NOW))
    assert report.error is None, report.error
    return await events_by_slug(sessions)


async def record(sessions: Sessions, event: Event) -> None:
    """Two going RSVPs, one check-in and two guests: 2 RSVPs, 3 attended."""
    await add_rsvps(sessions, event.id, [(1, "Alice", "going"), (2, "Bob", "going")])
    async with sessions.begin() as session:
        await service.check_in(session, event, 1, "", by=9, now=event.starts_at, group="StLGo")
        await service.add_guests(session, event, 2, by=9, now=event.starts_at, group="StLGo")


def clone_of(config: Config) -> Path:
    assert config.events_repo is not None
    return config.events_repo.clone_dir


def head(path: Path, rev: str = "HEAD") -> str:
    return run_git(path, "rev-parse", rev).strip()


async def due(config: Config, sessions: Sessions, when: datetime) -> list[str]:
    return await write_back_due(config, sessions, ManualClock(when))


async def test_written_back_the_morning_after_once_and_only_once(
    config_file: Path, remote: Remote, repo_sessions: Sessions
) -> None:
    config = bot_config(config_file, remote)
    events = await synced(remote, config, repo_sessions, {"events/berlin.md": talk("Berlin Talk", -1)})
    event = events["berlin"]
    await record(repo_sessions, event)
    clone = clone_of(config)
    before = head(clone)
    # it ended at 20:00 Berlin time: the morning after is 09:00 there, 13 hours later
    morning = berlin_evening(-1) + timedelta(hours=15)
    assert event.ends_at == berlin_evening(-1) + timedelta(hours=2)
    assert await due(config, repo_sessions, event.ends_at + timedelta(minutes=1)) == []
    assert await due(config, repo_sessions, morning - timedelta(minutes=1)) == []
    assert head(clone) == before
    lines = await due(config, repo_sessions, morning)
    sha = head(clone)
    assert sha != before
    assert lines == [
        f"Berlin Talk (berlin): wrote 2 RSVPs, 3 attended into events/berlin.md, commit {sha[:7]}"
    ]
    assert run_git(clone, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%s").strip() == (
        f"{AUTHOR}|{AUTHOR}|Totals for Berlin Talk (berlin): 2 RSVPs, 3 attended"
    )
    assert run_git(clone, "show", "HEAD:events/berlin.md") == event_text(
        "Berlin Talk", berlin_evening(-1), zone="Europe/Berlin", extra_rows=FILLED_ROWS
    )
    assert run_git(clone, "status", "--porcelain") == ""
    assert head(remote.bare, "main") == before  # push is off
    # again, later, and from a second process with its own connections: nothing more
    assert await due(config, repo_sessions, morning + timedelta(hours=1)) == []
    async with open_database(config.database.url) as other:
        assert await due(config, other, morning + timedelta(hours=2)) == []
    assert head(clone) == sha
    async with repo_sessions() as session:
        rows = list(await session.scalars(select(Writeback)))
    assert [(r.event_id, r.state, r.commit) for r in rows] == [(event.id, "done", sha)]


async def test_two_processes_at_once_write_an_event_back_once(
    config_file: Path, remote: Remote, repo_sessions: Sessions
) -> None:
    config = bot_config(config_file, remote)
    events = await synced(remote, config, repo_sessions, {"events/berlin.md": talk("Berlin Talk", -1)})
    await record(repo_sessions, events["berlin"])
    # both passes find the event due; the claim in the database lets only one of them write it back
    morning = berlin_evening(0)
    async with open_database(config.database.url) as first, open_database(config.database.url) as second:
        results = await asyncio.gather(due(config, first, morning), due(config, second, morning))
    assert sorted(len(r) for r in results) == [0, 1]
    assert (
        run_git(clone_of(config), "rev-list", "--count", f"{head(remote.bare, 'main')}..HEAD").strip() == "1"
    )


async def test_an_event_with_nothing_recorded_is_done_without_a_commit(
    config_file: Path, remote: Remote, repo_sessions: Sessions
) -> None:
    config = bot_config(config_file, remote)
    await synced(remote, config, repo_sessions, {"events/quiet.md": talk("Quiet Talk", -1)})
    clone = clone_of(config)
    before = head(clone)
    morning = berlin_evening(0)
    assert await due(config, repo_sessions, morning) == [
        "Quiet Talk (quiet): the bot recorded no RSVPs or check-ins; nothing written back"
    ]
    assert head(clone) == before and run_git(clone, "status", "--porcelain") == ""
    assert await due(config, repo_sessions, morning + timedelta(hours=1)) == []


async def test_only_events_that_ended_in_the_last_week(
    config_file: Path, remote: Remote, repo_sessions: Sessions
) -> None:
    config = bot_config(config_file, remote)
    events = await synced(
        remote,
        config,
        repo_sessions,
        {"events/old.md": talk("Old Talk", -9), "events/recent.md": talk("Recent Talk", -3)},
    )
    await record(repo_sessions, events["old"])
    await record(repo_sessions, events["recent"])
    lines = await due(config, repo_sessions, NOW)
    assert [line.split(":", 1)[0] for line in lines] == ["Recent Talk (recent)"]
    assert "???" in (clone_of(config) / "events" / "old.md").read_text()


async def test_an_unpushed_commit_is_pushed_by_a_later_pass_and_a_failing_retry_stays_quiet(
    config_file: Path, remote: Remote, repo_sessions: Sessions
) -> None:
    config = bot_config(config_file, remote, push=True)
    events = await synced(remote, config, repo_sessions, {"events/berlin.md": talk("Berlin Talk", -1)})
    await record(repo_sessions, events["berlin"])
    synced_head = head(remote.bare, "main")
    away = remote.bare.with_name("remote-away.git")
    remote.bare.rename(away)
    morning = berlin_evening(0)
    lines = await due(config, repo_sessions, morning)
    sha = head(clone_of(config))
    assert len(lines) == 2
    assert lines[0].endswith(f"commit {sha[:7]}")
    assert lines[1].startswith(f"push to {remote.url} failed: ")
    assert lines[1].endswith(
        "the totals commit stays in the bot's clone, unpushed, and is pushed at the next write-back"
    )
    # the next pass cannot push either: logged, not posted again
    assert await due(config, repo_sessions, morning + timedelta(minutes=5)) == []
    away.rename(remote.bare)
    assert head(remote.bare, "main") == synced_head
    assert await due(config, repo_sessions, morning + timedelta(minutes=10)) == [
        f"pushed 1 commit to main of {remote.url}"
    ]
    assert head(remote.bare, "main") == sha
    assert await due(config, repo_sessions, morning + timedelta(minutes=15)) == []


async def test_a_claim_left_by_a_process_that_died_is_taken_over_after_its_lease(
    config_file: Path, remote: Remote, repo_sessions: Sessions
) -> None:
    config = bot_config(config_file, remote)
    events = await synced(remote, config, repo_sessions, {"events/berlin.md": talk("Berlin Talk", -1)})
    await record(repo_sessions, events["berlin"])
    morning = berlin_evening(0)
    async with repo_sessions.begin() as session:  # what a process killed mid-write-back leaves
        session.add(
            Writeback(event_id=events["berlin"].id, state="claimed", claim_token="dead", claimed_at=morning)
        )
    assert await due(config, repo_sessions, morning + CLAIM_LEASE - timedelta(minutes=1)) == []
    lines = await due(config, repo_sessions, morning + CLAIM_LEASE + timedelta(minutes=1))
    assert len(lines) == 1 and "wrote 2 RSVPs, 3 attended" in lines[0]
    assert await due(config, repo_sessions, morning + 2 * CLAIM_LEASE + timedelta(minutes=1)) == []


async def test_the_running_bots_periodic_pass_writes_back_the_morning_after(
    config_file: Path, remote: Remote, repo_sessions: Sessions
) -> None:
    config = bot_config(config_file, remote)
    events = await synced(remote, config, repo_sessions, {"events/berlin.md": talk("Berlin Talk", -1)})
    await record(repo_sessions, events["berlin"])
    clone = clone_of(config)
    before = head(clone)
    morning = berlin_evening(-1) + timedelta(hours=15)
    clock = ManualClock(morning - timedelta(hours=1))
    scheduler = Scheduler(config, repo_sessions, clock)
    await scheduler.resync()  # the night before: nothing is due yet
    assert head(clone) == before
    clock.set(morning + timedelta(minutes=5))
    await scheduler.resync()
    assert head(clone) != before
    assert run_git(clone, "log", "-1", "--format=%s").strip() == (
        "Totals for Berlin Talk (berlin): 2 RSVPs, 3 attended"
    )
    assert "| **Total Attendance:** | 3 |" in (clone / "events/berlin.md").read_text()
    await scheduler.resync()  # and only once
    assert run_git(clone, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
