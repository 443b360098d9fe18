"""`GET /healthz`: 200 while the bot can do its work (gateway connected, database answering), else 503, so a
container runtime or load balancer restarts or routes around it."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)
DATABASE_TIMEOUT = 2.0  # a health check must answer before the prober's own timeout (Docker: 30 s)


@dataclass(frozen=True)
class Health:
    """What /healthz reports: the gateway ("connected", "connecting", "closed") and the database."""

    gateway: str
    database: str
    latency: float | None = None  # seconds of the last heartbeat round trip

    @property
    def ok(self) -> bool:
        return self.gateway == "connected" and self.database == "ok"

    def body(self) -> dict[str, object]:
        latency_ms = None if self.latency is None else round(self.latency * 1000)
        return {
            "status": "ok" if self.ok else "unavailable",
            "gateway": self.gateway,
            "database": self.database,
            "gateway_latency_ms": latency_ms,
        }


def finite_or_none(seconds: float) -> float | None:
    """discord.py reports inf/nan latency before the first heartbeat answer."""
    return seconds if math.isfinite(seconds) else None


async def database_state(sessions: async_sessionmaker[AsyncSession]) -> str:
    """ "ok" when the database answers a trivial query in time; else a short reason (detail in the log)."""
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT):
            async with sessions() as session:
                await session.execute(text("SELECT 1"))
    except TimeoutError:
        return f"no answer within {DATABASE_TIMEOUT:g} s"
    except Exception as exc:
        log.warning("health check: the database did not answer: %s", exc)
        return f"error ({type(exc).__name__})"
    return "ok"


def add_health_route(app: web.Application, probe: Callable[[], Awaitable[Health]]) -> None:
    async def healthz(request: web.Request) -> web.Response:
        health = await probe()
        status = 200 if health.ok else 503
        return web.json_response(health.body(), status=status, headers={"Cache-Control": "no-store"})

    app.router.add_get("/healthz", healthz)
