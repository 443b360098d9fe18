"""Check-in end-to-end fixtures: an StLGo event starting half an hour after the e2e clock's now."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox import SandboxServer
from tests.checkin.conftest import insert_event
from tests.e2e.conftest import NOW, Member

GUILD, CHANNEL = 100000000000000001, 100000000000000002
START = NOW + timedelta(minutes=30)


@pytest.fixture
async def door_event(sessions: async_sessionmaker[AsyncSession]) -> int:
    return await insert_event(sessions, "door-talk", starts_at=START, title="Door Talk")


@pytest.fixture
def olivia(http: aiohttp.ClientSession, sandbox: SandboxServer) -> Member:
    return Member(http, sandbox, "olivia")


@pytest.fixture
def bob(http: aiohttp.ClientSession, sandbox: SandboxServer) -> Member:
    return Member(http, sandbox, "bob")


@pytest.fixture
def carol(http: aiohttp.ClientSession, sandbox: SandboxServer) -> Member:
    return Member(http, sandbox, "carol")
