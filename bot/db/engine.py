"""The async engine, sessions and schema migrations."""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, event, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.db.files import make_private, private_lock_file, sqlite_file
from bot.errors import UserError

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")
# pg_advisory_xact_lock key held while migrating: any constant, the same in every process ("meetupbt")
POSTGRES_MIGRATION_LOCK = 0x6D656574_75706274


def create_engine(url: str) -> AsyncEngine:
    """An engine for `url`; SQLite gets foreign keys, WAL and a busy timeout for concurrent processes.

    A SQLite file is created 0600 before the first connection (SQLite gives its -wal and -shm files the
    same mode): it holds member ids, names, RSVPs and the check-in code secrets.
    """
    if url.startswith("sqlite"):
        path = sqlite_file(url)
        if path is not None:
            make_private(path)
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """One session per unit of work; objects stay readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> AlembicConfig:
    return AlembicConfig(str(ALEMBIC_INI))


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision; the only way tables are created or changed.

    Processes starting together (a bot and an `import`, two imports) take turns: the first migrates, the
    others wait for it and then find the schema at the newest revision.
    """

    def upgrade(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")

    await run_migrations(engine, upgrade)


async def run_migrations(engine: AsyncEngine, work: Callable[[Connection], None]) -> None:
    """Runs `work` (Alembic) on one connection while holding the migration lock: one process at a time.

    PostgreSQL: a transaction-scoped advisory lock, released at commit. SQLite: `migration_lock`'s file.
    """
    async with migration_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTGRES_MIGRATION_LOCK}
            )
        await connection.run_sync(work)


@asynccontextmanager
async def migration_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """For a SQLite file: an exclusive lock on `<db>.migrate.lock` (0600) across processes; else nothing.

    SQLite runs DDL outside a transaction here, so without it two fresh starts both create the tables and
    one fails with "table events already exists". The wait happens in a thread, never blocking the loop.
    """
    path = sqlite_file(str(engine.url)) if engine.dialect.name == "sqlite" else None
    if path is None:
        yield
        return
    fd = private_lock_file(path.with_name(path.name + ".migrate.lock"))
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


class DatabaseUnavailable(UserError):
    """The database could not be opened or migrated: names it (password hidden) and the driver's reason."""

    def __init__(self, url: str, reason: BaseException) -> None:
        self.url = make_url(url).render_as_string(hide_password=True)
        if isinstance(reason, DBAPIError) and reason.orig is not None:
            why = str(reason.orig)
        elif isinstance(reason, OSError) and reason.strerror:
            why = reason.strerror
        else:
            why = str(reason) or type(reason).__name__
        super().__init__(f"the database {self.url} cannot be opened: {why}")


@asynccontextmanager
async def open_database(url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Migrate the database at `url` to the newest schema and hand out sessions; closes it after.

    Failing to open it (a file that is not a database, a server that does not answer) raises
    DatabaseUnavailable, one line for the CLI, instead of the driver's traceback.
    """
    try:
        engine = create_engine(url)
    except OSError as exc:
        raise DatabaseUnavailable(url, exc) from exc
    try:
        try:
            await migrate(engine)
        except (DBAPIError, OSError) as exc:
            raise DatabaseUnavailable(url, exc) from exc
        yield session_factory(engine)
    finally:
        await engine.dispose()
