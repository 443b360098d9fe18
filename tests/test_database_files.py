"""The SQLite database and the files beside it are private (0600): they hold member ids and check-in secrets.

Every test runs with the usual umask 022 set explicitly, under which files are created 0644 unless the bot
says otherwise. (Mode bits are reported by stat also when the tests run as root, as CI does.)
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text

from bot.db.engine import open_database
from bot.db.files import tighten
from tests.e2e.test_separate_processes import TOKEN, spawn, standalone_sandbox
from tests.test_cli import cli
from tests.waiting import wait_for_async


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def side(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_import_creates_the_database_and_its_lock_file_0600(config_file: Path) -> None:
    database = config_file.parent / "meetup.db"
    assert not database.exists()
    result = cli(config_file, "import", str(config_file.parent / "events"))
    assert result.returncode == 0, result.stderr
    assert mode(database) == 0o600
    assert mode(side(database, ".migrate.lock")) == 0o600
    leftovers = [p for p in config_file.parent.iterdir() if p.name.startswith("meetup.db")]
    assert all(mode(p) == 0o600 for p in leftovers), [(p.name, oct(mode(p))) for p in leftovers]


async def test_wal_and_shm_files_are_0600_while_the_database_is_open(tmp_path: Path) -> None:
    database = tmp_path / "fresh.db"
    async with open_database(f"sqlite+aiosqlite:///{database}") as sessions:
        async with sessions.begin() as session:
            await session.execute(text("CREATE TABLE scratch (x INTEGER)"))
            await session.execute(text("INSERT INTO scratch VALUES (1)"))
        wal, shm = side(database, "-wal"), side(database, "-shm")
        assert wal.exists() and shm.exists()  # the pooled connection keeps them
        assert (mode(database), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)


async def test_an_existing_readable_database_is_tightened_once_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "old.db"
    keeper = sqlite3.connect(database)  # made by an older version: 0644 under umask 022
    keeper.execute("PRAGMA journal_mode=WAL")
    keeper.execute("CREATE TABLE scratch (x INTEGER)")
    keeper.commit()  # the open connection keeps -wal and -shm in place
    wal, shm = side(database, "-wal"), side(database, "-shm")
    try:
        assert (mode(database), mode(wal), mode(shm)) == (0o644, 0o644, 0o644)
        database.chmod(0o640)
        caplog.set_level(logging.INFO, logger="bot.db.files")
        for _ in range(2):
            async with open_database(f"sqlite+aiosqlite:///{database}"):
                assert (mode(database), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
    finally:
        keeper.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.db.files"]
    assert len(lines) == 3, lines  # the database, -wal and -shm, each once
    assert lines[0] == (
        f"{database} was readable by other local users (mode 0640); made it 0600: it holds member ids "
        "and check-in secrets"
    )


async def test_an_owner_only_mode_is_never_loosened(tmp_path: Path) -> None:
    database = tmp_path / "strict.db"
    sqlite3.connect(database).close()
    database.chmod(0o600)
    async with open_database(f"sqlite+aiosqlite:///{database}"):
        pass
    assert mode(database) == 0o600
    database.chmod(0o400)  # read-only for its owner: left alone (not made writable)
    tighten(database)
    assert mode(database) == 0o400


async def test_a_running_bot_keeps_its_database_files_0600(tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as http, standalone_sandbox(tmp_path, http) as sandbox:
        bot = await spawn("run", cwd=tmp_path, env={**sandbox.env, "DISCORD_TOKEN": TOKEN})
        try:
            await wait_for_async(sandbox.next_event, timeout=60, what="the bot to answer")
            database = tmp_path / "meetup.db"
            files = [
                database,
                side(database, "-wal"),
                side(database, "-shm"),
                side(database, ".migrate.lock"),
            ]
            assert {p.name: oct(mode(p)) for p in files} == {p.name: "0o600" for p in files}
        finally:
            assert await bot.stop(signal.SIGTERM) == 0, "".join(bot.output)
