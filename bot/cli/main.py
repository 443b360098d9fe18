"""Argument parsing and dispatch; config errors exit 2 before anything touches the database."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

from bot.cli import catalog, run
from bot.cli.export import add_export_parser, export_command
from bot.cli.rsvps import rsvps_command
from bot.cli.schedule import schedule_command
from bot.clock import Clock, SystemClock
from bot.config import DATABASE_URL_ENV, ConfigError, config_path, load_config, read_token
from bot.db.engine import DatabaseUnavailable
from bot.logs import setup_logging

EXIT_FAILURE = 1
EXIT_CONFIG = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="meetup-bot", description="A Discord bot for meetup groups.")
    parser.add_argument("--config", help="config file (default: $MEETUP_BOT_CONFIG, else ./config.yaml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="import events_dir and run the bot (without a token: in the sandbox)"
    )
    run.add_argument(
        "--sandbox-port", type=int, default=0, help="sandbox port without a token (default: free)"
    )
    run.add_argument(
        "--start-retries",
        type=int,
        default=4,
        metavar="N",
        help="with a token: tries again N times (after 1, 2, 4, 8... s) while Discord is unreachable (default: 4)",
    )
    sandbox = commands.add_parser("sandbox", help="run the local Discord-compatible sandbox alone")
    sandbox.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    imp = commands.add_parser("import", help="import event files or folders (recursive) into the database")
    imp.add_argument("paths", nargs="+", metavar="PATH")
    events = commands.add_parser("events", help="list upcoming events (or all with --all)")
    events.add_argument("--all", action="store_true", help="past events too")
    events.add_argument("--json", action="store_true", help="a JSON list instead of a table")
    commands.add_parser("check-config", help="validate the config and print it (token redacted)")
    schedule = commands.add_parser("schedule", help="what the bot will post, where and when (a dry run)")
    schedule.add_argument("--json", action="store_true", help="a JSON list instead of a table")
    rsvps = commands.add_parser("rsvps", help="list an event's RSVPs (going, waitlist, maybe, not going)")
    rsvps.add_argument("slug", metavar="SLUG")
    rsvps.add_argument("--json", action="store_true", help="a JSON list of {user_id, name, status, position}")
    add_export_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None, clock: Clock | None = None) -> int:
    """The `meetup-bot` entry point; `clock` is the one source of "now" for every command (tests inject one)."""
    clock = clock or SystemClock()
    args = build_parser().parse_args(argv)
    path = config_path(args.config, os.environ)
    try:
        config = load_config(path)
        token = read_token(os.environ)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        print("meetup-bot: the config has problems (above); nothing was changed.", file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(args.verbose, secrets=[token] if token else [])
    try:
        if args.command == "check-config":
            return catalog.check_config(config, token)
        if args.command == "import":
            return asyncio.run(catalog.import_command(config, args.paths, clock))
        if args.command == "rsvps":
            return asyncio.run(rsvps_command(config, args.slug, as_json=args.json))
        if args.command == "schedule":
            return asyncio.run(schedule_command(config, as_json=args.json, clock=clock))
        if args.command == "events":
            return asyncio.run(
                catalog.events_command(config, show_all=args.all, as_json=args.json, clock=clock)
            )
        if args.command == "export":
            return asyncio.run(export_command(config, args, clock))
        if args.command == "run":
            return asyncio.run(
                run.run_command(
                    config,
                    token,
                    sandbox_port=args.sandbox_port,
                    clock=clock,
                    start_retries=args.start_retries,
                )
            )
        if args.command == "sandbox":
            return asyncio.run(run.sandbox_command(config, args.port, clock))
    except KeyboardInterrupt:
        return 130
    except DatabaseUnavailable as exc:
        logging.getLogger(__name__).debug("opening the database failed", exc_info=True)
        print(
            f"error: {exc.message}; check database.url in {config.source} (or ${DATABASE_URL_ENV})",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    raise AssertionError(f"unhandled command {args.command}")
