"""Processes starting together on a fresh database: the migrations run once, the others wait for them.

Each process is the real `meetup-bot` CLI in its own interpreter. A launcher imports the bot first (the slow
part of a start), says it is ready and blocks on a pipe; once every process is ready the pipe is closed, so
they all open the database at the same instant. Several rounds with fresh files make the race near certain.
Each process imports its own event file: what is raced here is the schema, not two imports of one file.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.db.engine import alembic_config, create_engine
from tests.factories import NOW
from tests.test_postgres import URL as POSTGRES_URL

pytestmark = pytest.mark.faults

PROCESSES = 6
ROUNDS = 4

# The launcher: everything imported, then wait for the pipe to close, then the real entry point.
LAUNCHER = """\
import os, sys
from bot.cli.main import main
fd = int(sys.argv[1])
print("ready", flush=True)
os.read(fd, 1)
sys.exit(main(sys.argv[2:]))
"""


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _start_together(
    config_file: Path, env: dict[str, str], args: list[list[str]]
) -> list[subprocess.CompletedProcess[str]]:
    """Starts one CLI process per argument list, releases them at once, and returns how each ended."""
    read_end, write_end = os.pipe()
    procs = []
    try:
        for arguments in args:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-c", LAUNCHER, str(read_end), "--config", str(config_file), *arguments],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env=env,
                    cwd=config_file.parent,
                    pass_fds=(read_end,),
                )
            )
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline() == "ready\n"  # blocks until that launcher has imported the bot
    finally:
        os.close(write_end)  # the barrier: every launcher's read returns now
        os.close(read_end)
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_TOKEN", "MEETUP_BOT"))}
    return env | extra


def _imports(config_file: Path) -> list[list[str]]:
    """One `import FILE` per process, each file a different event a week from NOW."""
    day = (NOW + timedelta(days=7)).date().isoformat()
    commands = []
    for n in range(PROCESSES):
        path = config_file.parent / "events" / f"talk-{n}.yaml"
        path.write_text(f"title: Talk {n}\nwhen: {day}\nhosting_groups: [StLGo]\n", encoding="utf-8")
        commands.append(["import", str(path)])
    return commands


def test_concurrent_imports_on_a_fresh_sqlite_file_all_succeed(config_file: Path) -> None:
    imports = _imports(config_file)
    for round_ in range(ROUNDS):
        database = config_file.parent / f"round{round_}.db"
        env = _env(MEETUP_BOT_DATABASE_URL=f"sqlite+aiosqlite:///{database}")
        results = _start_together(config_file, env, imports)
        failed = [r.stderr for r in results if r.returncode != 0]
        assert not failed, f"round {round_}: {len(failed)} of {PROCESSES} failed:\n" + "\n".join(failed)
        with sqlite3.connect(database) as db:
            assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(_head(),)]
            assert db.execute("SELECT count(*) FROM events").fetchone() == (PROCESSES,)
        db.close()


@pytest.mark.skipif(
    not POSTGRES_URL,
    reason="set MEETUP_BOT_TEST_POSTGRES_URL to a PostgreSQL database this test may wipe (.ci/run starts one)",
)
def test_concurrent_imports_on_an_empty_postgres_database_all_succeed(config_file: Path) -> None:
    async def wipe() -> None:
        engine = create_engine(POSTGRES_URL)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    async def version_and_count() -> tuple[list[str], int]:
        engine = create_engine(POSTGRES_URL)
        async with engine.connect() as connection:
            versions = list(
                (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars()
            )
            count = (await connection.execute(text("SELECT count(*) FROM events"))).scalar_one()
        await engine.dispose()
        return versions, int(count)

    imports = _imports(config_file)
    for round_ in range(ROUNDS):
        asyncio.run(wipe())
        results = _start_together(config_file, _env(MEETUP_BOT_DATABASE_URL=POSTGRES_URL), imports)
        failed = [r.stderr for r in results if r.returncode != 0]
        assert not failed, f"round {round_}: {len(failed)} of {PROCESSES} failed:\n" + "\n".join(failed)
        assert asyncio.run(version_and_count()) == ([_head()], PROCESSES)
