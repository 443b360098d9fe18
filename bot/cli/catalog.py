"""CLI commands over the event catalog: import, events, check-config, and `run` until the bot exists.

Each command imports what it uses when it runs: `check-config` needs no database at all, and `events` no
parser, so neither pays at start-up for what only `import` uses (see benchmarks/cli_startup.py).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.safe_text import safe_json, safe_line
from bot.clock import Clock, SystemClock
from bot.config import Config

if TYPE_CHECKING:
    from bot.catalog.importer import ImportReport
    from bot.db.models import Event


def check_config(config: Config, token: str | None) -> int:
    """Prints the values in effect, in config.yaml's notation (`7d`, `"18:00"`); the token only as set or not."""
    import yaml

    data = config.redacted()
    data["token"] = "[set]" if token else "[not set: `run` starts the local sandbox]"
    print(f"# {config.source}: valid")
    print("# the values in effect: each group's announcements include the global ones it does not override;")
    print("# keys that are not set are left out")
    print(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), end="")
    return 0


def print_report(report: ImportReport) -> None:
    """The import's problems and summary; they quote file names and file content, so made safe to print."""
    for error in report.errors:
        print(f"error: {safe_line(error)}", file=sys.stderr)
    for notice in report.skipped:
        print(f"notice: {safe_line(notice)}", file=sys.stderr)
    for warning in report.warnings:
        print(f"warning: {safe_line(warning)}", file=sys.stderr)
    print(report.summary())


async def import_command(config: Config, paths: Sequence[str], clock: Clock | None = None) -> int:
    """Imports files and folders in one transaction; events whose files left a given folder are marked removed."""
    from bot.catalog.importer import import_paths
    from bot.catalog.removal import mark_removed, refusal_line, removal_line, restored_line
    from bot.db.engine import open_database

    clock = clock or SystemClock()
    missing = [p for p in paths if not Path(p).exists()]
    for p in missing:
        print(f"error: {p}: no such file or folder", file=sys.stderr)
    found = [Path(p) for p in paths if p not in missing]
    removals: list[str] = []
    refusals: list[str] = []
    async with open_database(config.database.url) as sessions, sessions.begin() as session:
        report = await import_paths(session, found, config.parse_options(), clock.now())
        for folder in found:  # only folders: a file given alone says nothing about the others
            if folder.is_dir():
                result = await mark_removed(
                    session, folder, clock.now(), events_dir=config.events_dir, guard=config.removal_guard
                )
                if result.removed:
                    removals.append(removal_line(folder, result.removed))
                if result.restored:
                    removals.append(restored_line(folder, result.restored))
                if result.refused is not None:
                    refusals.append(refusal_line(result.refused))
    for line in refusals:
        print(f"warning: {safe_line(line)}", file=sys.stderr)
    for line in removals:
        print(line)
    print_report(report)
    return 1 if (missing or not report.ok) else 0


async def events_command(config: Config, *, show_all: bool, as_json: bool, clock: Clock | None = None) -> int:
    """The upcoming (or all) events as a table or JSON."""
    from bot.catalog import queries
    from bot.catalog.rows import event_to_json
    from bot.db.engine import open_database

    clock = clock or SystemClock()
    async with open_database(config.database.url) as sessions, sessions() as session:
        if show_all:
            events = await queries.all_events(session)
        else:
            events = await queries.upcoming_events(session, clock.now())
        if as_json:
            print(safe_json([event_to_json(e) for e in events], indent=2))
        else:
            print(format_table(events, "upcoming" if not show_all else "all", clock.now()))
    return 0


def format_table(events: Sequence[Event], which: str, now: datetime) -> str:
    """Events as text; each start in the event's own zone, naming its date unless it is today."""
    from bot.when import when_text

    if not events:
        return f"No {which} events. Add event files to the events folder and run `meetup-bot import`."
    lines = []
    for event in events:
        where = "online" if event.online else (event.location or "venue to be announced")
        flag = " [cancelled]" if event.cancelled else ""
        groups = ", ".join(event.hosting_groups) or "-"
        lines.append(
            f"{when_text(event.starts_at, event.timezone, now)}  {safe_line(event.slug)}\n"
            f"    {safe_line(event.title)}{flag}\n"
            f"    {safe_line(groups)} · {safe_line(where)}"
        )
    return "\n".join(lines)


async def run_command(config: Config, clock: Clock | None = None) -> int:
    """Import events_dir, then list what is upcoming (the Discord side comes with the bot)."""
    from bot.catalog import queries
    from bot.catalog.importer import import_paths
    from bot.db.engine import open_database

    clock = clock or SystemClock()
    async with open_database(config.database.url) as sessions:
        async with sessions.begin() as session:
            report = await import_paths(session, [config.events_dir], config.parse_options(), clock.now())
        print_report(report)
        async with sessions() as session:
            print(format_table(await queries.upcoming_events(session, clock.now()), "upcoming", clock.now()))
    return 0
