"""Transaction helpers that differ by database."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


async def begin_immediate(session: AsyncSession) -> None:
    """On SQLite, open the session's transaction now with the write lock (BEGIN IMMEDIATE); elsewhere nothing.

    The SQLite driver opens a transaction only at the first write, so reads before it are outside any
    lock, and a SAVEPOINT outside a transaction is a transaction of its own. A transaction the driver has
    already opened has written, so it holds the lock already.
    """
    connection = await session.connection()
    if connection.dialect.name != "sqlite":
        return
    driver = (await connection.get_raw_connection()).driver_connection
    if driver is not None and not driver.in_transaction:
        await connection.exec_driver_sql("BEGIN IMMEDIATE")
