"""`meetup-bot export attendance SLUG | ics | markdown SLUG --write`: the numbers, out of the bot."""

from __future__ import annotations

import argparse
import sys

from bot.catalog import queries
from bot.catalog.sources import source_file
from bot.checkin.exports import attendance_csv
from bot.checkin.ics import calendar
from bot.checkin.writeback import LABELS, Kept, Merged, WriteBackError, merge, recorded_totals, write_back
from bot.cli.safe_text import safe_block, safe_line
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.db.engine import open_database
from bot.errors import UserError

EXIT_USAGE = 2


def group_name(config: Config, name: str) -> str | None:
    """The configured name of the group called `name` (its name or an alias, in any case), else None."""
    return config.parse_options().group_aliases.get(name.strip().casefold())


def known_groups(config: Config) -> str:
    """`StLGo (aliases: St. Louis Go), ...`: what `--group` accepts."""
    return ", ".join(
        f"{g.name} (aliases: {', '.join(g.aliases)})" if g.aliases else g.name for g in config.groups
    )


def kept_text(kept: Kept) -> str:
    if kept.written.isdigit():
        return (
            f"{kept.label}: the file says {kept.written}, the bot recorded {kept.recorded}; "
            f"kept {kept.written} (use --force to replace it)"
        )
    return (
        f'{kept.label}: the file says "{kept.written}", the bot recorded {kept.recorded}; '
        "kept it (use --force to replace it)"
    )


async def export_command(config: Config, args: argparse.Namespace, clock: Clock | None = None) -> int:
    now = (clock or SystemClock()).now()
    group = None
    if args.export_kind == "ics" and args.group is not None:
        group = group_name(config, args.group)
        if group is None:
            print(
                safe_line(f"error: no group called {args.group}; known groups: {known_groups(config)}"),
                file=sys.stderr,
            )
            return EXIT_USAGE
    async with open_database(config.database.url) as sessions, sessions() as session:
        try:
            if args.export_kind == "ics":
                events = await queries.upcoming_events(session, now, group=group)
                sys.stdout.write(safe_block(calendar(events, now)))
                return 0
            event = await queries.event_by_slug(session, args.slug)
            if args.export_kind == "attendance":
                sys.stdout.write(safe_block(await attendance_csv(session, event)))
                return 0
            values = await recorded_totals(session, event, now)
        except UserError as error:
            print(
                f"error: {safe_line(error.message.replace('/events', 'meetup-bot events'))}", file=sys.stderr
            )
            return 1
    path = source_file(event.source, config.events_dir)
    canonical = config.parse_options().canonical_group
    merged: Merged
    try:
        if args.write:
            merged = write_back(path, values, canonical, force=args.force)
        else:
            merged = merge(path.read_text(encoding="utf-8-sig"), values, canonical, force=args.force)
    except FileNotFoundError:
        print(
            safe_line(
                f"error: {path}: the event's file is not there; import it again "
                f"(`meetup-bot import {config.events_dir}`) if it moved"
            ),
            file=sys.stderr,
        )
        return 1
    except (OSError, UnicodeDecodeError) as error:
        print(
            safe_line(f"error: {path}: cannot be read or written ({error}); nothing was changed"),
            file=sys.stderr,
        )
        return 1
    except WriteBackError as error:
        print(safe_line(f"error: {path}: {error}; nothing was changed"), file=sys.stderr)
        return 1
    for key, label in LABELS.items():
        if key not in values:
            what = "RSVPs" if key == "rsvps" else "check-ins"
            print(
                safe_line(f"note: the bot has recorded no {what} for {args.slug}; {label} left as it is"),
                file=sys.stderr,
            )
    for kept in merged.kept:
        print(safe_line(kept_text(kept)), file=sys.stderr)
    if args.write:
        print(safe_line(f"{path}: {'updated' if merged.changed else 'unchanged'}"))
    else:
        sys.stdout.write(safe_block(merged.text))
    return 0
