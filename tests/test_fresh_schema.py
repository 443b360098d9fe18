"""A fresh database gets its schema from the models at once (create_all, stamped head) instead of running
every migration: it must be exactly the schema the migrations build, and the cheap head lookup must agree
with Alembic's. A migration added without its model change (or the reverse) fails here.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from bot.db.engine import alembic_config, create_engine, head_revision, migrate


def alembic_head() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def schema(connection: Connection) -> dict[str, Any]:
    """Everything a reflection sees, table by table, in a form that compares regardless of order."""
    inspector = inspect(connection)
    tables: dict[str, Any] = {}
    for table in inspector.get_table_names():
        tables[table] = {
            "columns": sorted(
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default")), c.get("autoincrement"))
                for c in inspector.get_columns(table)
            ),
            "primary_key": inspector.get_pk_constraint(table),
            "foreign_keys": sorted(
                repr(sorted((k, repr(v)) for k, v in fk.items())) for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                repr(sorted((k, repr(v)) for k, v in index.items())) for index in inspector.get_indexes(table)
            ),
            "unique": sorted(
                repr(sorted((k, repr(v)) for k, v in unique.items()))
                for unique in inspector.get_unique_constraints(table)
            ),
            "checks": sorted(
                repr(sorted((k, repr(v)) for k, v in check.items()))
                for check in inspector.get_check_constraints(table)
            ),
        }
    return tables


async def migrated_by_alembic(path: Path) -> dict[str, Any]:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")

    def upgrade(connection: Connection) -> dict[str, Any]:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")  # every migration, one after the other
        return schema(connection)

    async with engine.begin() as connection:
        built = await connection.run_sync(upgrade)
    await engine.dispose()
    return built


async def test_a_fresh_database_gets_exactly_the_schema_the_migrations_build(tmp_path: Path) -> None:
    by_migrations = await migrated_by_alembic(tmp_path / "migrated.db")

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    await migrate(engine)
    async with engine.connect() as connection:
        fresh = await connection.run_sync(schema)
    await engine.dispose()

    assert set(fresh) == set(by_migrations)
    for table in by_migrations:
        assert fresh[table] == by_migrations[table], table


async def test_a_fresh_database_is_stamped_with_the_newest_revision(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    await migrate(engine)
    await engine.dispose()
    with sqlite3.connect(tmp_path / "fresh.db") as connection:
        versions = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    assert versions == [(alembic_head(),)]


def test_the_head_found_without_alembic_is_alembics_head() -> None:
    assert head_revision() == alembic_head()


async def test_a_database_one_revision_behind_is_migrated_by_alembic(tmp_path: Path) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    previous = script.get_revision(alembic_head()).down_revision
    assert isinstance(previous, str)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'behind.db'}")

    def to_previous(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, previous)

    async with engine.begin() as connection:
        await connection.run_sync(to_previous)
    await migrate(engine)
    await engine.dispose()
    with sqlite3.connect(tmp_path / "behind.db") as raw:
        versions = raw.execute("SELECT version_num FROM alembic_version").fetchall()
    assert versions == [(alembic_head(),)]
    assert schema_of(tmp_path / "behind.db") == await migrated_by_alembic(tmp_path / "all.db")


def schema_of(path: Path) -> dict[str, Any]:
    from sqlalchemy import create_engine as create_sync_engine

    engine = create_sync_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        found = schema(connection)
    engine.dispose()
    return found
