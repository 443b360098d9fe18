"""Fixtures: a strict-mode sandbox on a free port, real discord.py clients against it, a control client."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from typing import Any, Protocol

import aiohttp
import discord
import pytest

from bot.discord_endpoint import use_discord_endpoint
from bot.sandbox import RateLimit, SandboxSeed, SandboxServer, SeedGuild
from tests.spec_check import SpecRecorder

GUILD_ID = 1001
ANNOUNCE_ID = 2001
GENERAL_ID = 2002
ORGANIZER_ROLE_ID = 3001
TOKEN = "sandbox-test-token"


def seed() -> SandboxSeed:
    return SandboxSeed(
        guilds=[
            SeedGuild(
                guild_id=GUILD_ID,
                name="Meetup Test",
                announce_channel_id=ANNOUNCE_ID,
                organizer_role_id=ORGANIZER_ROLE_ID,
                extra_channels=[(GENERAL_ID, "general")],
            )
        ]
    )


class SandboxFactory(Protocol):
    def __call__(
        self, *, interaction_deadline: float = ..., rate_limits: dict[str, RateLimit] | None = ...
    ) -> Awaitable[SandboxServer]: ...


@pytest.fixture
async def make_sandbox(recorder: SpecRecorder) -> AsyncIterator[SandboxFactory]:
    started: list[SandboxServer] = []

    async def factory(
        *, interaction_deadline: float = 3.0, rate_limits: dict[str, RateLimit] | None = None
    ) -> SandboxServer:
        server = SandboxServer(seed(), rate_limits=rate_limits, interaction_deadline=interaction_deadline)
        server.set_request_validator(recorder.validate_request)
        server.set_response_observer(recorder.observe_response)
        await server.start()
        started.append(server)
        return server

    yield factory
    for server in started:
        await server.stop()


@pytest.fixture
async def sandbox(make_sandbox: SandboxFactory) -> SandboxServer:
    return await make_sandbox()


class SandboxClient(discord.Client):
    """discord.py waits 5 s before every re-IDENTIFY (Discord's identify limit); the sandbox has none."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


class ClientFactory(Protocol):
    def __call__(
        self,
        server: SandboxServer,
        *,
        intents: discord.Intents | None = ...,
        cls: type[discord.Client] = ...,
        **kwargs: Any,
    ) -> Awaitable[discord.Client]: ...


def all_intents() -> discord.Intents:
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    return intents


@pytest.fixture
async def connect() -> AsyncIterator[ClientFactory]:
    """Starts a real discord.py client against a sandbox and waits until it is ready."""
    running: list[tuple[discord.Client, asyncio.Task[None]]] = []

    async def factory(
        server: SandboxServer,
        *,
        intents: discord.Intents | None = None,
        cls: type[discord.Client] = SandboxClient,
        **kwargs: Any,
    ) -> discord.Client:
        use_discord_endpoint(server.api_base_url)
        kwargs.setdefault("guild_ready_timeout", 0.05)
        client = cls(intents=intents or all_intents(), **kwargs)
        task = asyncio.create_task(client.start(TOKEN))
        running.append((client, task))
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait({ready, task}, timeout=5.0, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if task in done:
                task.result()
            raise AssertionError("discord.py client did not become ready within 5 s")
        return client

    yield factory
    for client, task in running:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, 5.0)
    use_discord_endpoint(None)


class Control:
    """Calls the sandbox control API the way a person with curl would."""

    def __init__(self, session: aiohttp.ClientSession, server: SandboxServer) -> None:
        self.session = session
        self.server = server

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.session.get(self.server.url + path) as resp:
            return resp.status, await resp.json()

    async def post(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        async with self.session.post(self.server.url + path, json=body or {}) as resp:
            return resp.status, await resp.json()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def control(http: aiohttp.ClientSession, sandbox: SandboxServer) -> Control:
    return Control(http, sandbox)


def member_id(server: SandboxServer, name: str) -> int:
    found = server.state.find_user(name)
    assert found is not None, name
    return found.id
