"""`meetup-bot lint PATH...`: translates arguments into a lint run and its result into output and an exit status.

Imports only the parsers and the checks (git only with --base): it runs on every pull request, so it must
start fast and needs no database, Discord or sandbox.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.catalog.record import ParseOptions
from bot.cli.safe_text import safe_line
from bot.clock import Clock
from bot.config import Config
from bot.lint.linter import lint_paths
from bot.lint.report import format_github, format_text

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "lint_command"]

EXIT_OK = 0
EXIT_FAILED = 1  # errors (or, with --strict, warnings)
EXIT_USAGE = 2  # a PATH that does not exist, an unusable --base


def lint_command(config: Config | None, args: argparse.Namespace, clock: Clock) -> int:
    """Lints the files, prints the problems (text, or GitHub annotations) and returns the exit status."""
    paths = [Path(p) for p in args.paths]
    for path in paths:
        if not path.exists():
            return _usage(f"{path}: no such file or folder")
    new_files = None
    if args.base is not None:
        from bot.lint.gitinfo import BaseError
        from bot.lint.gitinfo import new_files as find_new_files

        try:
            new_files = find_new_files(paths, args.base)
        except BaseError as exc:
            return _usage(exc.message)
    options = config.parse_options() if config is not None else ParseOptions()
    result = lint_paths(paths, options, clock.now(), check_groups=config is not None, new_files=new_files)
    lines = format_github(result) if args.format == "github" else format_text(result)
    print("\n".join(lines))
    if result.errors or (args.strict and result.warnings):
        return EXIT_FAILED
    return EXIT_OK


def _usage(message: str) -> int:
    print(f"meetup-bot lint: {safe_line(message)}", file=sys.stderr)
    return EXIT_USAGE
