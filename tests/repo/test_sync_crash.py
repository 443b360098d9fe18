"""A `meetup-bot sync` killed (SIGKILL) at several points of a large sync: after the fetch, after the working
tree moved, in the middle of the database transaction. Each time the database holds either the old state
(old commit, old events) or the new one, never a mix; the next sync converges and a later one imports
nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import ManualClock
from bot.config import Config
from bot.repo.sync import sync_repository
from tests.factories import NOW
from tests.repo.conftest import Remote, event_file
from tests.test_cli import cli
from tests.waiting import wait_for

pytestmark = pytest.mark.faults

MANY = 3000  # files in the big commit: enough for the transaction to take a while


def state(database: Path) -> tuple[int, str | None]:
    """(events, stored commit), read with plain sqlite3 as another process would."""
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        count = db.execute("SELECT count(*) FROM events").fetchone()[0]
        row = db.execute("SELECT [commit] FROM repo_syncs").fetchone()
    return count, row[0] if row else None


def ref(clone: Path, name: str) -> str:
    """A ref of the clone read from its file (no git process: the kill must not wait for one)."""
    try:
        return (clone / ".git" / name).read_text().strip()
    except FileNotFoundError:
        return ""


def parsing(pid: int) -> bool:
    """Whether the sync has started its parsing workers (a multiprocessing forkserver): the importer does
    that inside the sync's database transaction. Linux: /proc lists a process's children."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return any(b"multiprocessing" in Path(f"/proc/{child}/cmdline").read_bytes() for child in children)
    except OSError:
        return False


async def kill_when(config_file: Path, condition: Callable[[int], bool]) -> int | None:
    """Starts `meetup-bot sync`, SIGKILLs it and its children once `condition` holds; None if it finished
    first, else the signal's exit code."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_TOKEN", "MEETUP_BOT"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config_file), "sync",
        cwd=config_file.parent, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        await wait_for(
            lambda: condition(process.pid) or process.returncode is not None, timeout=120, what="kill point"
        )
        if process.returncode is not None:
            return None
        os.killpg(process.pid, signal.SIGKILL)  # the sync and its parsing workers
        return await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()


async def test_a_sync_killed_anywhere_leaves_the_old_state_and_the_next_converges(
    remote: Remote,
    repo_config_file: Path,
    repo_config: Config,
    repo_sessions: async_sessionmaker[AsyncSession],
) -> None:
    old = remote.publish({"events/a.md": event_file("A", 7), "events/b.md": event_file("B", 8)}, "Two")
    await sync_repository(repo_config, repo_sessions, ManualClock(NOW))
    new = remote.publish(
        {f"events/t{n}.md": event_file(f"Talk {n}", 10 + n % 300) for n in range(MANY)}, "A big import"
    )
    assert repo_config.events_repo is not None
    clone = repo_config.events_repo.clone_dir
    database = repo_config_file.parent / "meetup.db"
    wal = database.with_name("meetup.db-wal")
    old_state, new_state = (2, old), (2 + MANY, new)
    assert state(database) == old_state
    wal_before = wal.stat().st_size if wal.exists() else 0

    points: list[tuple[str, Callable[[int], bool]]] = [
        ("fetched", lambda _: ref(clone, "refs/remotes/origin/main") == new),
        ("tree moved", lambda _: ref(clone, "refs/heads/main") == new),
        ("parsing in the transaction", parsing),
        ("committing", lambda _: wal.exists() and wal.stat().st_size > wal_before + 512 * 1024),
    ]
    killed_mid_sync = []
    for name, condition in points:
        code = await kill_when(repo_config_file, condition)
        found = state(database)
        assert found in (old_state, new_state), (name, found)
        if code is not None and found == old_state:
            killed_mid_sync.append(name)
    # the tree moved (a sync with git done, nothing in the database yet) and the transaction under way
    assert {"tree moved", "parsing in the transaction"} <= set(killed_mid_sync), killed_mid_sync

    before = state(database)
    done = cli(repo_config_file, "sync")
    assert done.returncode == 0, done.stderr
    if before == old_state:  # the same diff again, from the stored commit
        assert done.stdout.startswith(f"synced {new[:7]} by Olivia Organizer")
        assert done.stdout.endswith(f": added {MANY}\n")
    assert state(database) == new_state
    again = cli(repo_config_file, "sync")
    assert again.stdout == f"already at {new[:7]}: nothing changed\n"
