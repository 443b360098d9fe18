"""`meetup-bot preview --repo PATH --base REV [--head REV] [--path FOLDER]`: what merging a change of the
events repository would make the bot do, as markdown for a pull-request comment. Nothing is written."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path, PurePosixPath

from sqlalchemy.exc import DBAPIError

from bot.cli.safe_text import safe_block, safe_line
from bot.clock import Clock
from bot.config import Config
from bot.db.engine import DatabaseUnavailable, create_engine, session_factory
from bot.db.files import sqlite_file
from bot.repo.git import GitError
from bot.repo.preview import Preview, preview_change
from bot.repo.preview_files import PreviewError
from bot.repo.preview_markdown import render

EXIT_FAILURE = 1


def events_folder(config: Config | None, given: str | None) -> str:
    """The folder inside the repository: --path, else events_repo.path, else the top folder."""
    if given is None:
        given = config.events_repo.path if config is not None and config.events_repo is not None else "."
    folder = PurePosixPath(given.replace("\\", "/"))
    if folder.is_absolute() or ".." in folder.parts:
        raise PreviewError(f"--path {given}: must be a folder inside the repository, e.g. . or events")
    return str(folder)


async def preview_command(config: Config | None, args: argparse.Namespace, clock: Clock) -> int:
    """Prints the preview; one `error:` line and exit status 1 when the repository or a revision is wrong."""
    now = clock.now()
    try:
        folder = events_folder(config, args.path)
        result = await _preview(config, Path(args.repo), args.base, args.head, folder, now)
    except PreviewError as exc:
        print(safe_line(f"error: {exc.message}"), file=sys.stderr)
        return EXIT_FAILURE
    except GitError as exc:
        print(safe_line(f"error: {exc.message}"), file=sys.stderr)
        return EXIT_FAILURE
    sys.stdout.write(safe_block(render(result)))
    return 0


async def _preview(
    config: Config | None, repo: Path, base: str, head: str, folder: str, now: datetime
) -> Preview:
    url = config.database.url if config is not None else None
    if url is None:
        return await preview_change(repo, base, head, folder, config, now)
    assert config is not None
    path = sqlite_file(url)
    if path is not None and not path.exists():
        print(
            f"note: the database {path} does not exist yet; previewing as if nothing was posted",
            file=sys.stderr,
        )
        return await preview_change(repo, base, head, folder, config, now)
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            try:
                shown = str(path) if path is not None else "the configured database"
                result = await preview_change(repo, base, head, folder, config, now, session, shown)
            except DBAPIError as exc:
                raise DatabaseUnavailable(url, exc) from exc
            finally:
                await session.rollback()  # read only: nothing the preview did is kept
        return result
    finally:
        await engine.dispose()
