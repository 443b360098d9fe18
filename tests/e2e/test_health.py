"""GET /healthz on http.listen: 200 only while the gateway is connected and the database answers."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bot.application import Application
from bot.clock import ManualClock
from bot.config import Config, HttpConfig
from bot.db.engine import open_database
from bot.discord_app.services import Services
from bot.sandbox import SandboxServer
from bot.web.health import Health, database_state


def with_http(config: Config) -> Config:
    return config.model_copy(update={"http": HttpConfig(listen="127.0.0.1:0"), "events_repo": None})


async def healthz(http: aiohttp.ClientSession, app: Application) -> tuple[int, dict[str, Any]]:
    assert app.web is not None and app.web.url is not None
    async with http.get(f"{app.web.url}/healthz") as response:
        assert response.headers["Cache-Control"] == "no-store"
        body: dict[str, Any] = await response.json()
        return response.status, body


async def test_healthz_is_503_until_the_gateway_is_connected_and_after_it_closes(
    config: Config,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxServer,
    clock: ManualClock,
    http: aiohttp.ClientSession,
) -> None:
    # Discord answers 503 to the first login check: the bot waits to try again, not yet connected
    fault = {"route": "GET /users/@me", "status": 503, "times": 1}
    async with http.post(f"{sandbox.url}/sandbox/faults", json=fault) as response:
        assert response.status == 200
    waiting = Application(
        Services(with_http(config), sessions, clock),
        "test-token",
        api_base_url=sandbox.api_base_url,
        retry_delays=(3600.0,),
    )
    await waiting.start()
    try:
        status, body = await healthz(http, waiting)
        assert (status, body["status"], body["gateway"], body["database"]) == (
            503,
            "unavailable",
            "connecting",
            "ok",
        )
    finally:
        await waiting.close()

    app = Application(
        Services(with_http(config), sessions, clock),
        "test-token",
        api_base_url=sandbox.api_base_url,
        guild_ready_timeout=0.05,
    )
    await app.start()
    try:
        await app.wait_ready(timeout=15)
        status, body = await healthz(http, app)
        assert (status, body["status"], body["gateway"], body["database"]) == (200, "ok", "connected", "ok")
        assert body["gateway_latency_ms"] is None or body["gateway_latency_ms"] >= 0
        await app.bot.close()  # the gateway is gone while the HTTP server still answers
        status, body = await healthz(http, app)
        assert (status, body["gateway"]) == (503, "closed")
    finally:
        await app.close()


async def test_a_database_that_does_not_answer_is_unhealthy(tmp_path: Path) -> None:
    async with open_database(f"sqlite+aiosqlite:///{tmp_path / 'meetup.db'}") as sessions:
        assert await database_state(sessions) == "ok"
    # a PostgreSQL server that is down: nothing listens on the port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    engine = create_async_engine(f"postgresql+asyncpg://meetup:x@127.0.0.1:{port}/meetup")
    try:
        state = await database_state(async_sessionmaker(engine))
    finally:
        await engine.dispose()
    assert state.startswith("error ("), state
    health = Health("connected", state, 0.05)
    assert not health.ok and health.body()["status"] == "unavailable"
    assert Health("connected", "ok", 0.0421).body() == {
        "status": "ok",
        "gateway": "connected",
        "database": "ok",
        "gateway_latency_ms": 42,
    }
