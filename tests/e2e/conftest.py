"""End-to-end fixtures: the sandbox and the real bot in-process on free ports, driven through the control API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.application import Application
from bot.clock import ManualClock
from bot.config import Config
from bot.discord_app.services import Services
from bot.sandbox import SandboxServer, SeedGuild
from bot.sandbox_mode import seed_from_config
from tests.factories import NOW
from tests.spec_check import SpecRecorder

STRANGER_GUILD = 900000000000000001
STRANGER_CHANNEL = 900000000000000002


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
async def sandbox(config: Config, recorder: SpecRecorder, clock: ManualClock) -> AsyncIterator[SandboxServer]:
    """The sandbox in strict mode: every body the bot sends and every answer is checked against Discord's
    OpenAPI description (the `recorder` fixture fails the test on any mismatch)."""
    seed = seed_from_config(config)
    seed.guilds.append(SeedGuild(STRANGER_GUILD, "Not configured", STRANGER_CHANNEL, None))
    server = SandboxServer(seed, now=clock.now)  # Discord judges "in the past" by the test's clock
    server.set_request_validator(recorder.validate_request)
    server.set_response_observer(recorder.observe_response)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def app(
    config: Config, sessions: async_sessionmaker[AsyncSession], sandbox: SandboxServer, clock: ManualClock
) -> AsyncIterator[Application]:
    application = Application(
        Services(config, sessions, clock),
        "test-token",
        api_base_url=sandbox.api_base_url,
        guild_ready_timeout=0.05,
    )
    await application.start()
    await application.wait_ready(timeout=15)
    yield application
    await application.close()


@dataclass
class Member:
    """Acts as a member through the sandbox control API, as a person with curl would."""

    http: aiohttp.ClientSession
    server: SandboxServer
    name: str = "alice"

    @property
    def id(self) -> int:
        user = self.server.state.find_user(self.name)
        assert user is not None, self.name
        return user.id

    async def command(
        self, name: str, guild_id: int, channel_id: int, focused: str | None = None, **options: Any
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "guild_id": str(guild_id),
            "channel_id": str(channel_id),
            "user_id": str(self.id),
            "name": name,
            "options": options,
        }
        if focused:
            body["focused"] = focused
        async with self.http.post(f"{self.server.url}/sandbox/commands", json=body) as response:
            answer: dict[str, Any] = await response.json()
            assert response.status == 200, answer
            return answer


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def alice(http: aiohttp.ClientSession, sandbox: SandboxServer) -> Member:
    return Member(http, sandbox, "alice")
