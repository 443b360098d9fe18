"""A running bot that follows a real git repository: a bare "remote", an organizer's clone that commits and
pushes to it, the bot's config with events_repo (file:// URL, a short poll) and http.listen on a free port."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.application import Application
from bot.config import WEBHOOK_SECRET_ENV
from bot.db.models import Event
from bot.repo.webhooks import github_signature
from tests.conftest import BASE_CONFIG
from tests.e2e.announcements.conftest import LOG_CHANNEL, sandbox, start_bot  # noqa: F401  (fixtures)
from tests.factories import NOW
from tests.repo.event_repo import EventRepo, event_text

SECRET = "a-webhook-secret-for-the-tests"
START = NOW + timedelta(days=3)  # within the 7-day lead time: announced as soon as it is imported


def repo_config(remote: Path, *, poll: str = "1s") -> str:
    """BASE_CONFIG with StLGo's log channel, events_repo on `remote`, and the HTTP server on a free port."""
    text = BASE_CONFIG.replace(
        "    organizer_role_id: 100000000000000003\n",
        "    organizer_role_id: 100000000000000003\n"
        f"    announcements:\n      log_channel_id: {LOG_CHANNEL}\n",
    )
    return text + (
        f"events_repo:\n  url: {remote.as_uri()}\n  branch: main\n  poll_interval: {poll}\n"
        "  clone_dir: clone/\nhttp:\n  listen: 127.0.0.1:0\n"
    )


@pytest.fixture
def poll() -> str:
    """The poll interval of the bot's config; a test that must see only the webhook act sets it long."""
    return "1s"


@pytest.fixture
def organizer(tmp_path: Path) -> EventRepo:
    """The organizers' clone of the bare remote, with three far-off events on main already pushed (so a
    removal of one file is an ordinary removal, not a folder that looks broken)."""
    repo = EventRepo(tmp_path / "organizer", origin=tmp_path / "remote.git")
    for n, days in enumerate((40, 50, 60)):
        repo.write(f"later-{n}.md", event_text(f"Later talk {n}", NOW + timedelta(days=days)))
    repo.commit("Three talks later in the year")
    repo.push("main")
    return repo


@pytest.fixture
def config_file(tmp_path: Path, organizer: EventRepo, poll: str) -> Path:
    path = tmp_path / "config.yaml"
    assert organizer.origin is not None
    path.write_text(repo_config(organizer.origin, poll=poll))
    return path


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(WEBHOOK_SECRET_ENV, SECRET)
    return SECRET


async def post_push(
    http: aiohttp.ClientSession, app: Application, *, ref: str = "refs/heads/main", key: str = SECRET
) -> tuple[int, str]:
    """A GitHub push event for `ref`, signed with `key`, POSTed to the bot's /hooks/git."""
    assert app.web is not None and app.web.url is not None
    body = json.dumps({"ref": ref, "after": "0" * 40, "commits": []}).encode()
    headers = {
        "X-GitHub-Event": "push",
        "X-Hub-Signature-256": github_signature(body, key),
        "Content-Type": "application/json",
    }
    async with http.post(f"{app.web.url}/hooks/git", data=body, headers=headers) as response:
        return response.status, (await response.text()).strip()


async def slugs(sessions: async_sessionmaker[AsyncSession], *, removed: bool = False) -> set[str]:
    """The events in the database (the removed ones, with `removed`)."""
    async with sessions() as session:
        column = Event.removed_at.is_not(None) if removed else Event.removed_at.is_(None)
        return set(await session.scalars(select(Event.slug).where(column)))


async def event_row(sessions: async_sessionmaker[AsyncSession], slug: str) -> Event | None:
    async with sessions() as session:
        found: Event | None = await session.scalar(select(Event).where(Event.slug == slug))
        return found
