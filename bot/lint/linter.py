"""One lint run over files and folders: read each file as the importer would, check it, then check them
all together (duplicate slugs). No database: it runs on a pull request's checkout.

Parsing is CPU-bound pure Python, so a large repository is linted by one worker process per core; the
workers send back only the problems and the slugs (small), never the parsed records.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from bot.catalog.files import iter_event_files, load_event_file
from bot.catalog.record import EventFileError, NotAnEvent, ParseOptions, unexpected_error
from bot.lint.checks import duplicate_slugs, record_problems
from bot.lint.report import LintResult, Problem, Severity

__all__ = ["NO_CONFIG_NOTICE", "PARALLEL_FROM", "lint_paths"]

NO_CONFIG_NOTICE = "no config: hosting groups not checked (pass --config)"
PARALLEL_FROM = 2000  # below this many files, starting worker processes costs more than it saves
log = logging.getLogger(__name__)

Claim = tuple[str, str, int | None]  # slug, path, line


class NewSince(Protocol):
    def is_new(self, path: Path) -> bool: ...


@dataclass(frozen=True)
class _Checks:
    """What checking one file needs; picklable, for the worker processes."""

    reading: ParseOptions  # the options files are parsed with
    options: ParseOptions  # the config's, for the group check
    now: datetime
    check_groups: bool
    new_files: NewSince | None


def lint_paths(
    paths: Sequence[Path],
    options: ParseOptions,
    now: datetime,
    *,
    check_groups: bool,
    new_files: NewSince | None = None,
    workers: int | None = None,
) -> LintResult:
    """Lint the event files under `paths` (files, or folders walked as the importer walks them).

    `check_groups`: whether `options` come from a config (else groups cannot be checked, and a notice
    says so); `new_files`: which files are new since `--base` (None: the past-date check is skipped);
    `workers`: processes to parse with (default: one per core, for PARALLEL_FROM files or more).
    Any problem with one file, even an unforeseen exception, becomes that file's error.
    """
    result = LintResult()
    if not check_groups:
        result.notices.append(NO_CONFIG_NOTICE)
    # the parser stays quiet about groups (lint reports them itself, as errors) and records lines
    reading = dataclasses.replace(options, known_groups=(), locate=True)
    checks = _Checks(reading, options, now, check_groups, new_files)
    files = list(iter_event_files(paths))
    result.files = len(files)
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers > 1 and len(files) >= PARALLEL_FROM:
        problems, claims = _in_workers(files, checks, workers)
    else:
        problems, claims = _check_files(files, checks)
    result.problems = problems + duplicate_slugs(claims)
    if result.files == 0:
        result.notices.append("no event files found (.md, .markdown, .yaml or .yml)")
    return result


def _in_workers(files: list[Path], checks: _Checks, workers: int) -> tuple[list[Problem], list[Claim]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    size = -(-len(files) // (workers * 4))  # a few chunks per worker, so that none waits on the slowest
    chunks = [files[start : start + size] for start in range(0, len(files), size)]
    problems: list[Problem] = []
    claims: list[Claim] = []
    # fork: lint runs no threads, and a forked worker has the parser imported already
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            for found, claimed in pool.map(_check_files, chunks, [checks] * len(chunks)):
                problems += found
                claims += claimed
    except (BrokenProcessPool, OSError):  # a worker killed, no processes left: lint in this one
        log.debug("linting in worker processes failed; linting here", exc_info=True)
        return _check_files(files, checks)
    return problems, claims


def _check_files(files: Sequence[Path], checks: _Checks) -> tuple[list[Problem], list[Claim]]:
    problems: list[Problem] = []
    claims: list[Claim] = []
    for path in files:
        source = str(path)
        try:
            record = load_event_file(path, checks.reading)
            is_new = checks.new_files is not None and checks.new_files.is_new(path)
            problems += record_problems(
                record, checks.options, check_groups=checks.check_groups, now=checks.now, is_new=is_new
            )
        except NotAnEvent as skipped:
            problems.append(Problem(source, None, Severity.NOTICE, f"skipped, {skipped.reason}"))
            continue
        except EventFileError as exc:
            problems.append(Problem(exc.path, exc.line, Severity.ERROR, exc.message))
            if exc.detail:
                log.debug("%s: what went wrong:\n%s", exc.path, exc.detail)
            continue
        except Exception as exc:  # one odd file never shows a traceback, and never stops the others
            error = unexpected_error(source, exc, "could not be checked")
            log.debug("%s: what went wrong:\n%s", source, error.detail)
            problems.append(Problem(source, None, Severity.ERROR, error.message))
            continue
        claims.append((record.slug, source, record.lines.get("title")))
    return problems, claims
