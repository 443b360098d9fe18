"""The `meetup-bot` command line, run as a real process against a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from bot.db.engine import alembic_config
from tests.conftest import CORPUS

PROJECT = Path(__file__).resolve().parents[1]


def cli(config_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_TOKEN", "MEETUP_BOT"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config_file), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=config_file.parent,
        timeout=120,
    )


@dataclass
class SandboxRun:
    """A `meetup-bot run` process without a token (so against the sandbox) and the lines it printed."""

    process: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    async def read_until(self, seen: Callable[[str], bool], timeout: float = 30) -> None:
        """Reads lines until one satisfies `seen`; fails if the process ends first or the time runs out."""
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while not self.lines or not seen(self.lines[-1]):
                line = await self.process.stdout.readline()
                assert line, "run ended early:\n" + self.output
                self.lines.append(line.decode())


@asynccontextmanager
async def sandbox_run(
    config_file: Path, *args: str, extra_env: dict[str, str] | None = None
) -> AsyncIterator[SandboxRun]:
    """Starts `run` with no token and waits until the bot is ready; on leaving, stops it with SIGTERM and
    checks it exits 0 without a traceback (killed if it does not stop)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_TOKEN", "MEETUP_BOT"))}
    env.update(extra_env or {})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(config_file),
        "run",
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        cwd=config_file.parent,
    )
    run = SandboxRun(process)
    try:
        await run.read_until(lambda line: "the bot is ready" in line, timeout=60)
        yield run
        assert process.stdout is not None
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            run.lines.append((await process.stdout.read()).decode())
            assert await process.wait() == 0, run.output
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert "Traceback" not in run.output


def test_import_then_events_json(config_file: Path) -> None:
    events = config_file.parent / "events"
    shutil.copytree(PROJECT / "events", events, dirs_exist_ok=True)
    result = cli(config_file, "import", str(events))
    assert result.returncode == 0, result.stderr
    assert "imported 3 new, 0 updated, 0 unchanged; 1 skipped, 0 failed" in result.stdout
    assert "notice:" in result.stderr and "README.md: skipped" in result.stderr

    again = cli(config_file, "import", str(events))
    assert "imported 0 new, 0 updated, 3 unchanged" in again.stdout

    listed = cli(config_file, "events", "--all", "--json")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert [e["slug"] for e in data] == [
        "2026-10-21-ProfilingWithPprof",
        "2026-12-16-ContextCancellation",
        "2027-01-20-WasmAndGo",
    ]
    pprof, context, wasm = data
    keys = {"slug", "title", "starts_at", "ends_at", "timezone", "online", "location", "geo", "presenters"}
    keys |= {"hosting_groups", "reported", "reported_by_group", "agenda", "links", "source"}
    assert keys <= set(pprof)
    assert pprof["starts_at"] == "2026-10-21T17:30:00-05:00"  # CDT
    assert pprof["geo"] == [38.627003, -90.199402]
    assert pprof["location"] == "Example Coworking, 100 Market St, Suite 200, St. Louis, MO 63101"
    assert pprof["reported"] == {"membership": 710, "rsvps": 24, "attendance": 15}
    assert context["presenters"] == ["Priya Raman", "Luis Ortega"]
    assert context["capacity"] == 40
    assert context["starts_at"] == "2026-12-16T17:30:00-06:00"  # CST
    assert wasm["online"] is True and wasm["location"] == "YouTube"
    assert (wasm["starts_at"], wasm["ends_at"]) == ("2027-01-20T18:00:00-06:00", "2027-01-20T19:30:00-06:00")


def test_import_exit_status_is_1_when_a_file_fails(config_file: Path) -> None:
    events = config_file.parent / "events"
    (events / "broken.md").write_text("# Broken\n\n## Meta\n| | |\n| --- | --- |\n| **Where:** | Online |\n")
    shutil.copytree(PROJECT / "events" / "2027-01-20-WasmAndGo", events / "2027-01-20-WasmAndGo")
    result = cli(config_file, "import", str(events), str(events / "missing.md"))
    assert result.returncode == 1
    assert "imported 1 new" in result.stdout
    assert f"error: {events / 'broken.md'}" in result.stderr and "When" in result.stderr
    assert f"error: {events / 'missing.md'}: no such file or folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_import_creates_the_schema_with_alembic(config_file: Path) -> None:
    shutil.copytree(PROJECT / "events", config_file.parent / "events", dirs_exist_ok=True)
    result = cli(config_file, "import", str(config_file.parent / "events"))
    assert result.returncode == 0, result.stderr
    db = config_file.parent / "meetup.db"
    with sqlite3.connect(db) as connection:
        (version,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_run_without_token_starts_the_sandbox_and_stops_on_sigterm(config_file: Path) -> None:
    shutil.copytree(PROJECT / "events", config_file.parent / "events", dirs_exist_ok=True)
    async with sandbox_run(config_file) as run:
        # something to watch at once: the demo's or a due example's
        await run.read_until(lambda line: "📣 New meetup: **" in line)
        output = run.output
        assert re.search(r"^sandbox: http://127\.0\.0\.1:\d+$", output, re.M), output
        assert "imported 3 new" in output
        assert "<t:" not in output  # the feed shows times as people read them
    assert not (config_file.parent / "meetup.db").exists()  # the sandbox run keeps its data to itself


def test_corpus_imports_without_error(config_file: Path) -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus/stlgo-presentations is absent (a user's clone has no ../shared)")
    result = cli(config_file, "import", str(CORPUS))
    assert result.returncode == 0, result.stderr
    assert "imported 29 new, 0 updated, 0 unchanged; 1 skipped, 0 failed" in result.stdout  # SOURCE.md
    data = json.loads(cli(config_file, "events", "--all", "--json").stdout)
    by_slug = {e["slug"]: e for e in data}
    failure = by_slug["2022-11-16-FailureIsNotAnOption"]
    assert failure["reported"] == {"membership": 1027, "rsvps": 23, "attendance": 4}
    assert failure["hosting_groups"] == ["StLGo", "Kubernetes & Cloud Native STL"]
    assert failure["starts_at"] == "2022-11-16T17:30:00-06:00"


async def test_run_sandbox_starts_the_sandbox_where_a_token_is_required(config_file: Path) -> None:
    """In the container image ($MEETUP_BOT_REQUIRE_TOKEN=1) the sandbox runs only when asked for."""
    async with sandbox_run(config_file, "--sandbox", extra_env={"MEETUP_BOT_REQUIRE_TOKEN": "1"}) as run:
        assert "sandbox: http://127.0.0.1:" in run.output
