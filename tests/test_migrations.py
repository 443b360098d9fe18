"""The schema exists only through Alembic: a fresh file is migrated, and the models match the migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from bot.db.engine import alembic_config, create_engine, migrate
from bot.db.models import Base


async def test_fresh_sqlite_file_is_migrated_to_head_and_matches_models(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    await migrate(engine)
    await migrate(engine)  # a second run is a no-op

    def check(connection: Connection) -> None:
        assert {"events", "event_groups", "alembic_version"} <= set(inspect(connection).get_table_names())
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []

    async with engine.connect() as connection:
        await connection.run_sync(check)
    await engine.dispose()


async def test_downgrade_to_base_and_back(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'cycle.db'}")
    await migrate(engine)

    def downgrade(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "base")
        assert set(inspect(connection).get_table_names()) == {"alembic_version"}

    async with engine.begin() as connection:
        await connection.run_sync(downgrade)
    await migrate(engine)
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert "events" in tables
    await engine.dispose()
