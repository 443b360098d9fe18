"""`meetup-bot export attendance SLUG --csv | ics | markdown SLUG --write`: the numbers, out of the bot."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.catalog import queries
from bot.checkin.attendance import attendance
from bot.checkin.exports import attendance_csv
from bot.checkin.ics import calendar
from bot.checkin.writeback import Totals, WriteBackError, rewrite, write_back
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.db.engine import open_database
from bot.db.models import Event
from bot.errors import UserError


def add_export_parser(commands: Any) -> None:
    export = commands.add_parser(
        "export", help="export attendance (CSV), an iCalendar feed, or totals to markdown"
    )
    kinds = export.add_subparsers(dest="export_kind", required=True, metavar="WHAT")
    att = kinds.add_parser("attendance", help="an event's RSVPs and check-ins")
    att.add_argument("slug", metavar="SLUG")
    att.add_argument("--csv", action="store_true", required=True, help="as CSV on stdout")
    ics = kinds.add_parser("ics", help="an iCalendar feed of upcoming events on stdout")
    ics.add_argument("--group", help="only this group's events")
    md = kinds.add_parser("markdown", help="fill Total RSVPs / Total Attendance in the event's markdown file")
    md.add_argument("slug", metavar="SLUG")
    md.add_argument("--write", action="store_true", help="change the file in place (else print the new text)")


def source_path(config: Config, event: Event) -> Path:
    path = Path(event.source)
    return path if path.is_absolute() else config.events_dir / path


def markdown_totals(event: Event, figures: Any) -> dict[str, Totals]:
    """Total RSVPs = going RSVPs; Total Attendance = everybody checked in, walk-ins and guests included."""
    return {
        "rsvps": Totals(figures.total.going, {g: f.going for g, f in figures.by_group.items()}),
        "attendance": Totals(figures.total.present, {g: f.present for g, f in figures.by_group.items()}),
    }


async def export_command(config: Config, args: argparse.Namespace, clock: Clock | None = None) -> int:
    now = (clock or SystemClock()).now()
    async with open_database(config.database.url) as sessions, sessions() as session:
        try:
            if args.export_kind == "ics":
                events = await queries.upcoming_events(session, now, group=args.group)
                sys.stdout.write(calendar(events, now))
                return 0
            event = await queries.event_by_slug(session, args.slug)
            if args.export_kind == "attendance":
                sys.stdout.write(await attendance_csv(session, event))
                return 0
            figures = await attendance(session, event)
        except UserError as error:
            print(f"error: {error.message.replace('/events', 'meetup-bot events')}", file=sys.stderr)
            return 1
    values = markdown_totals(event, figures)
    path = source_path(config, event)
    canonical = config.parse_options().canonical_group
    try:
        if args.write:
            changed = write_back(path, values, canonical)
            print(f"{path}: {'updated' if changed else 'already up to date'}")
        else:
            sys.stdout.write(rewrite(path.read_text(encoding="utf-8-sig"), values, canonical))
    except (OSError, WriteBackError) as error:
        print(f"error: {path}: {error}", file=sys.stderr)
        return 1
    return 0
