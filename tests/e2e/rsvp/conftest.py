"""RSVP end-to-end fixtures: the real bot with a short edit interval, announcements, and members who react."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.application import Application
from bot.clock import ManualClock
from bot.config import Config
from bot.db.models import Post, Rsvp
from bot.discord_app.services import Services
from bot.sandbox import SandboxServer
from cogs.rsvp import RsvpCog
from tests.e2e.conftest import NOW

STLGO = "StLGo"
KCN = "Kubernetes & Cloud Native STL"
GUILDS = {STLGO: 100000000000000001, KCN: 100000000000000011}
CHANNELS = {STLGO: 100000000000000002, KCN: 100000000000000012}
EDIT_INTERVAL = 0.3


@pytest.fixture
def rsvp_config(config: Config) -> Config:
    return config.model_copy(
        update={"rsvp": config.rsvp.model_copy(update={"edit_interval_seconds": EDIT_INTERVAL})}
    )


StartApp = Callable[[], Any]


@pytest.fixture
async def start_app(
    rsvp_config: Config,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxServer,
    clock: ManualClock,
) -> AsyncIterator[Callable[[], Any]]:
    """Starts a (new) bot against the sandbox; every bot started is closed at the end."""
    started: list[Application] = []

    async def start() -> Application:
        application = Application(
            Services(rsvp_config, sessions, clock),
            "test-token",
            api_base_url=sandbox.api_base_url,
            guild_ready_timeout=0.05,
        )
        await application.start()
        await application.wait_ready(timeout=15)
        started.append(application)
        return application

    yield start
    for application in started:
        await application.close()


@pytest.fixture
async def rsvp_app(start_app: Callable[[], Any]) -> Application:
    application: Application = await start_app()
    return application


def cog(app: Application) -> RsvpCog:
    found = app.bot.get_cog("RsvpCog")
    # each bot loads its own copy of the extension module, so this is not `isinstance` of ours
    assert found is not None and type(found).__name__ == RsvpCog.__name__
    return found  # type: ignore[return-value]


async def announce(
    app: Application, sessions: async_sessionmaker[AsyncSession], event_id: int, group: str, title: str
) -> int:
    """Posts an announcement the simple way (the bot sends it and adds the three reactions) plus its Post row."""
    channel = app.bot.get_partial_messageable(CHANNELS[group])
    message = await channel.send(embed=discord.Embed(title=title, description="Come along!"))
    for emoji in ("✅", "🤔", "❌"):
        await message.add_reaction(emoji)
    async with sessions.begin() as session:
        session.add(
            Post(
                event_id=event_id,
                kind="announcement",
                group_name=group,
                guild_id=GUILDS[group],
                channel_id=CHANNELS[group],
                discord_id=message.id,
                nonce=str(message.id)[:25],
                status="sent",
                due_at=NOW,
                sent_at=NOW,
                created_at=NOW,
                updated_at=NOW,
            )
        )
    return message.id


@dataclass
class Reactor:
    """Reacts as members do, through the sandbox control API."""

    http: aiohttp.ClientSession
    server: SandboxServer
    added: list[str] = field(default_factory=list)

    async def member(self, name: str, *, dms_open: bool = True, groups: tuple[str, ...] = (STLGO,)) -> int:
        for group in groups:
            body = {"guild_id": str(GUILDS[group]), "name": name, "dms_open": dms_open}
            async with self.http.post(f"{self.server.url}/sandbox/members", json=body) as response:
                assert response.status in (201, 409), await response.text()
        user = self.server.state.find_user(name)
        assert user is not None
        return user.id

    def id(self, name: str) -> int:
        user = self.server.state.find_user(name)
        assert user is not None, name
        return user.id

    async def react(
        self, who: str | int, message_id: int, emoji: str, group: str = STLGO, action: str = "add"
    ) -> None:
        body = {
            "channel_id": str(CHANNELS[group]),
            "message_id": str(message_id),
            "user_id": str(who),
            "emoji": emoji,
            "action": action,
        }
        async with self.http.post(f"{self.server.url}/sandbox/reactions", json=body) as response:
            assert response.status == 200, await response.text()

    def reactions(self, message_id: int) -> dict[str, list[int]]:
        """Who has which reaction on a message, the bot left out."""
        msg = self.server.state.messages[message_id]
        bot = self.server.bot_user_id
        return {r.name: [u for u in r.user_ids if u != bot] for r in msg.reactions}

    async def dms(self, who: str | int) -> list[str]:
        async with self.http.get(f"{self.server.url}/sandbox/dms/{who}") as response:
            return [m["content"] for m in await response.json()]


@pytest.fixture
def reactor(http: aiohttp.ClientSession, sandbox: SandboxServer) -> Reactor:
    return Reactor(http, sandbox)


async def statuses(sessions: async_sessionmaker[AsyncSession], event_id: int) -> dict[int, str]:
    async with sessions() as session:
        rows = await session.execute(select(Rsvp.user_id, Rsvp.status).where(Rsvp.event_id == event_id))
        return {user_id: status for user_id, status in rows}


@asynccontextmanager
async def edits_of(sandbox: SandboxServer, title: str) -> AsyncIterator[list[str]]:
    """Collects the sandbox feed lines of edits to the announcement titled `title`."""
    lines: list[str] = []
    sandbox.on_feed(
        lambda line: lines.append(line) if " edited: " in line and f"[embed: {title}]" in line else None
    )
    yield lines
