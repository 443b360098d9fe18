"""Alembic environment: runs on the connection the bot hands in, or on `-x url=...` from the CLI."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from bot.db.engine import run_migrations
from bot.db.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_url(url: str) -> None:
    """The alembic CLI takes the bot's migration lock too, so it never races a starting bot."""
    engine = create_async_engine(url)
    try:
        await run_migrations(engine, _run)
    finally:
        await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or "sqlite+aiosqlite:///meetup.db"
    asyncio.run(_run_from_url(url))
