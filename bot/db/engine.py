"""The async engine, sessions and the schema: created at once on a fresh database, else migrated by Alembic.

Alembic is imported only when there is something to migrate: a database already at the newest revision is
opened with plain SQLAlchemy, so quick commands (`events`, `rsvps`) do not pay for it.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    event,
    inspect,
    make_url,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.db.files import make_private, private_lock_file, sqlite_file
from bot.errors import UserError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")
VERSIONS = Path(__file__).with_name("migrations") / "versions"
# Alembic's bookkeeping table, as Alembic itself creates it (MigrationContext), for stamping a fresh schema
VERSION_TABLE = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)
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
    from alembic.config import Config as AlembicConfig

    return AlembicConfig(str(ALEMBIC_INI))


_REVISION_LINE = re.compile(
    r"""^(revision|down_revision)\b[^=\n]*=\s*(?:"([^"\n]*)"|'([^'\n]*)'|(None))\s*$""", re.M
)


@cache
def head_revision() -> str | None:
    """The newest migration's revision id, read from the migration files' `revision` and `down_revision`
    lines without importing Alembic; None when the history is not one plain line (a merge, branches, a file
    it cannot read), and then Alembic decides. tests/test_fresh_schema.py checks it against Alembic's head.
    """
    parents: dict[str, str | None] = {}
    for path in VERSIONS.glob("*.py"):
        found: dict[str, str | None] = {}
        for match in _REVISION_LINE.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match[1], match[2] if match[2] is not None else match[3])
        revision = found.get("revision")
        if revision is None or "down_revision" not in found or revision in parents:
            return None
        parents[revision] = found["down_revision"]
    heads = set(parents) - set(parents.values())
    if len(heads) != 1 or sum(parent is None for parent in parents.values()) != 1:
        return None
    return heads.pop()


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision; Alembic's migrations are the only way tables change.

    A database already at the newest revision is left alone without loading Alembic. A fresh, empty one
    gets the models' tables at once, stamped with the newest revision in the same transaction (Alembic's
    recipe for a new database; tests/test_fresh_schema.py checks it builds what the migrations build).
    Processes starting together (a bot and an `import`, two imports) take turns: the first creates or
    migrates, the others wait for it and then find the schema at the newest revision.
    """
    await run_migrations(engine, bring_to_head)


def bring_to_head(connection: Connection) -> None:
    """`migrate`'s work, on a connection that holds the migration lock."""
    head = head_revision()
    tables = set(inspect(connection).get_table_names())
    if VERSION_TABLE.name in tables:
        current = set(connection.execute(select(VERSION_TABLE.c.version_num)).scalars())
        if head is not None and current == {head}:
            return
    elif not tables and head is not None:
        create_schema(connection, head)
        return
    upgrade(connection)


def create_schema(connection: Connection, revision: str) -> None:
    """The models' tables and indexes on an empty database, stamped `revision`, in one transaction.

    SQLite's driver runs DDL outside any transaction unless one is begun explicitly: begun here, so a crash
    halfway leaves the database empty (and a fresh start creates it again), not half made.
    """
    from bot.db.models import Base

    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    Base.metadata.create_all(connection)
    VERSION_TABLE.create(connection)
    connection.execute(VERSION_TABLE.insert().values(version_num=revision))


def upgrade(connection: Connection) -> None:
    """Alembic's `upgrade head` on `connection`."""
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


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
