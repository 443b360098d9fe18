"""Fixtures for the events-repository tests: a bare "remote" with an organizer's working clone that commits
and pushes, and a config whose events_repo points at it (file:// URL, the bot's clone in tmp_path).

Tests elsewhere reuse them by importing: `from tests.repo.conftest import Remote, REPO_CONFIG, event_file`
(and the fixture functions, which pytest picks up from a test module or conftest that imports them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Config, load_config
from bot.db.engine import open_database
from bot.db.models import Event, RepoSync
from tests.conftest import BASE_CONFIG
from tests.factories import NOW
from tests.repo.event_repo import EventRepo, event_text, run_git

# events_repo for BASE_CONFIG; `{url}` is the remote's file:// URL. The events live under events/ so that
# files at the repository root (README.md, .github/) are not event files.
REPO_CONFIG = """\
events_repo:
  url: {url}
  branch: main
  path: events
  poll_interval: 1s
  clone_dir: clone/
"""

ORGANIZER = "Olivia Organizer <olivia@example.org>"
CHICAGO = ZoneInfo("America/Chicago")


def event_start(days: int, hour: int = 18) -> datetime:
    """`hour`:00 in America/Chicago, `days` after NOW's date there."""
    local = (NOW + timedelta(days=days)).astimezone(CHICAGO)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def event_file(
    title: str,
    days: int = 7,
    *,
    hour: int = 18,
    hours: int = 2,
    where: str = "Example Hall, 1 Main St",
    group: str = "StLGo",
    extra_rows: str = "",
) -> str:
    """An event file's text (tests/repo/event_repo.py's format) starting `days` after NOW at `hour`:00."""
    return event_text(
        title, event_start(days, hour), hours=hours, where=where, group=group, extra_rows=extra_rows
    )


class Remote(EventRepo):
    """A bare repository (`url`) and an organizer's working clone of it (`path`) on `main`."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        super().__init__(root / "organizer", origin=root / "remote.git")
        assert self.origin is not None
        self.bare = self.origin
        self.url = self.origin.as_uri()

    def rename(self, old: str, new: str) -> None:
        self.move(old, new)

    def commit(self, message: str, author: str = ORGANIZER) -> str:  # type: ignore[override]
        run_git(self.path, "add", "-A")
        run_git(self.path, "commit", "-q", "--allow-empty", "--author", author, "-m", message)
        return self.head()

    def push(self, *refs: str) -> None:
        run_git(self.path, "push", "-q", "origin", *(refs or ("HEAD:main",)))

    def publish(self, files: dict[str, str], message: str, author: str = ORGANIZER) -> str:
        """Write these files, commit and push: one organizer's merged change."""
        for relative, text in files.items():
            self.write(relative, text)
        sha = self.commit(message, author)
        self.push()
        return sha

    def force_push_reset(self, rev: str) -> None:
        """Rewrite history: the branch back to `rev`, force-pushed."""
        run_git(self.path, "reset", "-q", "--hard", rev)
        run_git(self.path, "push", "-q", "--force", "origin", "HEAD:main")

    def head(self) -> str:
        return run_git(self.path, "rev-parse", "HEAD").strip()


@pytest.fixture
def remote(tmp_path: Path) -> Remote:
    """An events repository with one commit on main (a README at the root, no event yet), pushed."""
    made = Remote(tmp_path / "git")
    made.write("README.md", "# Our meetup's events\n")
    made.commit("Start the events repository")
    made.push()
    return made


@pytest.fixture
def repo_config_file(config_file: Path, remote: Remote) -> Path:
    """BASE_CONFIG with events_repo pointing at `remote` (clone in tmp_path/clone)."""
    config_file.write_text(BASE_CONFIG + REPO_CONFIG.format(url=remote.url))
    return config_file


@pytest.fixture
def repo_config(repo_config_file: Path) -> Config:
    return load_config(repo_config_file, environ={})


@pytest.fixture
async def repo_sessions(repo_config: Config) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with open_database(repo_config.database.url) as factory:
        yield factory


async def stored_commit(sessions: async_sessionmaker[AsyncSession]) -> str | None:
    """The commit the database says it holds (one repository in these tests)."""
    async with sessions() as session:
        rows = list(await session.scalars(select(RepoSync)))
    assert len(rows) <= 1
    return rows[0].commit if rows else None


async def events_by_slug(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Event]:
    async with sessions() as session:
        return {event.slug: event for event in await session.scalars(select(Event))}
