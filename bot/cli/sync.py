"""`meetup-bot sync [--full]`: one sync of events_repo from the shell (cron-friendly), its summary printed."""

from __future__ import annotations

import argparse
import sys

from bot.cli.safe_text import safe_line
from bot.clock import Clock
from bot.config import Config

EXIT_FAILURE = 1
EXIT_CONFIG = 2


async def sync_command(config: Config, args: argparse.Namespace, clock: Clock) -> int:
    """Fetch and import what changed; exit 1 when the repository could not be synced or a file failed
    (as `import` does), 2 when events_repo is not configured."""
    if config.events_repo is None:
        print(
            f"error: {config.source}: events_repo is not set; add events_repo.url (the group's git "
            "repository of event files) to sync from it, or use `meetup-bot import FOLDER`",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    from bot.db.engine import open_database
    from bot.repo.sync import sync_repository

    async with open_database(config.database.url) as sessions:
        report = await sync_repository(config, sessions, clock, full=bool(getattr(args, "full", False)))
    if report.error is not None:
        print(f"error: {safe_line(report.summary())}", file=sys.stderr)
        return EXIT_FAILURE
    for line in report.failed:
        print(f"error: {safe_line(line)}", file=sys.stderr)
    if report.refused:
        print(f"warning: {safe_line(report.refused)}", file=sys.stderr)
    for note in report.notes:
        print(f"warning: {safe_line(note)}", file=sys.stderr)
    print(safe_line(report.summary()))
    return EXIT_FAILURE if report.failed else 0
