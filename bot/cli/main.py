"""Argument parsing and dispatch; config errors exit 2 before anything touches the database.

Each command's module is imported only when that command runs, so `lint` or `check-config` never load
discord.py, Alembic or the sandbox.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from bot.cli.parser import build_parser
from bot.clock import Clock, SystemClock
from bot.config import (
    DATABASE_URL_ENV,
    GIT_TOKEN_ENV,
    WEBHOOK_SECRET_ENV,
    Config,
    ConfigError,
    config_path,
    load_config,
    read_token,
)
from bot.logs import setup_logging

EXIT_FAILURE = 1
EXIT_CONFIG = 2
# commands that work on event files alone: a config is used when there is one, else the defaults
CONFIG_OPTIONAL = ("lint", "preview")
LOG_FORMAT_ENV = "MEETUP_BOT_LOG_FORMAT"


def main(argv: Sequence[str] | None = None, clock: Clock | None = None) -> int:
    """The `meetup-bot` entry point; `clock` is the one source of "now" for every command (tests inject one)."""
    clock = clock or SystemClock()
    args = build_parser().parse_args(argv)
    path = config_path(args.config, os.environ)
    config: Config | None = None
    try:
        if args.command not in CONFIG_OPTIONAL or args.config or path.exists():
            config = load_config(path)
        token = read_token(os.environ)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        print("meetup-bot: the config has problems (above); nothing was changed.", file=sys.stderr)
        return EXIT_CONFIG
    secrets = [token, os.environ.get(GIT_TOKEN_ENV, ""), os.environ.get(WEBHOOK_SECRET_ENV, "")]
    log_format = args.log_format or os.environ.get(LOG_FORMAT_ENV, "").strip().lower() or "text"
    if log_format not in ("text", "json"):
        print(f"error: ${LOG_FORMAT_ENV} must be text or json, not {log_format!r}", file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(
        args.verbose, secrets=[s.strip() for s in secrets if s and s.strip()], log_format=log_format
    )
    try:
        if args.command in CONFIG_OPTIONAL:
            return _config_optional(args, config, clock)
        assert config is not None
        return _dispatch(args, config, token, clock)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from bot.db.engine import DatabaseUnavailable

        if not isinstance(exc, DatabaseUnavailable):
            raise
        logging.getLogger(__name__).debug("opening the database failed", exc_info=True)
        source = config.source if config is not None else path
        print(
            f"error: {exc.message}; check database.url in {source} (or ${DATABASE_URL_ENV})", file=sys.stderr
        )
        return EXIT_FAILURE


def _config_optional(args: argparse.Namespace, config: Config | None, clock: Clock) -> int:
    command = args.command
    if command == "lint":
        from bot.cli.lint import lint_command

        return lint_command(config, args, clock)
    if command == "preview":
        import asyncio  # here, not at the top: `lint` and `check-config` do without it

        from bot.cli.preview import preview_command

        return asyncio.run(preview_command(config, args, clock))
    raise AssertionError(f"unhandled command {command}")


def _dispatch(args: argparse.Namespace, config: Config, token: str | None, clock: Clock) -> int:
    command = args.command
    if command == "check-config":
        from bot.cli.catalog import check_config

        return check_config(config, token)
    import asyncio

    if command == "import":
        from bot.cli.catalog import import_command

        return asyncio.run(import_command(config, args.paths, clock))
    if command == "events":
        from bot.cli.catalog import events_command

        return asyncio.run(events_command(config, show_all=args.all, as_json=args.json, clock=clock))
    if command == "rsvps":
        from bot.cli.rsvps import rsvps_command

        return asyncio.run(rsvps_command(config, args.slug, as_json=args.json))
    if command == "schedule":
        from bot.cli.schedule import schedule_command

        return asyncio.run(schedule_command(config, as_json=args.json, clock=clock))
    if command == "export":
        from bot.cli.export import export_command

        return asyncio.run(export_command(config, args, clock))
    if command == "sync":
        from bot.cli.sync import sync_command

        return asyncio.run(sync_command(config, args, clock))
    if command == "run":
        from bot.cli.run import run_command

        return asyncio.run(
            run_command(
                config,
                token,
                sandbox_port=args.sandbox_port,
                force_sandbox=args.sandbox,
                clock=clock,
                start_retries=args.start_retries,
            )
        )
    if command == "invite-url":
        from bot.cli.invite import invite_url_command

        return asyncio.run(invite_url_command(config, token, args.client_id))
    if command == "doctor":
        from bot.cli.doctor import doctor_command

        return asyncio.run(doctor_command(config, token))
    if command == "sandbox":
        from bot.cli.run import sandbox_command

        return asyncio.run(sandbox_command(config, args.port, clock))
    raise AssertionError(f"unhandled command {command}")
