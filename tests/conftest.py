"""Shared fixtures: a config file and a real, migrated SQLite database in a temporary folder."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from textwrap import dedent

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Config, load_config
from bot.db.engine import open_database
from tests.spec_check import recorder, spec  # noqa: F401  (fixtures shared by sandbox and e2e tests)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus" / "stlgo-presentations"

BASE_CONFIG = """\
timezone: America/Chicago
database:
  url: sqlite+aiosqlite:///meetup.db
defaults:
  start_time: "18:00"
  duration_minutes: 120
events_dir: events/
groups:
  - name: StLGo
    aliases: [St. Louis Go]
    guild_id: 100000000000000001
    announce_channel_id: 100000000000000002
    organizer_role_id: 100000000000000003
  - name: Kubernetes & Cloud Native STL
    aliases: [KCN-STL]
    guild_id: 100000000000000011
    announce_channel_id: 100000000000000012
    organizer_role_id: 100000000000000013
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """A valid config.yaml in a temporary folder, with an empty events/ folder beside it."""
    (tmp_path / "events").mkdir()
    path = tmp_path / "config.yaml"
    path.write_text(BASE_CONFIG)
    return path


@pytest.fixture
def config(config_file: Path) -> Config:
    return load_config(config_file, environ={})


@pytest.fixture
async def sessions(config: Config) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with open_database(config.database.url) as factory:
        yield factory


@pytest.fixture
def write_event(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write an event file (dedented) under events/; returns its path."""

    def write(relative: str, text: str) -> Path:
        path = tmp_path / "events" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text).lstrip(), encoding="utf-8")
        return path

    return write
