"""`meetup-bot export attendance SLUG | ics | markdown SLUG --write`: the numbers, out of the bot."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from bot.catalog import queries
from bot.catalog.sources import source_file
from bot.checkin.exports import attendance_csv
from bot.checkin.ics import calendar
from bot.checkin.writeback import (
    LABELS,
    Kept,
    Merged,
    Totals,
    WriteBackError,
    merge,
    recorded_totals,
    write_back,
)
from bot.cli.safe_text import safe_block, safe_line
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.db.engine import open_database
from bot.db.models import Event
from bot.errors import UserError
from bot.repo.commit import OutsideClone, PushReport, push_pending, write_and_commit
from bot.repo.git import GitError, repo_lock

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


def _commit_usage(config: Config, args: argparse.Namespace) -> str | None:
    """Why `--commit` cannot be used as given, else None."""
    if not getattr(args, "commit", False):
        return None
    if not args.write:
        return "error: --commit commits the written file: add --write (export markdown SLUG --write --commit)"
    if config.events_repo is None:
        return (
            f"error: --commit needs the events repository: set `events_repo` in {config.source.name} "
            "(url, branch, clone_dir), or leave --commit out"
        )
    return None


async def export_command(config: Config, args: argparse.Namespace, clock: Clock | None = None) -> int:
    now = (clock or SystemClock()).now()
    group = None
    if args.export_kind == "markdown" and (usage := _commit_usage(config, args)) is not None:
        print(usage, file=sys.stderr)
        return EXIT_USAGE
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
    if args.commit:
        return await commit_totals(config, event, values, path, force=args.force)
    merged: Merged
    try:
        if args.write:
            merged = write_back(path, values, canonical, force=args.force)
        else:
            merged = merge(path.read_text(encoding="utf-8-sig"), values, canonical, force=args.force)
    except (OSError, UnicodeDecodeError, WriteBackError) as error:
        print(safe_line(file_error(config, path, error)), file=sys.stderr)
        return 1
    _notes(args.slug, values, merged)
    if args.write:
        print(safe_line(f"{path}: {'updated' if merged.changed else 'unchanged'}"))
    else:
        sys.stdout.write(safe_block(merged.text))
    return 0


def file_error(config: Config, path: Path, error: Exception) -> str:
    """The one line for an event file that cannot be written back."""
    if isinstance(error, FileNotFoundError):
        return (
            f"error: {path}: the event's file is not there; import it again "
            f"(`meetup-bot import {config.events_dir}`) if it moved"
        )
    if isinstance(error, WriteBackError):
        return f"error: {path}: {error}; nothing was changed"
    return f"error: {path}: cannot be read or written ({error}); nothing was changed"


def _notes(slug: str, values: Mapping[str, Totals], merged: Merged) -> None:
    """What was not written, on stderr: figures the bot has no data for, and figures the file kept."""
    for key, label in LABELS.items():
        if key not in values:
            what = "RSVPs" if key == "rsvps" else "check-ins"
            print(
                safe_line(f"note: the bot has recorded no {what} for {slug}; {label} left as it is"),
                file=sys.stderr,
            )
    for kept in merged.kept:
        print(safe_line(kept_text(kept)), file=sys.stderr)


async def commit_totals(
    config: Config, event: Event, values: Mapping[str, Totals], path: Path, *, force: bool
) -> int:
    """`--write --commit`: the write-back and its commit in the bot's clone, under the clone's lock, then
    the push (of this commit and any earlier one left unpushed) when `events_repo.push` is on."""
    repo = config.events_repo
    assert repo is not None
    canonical = config.parse_options().canonical_group
    report: PushReport | None = None
    try:
        async with repo_lock(repo.clone_dir):
            try:
                written = await write_and_commit(
                    repo, path, values, canonical, title=event.title, slug=event.slug, force=force
                )
            except GitError as error:
                print(
                    safe_line(
                        f"error: {path}: {error.message}; the file was put back, nothing was committed"
                    ),
                    file=sys.stderr,
                )
                return 1
            if repo.push:
                report = await push_pending(repo)
    except OutsideClone as error:
        print(safe_line(f"error: {error.message}; nothing was changed"), file=sys.stderr)
        return 1
    except GitError as error:  # the clone itself is broken (the commit is made)
        print(safe_line(f"error: cannot push from {repo.clone_dir}: {error.message}"), file=sys.stderr)
        return 1
    except (OSError, UnicodeDecodeError, WriteBackError) as error:
        print(safe_line(file_error(config, path, error)), file=sys.stderr)
        return 1
    _notes(event.slug, values, written.merged)
    if written.commit is None:
        print(safe_line(f"{path}: unchanged, nothing committed"))
    else:
        state = "updated" if written.merged.changed else "unchanged since the last write"
        subject = written.message.splitlines()[0]
        print(safe_line(f"{path}: {state}, committed {written.commit[:7]} ({subject})"))
    if report is None:
        return 0
    if report.line:
        print(safe_line(report.line), file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1
