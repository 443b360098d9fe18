"""`meetup-bot run` (Discord with a token, else the local sandbox) and `meetup-bot sandbox`."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path

import discord

from bot.application import Application
from bot.catalog.importer import import_paths
from bot.catalog.removal import mark_removed
from bot.cli.catalog import print_report
from bot.cli.signals import stop_on_signals
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.db.engine import open_database
from bot.discord_app.services import Services
from bot.sandbox.server import SandboxServer
from bot.sandbox_mode import add_demo_event_if_needed, console_task, readable, seed_from_config

log = logging.getLogger(__name__)


async def run_command(
    config: Config, token: str | None, *, sandbox_port: int = 0, clock: Clock | None = None
) -> int:
    clock = clock or SystemClock()
    if token is None:
        return await _run_in_sandbox(config, sandbox_port, clock)
    with stop_on_signals() as stop:
        return await _serve(config, token, clock, stop)


async def _import(config: Config, services: Services) -> None:
    async with services.sessions.begin() as session:
        report = await import_paths(
            session, [config.events_dir], config.parse_options(), services.clock.now()
        )
        if config.events_dir.is_dir():
            removed = await mark_removed(session, config.events_dir, services.clock.now())
            if removed:
                print(
                    f"removed from {config.events_dir}: {', '.join(removed)} (a cancellation will be posted)"
                )
    print_report(report)


async def _serve(config: Config, token: str, clock: Clock, stop: asyncio.Event) -> int:
    async with open_database(config.database.url) as sessions:
        services = Services(config, sessions, clock)
        await _import(config, services)
        app = Application(
            services, token, api_base_url=config.discord.api_base_url, gateway_url=config.discord.gateway_url
        )
        await app.start()
        try:
            await app.run_until(stop)
        except discord.LoginFailure:
            print(
                "error: Discord rejected the token in $DISCORD_TOKEN; create a new one in the developer portal."
            )
            return 1
    return 0


async def _run_in_sandbox(config: Config, port: int, clock: Clock) -> int:
    with stop_on_signals() as stop:
        return await _sandbox_session(config, port, clock, stop)


async def _sandbox_session(config: Config, port: int, clock: Clock, stop: asyncio.Event) -> int:
    server = SandboxServer(seed_from_config(config), now=clock.now)
    await server.start(port=port)
    print(f"sandbox: {server.url}", flush=True)
    server.on_feed(lambda line: print(readable(line), flush=True))
    try:
        with tempfile.TemporaryDirectory(prefix="meetup-bot-sandbox-") as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'sandbox.db'}"
            async with open_database(url) as sessions:
                services = Services(config, sessions, clock)
                await _import(config, services)
                if await add_demo_event_if_needed(config, sessions, clock.now()):
                    print(
                        "sandbox: no imported event is upcoming, so a [DEMO] event starts in 10 minutes",
                        flush=True,
                    )
                app = Application(
                    services, "sandbox-token", api_base_url=server.api_base_url, guild_ready_timeout=0.1
                )
                await app.start()
                await app.wait_ready()
                print("sandbox: the bot is ready; type `help` to act as a member", flush=True)
                async with console_task(server.url, config, stop):
                    await app.run_until(stop)
    finally:
        await server.stop()
    return 0


async def sandbox_command(config: Config, port: int, clock: Clock | None = None) -> int:
    """The sandbox alone, so a bot started separately can be stopped, killed and restarted against it."""
    server = SandboxServer(seed_from_config(config), now=(clock or SystemClock()).now)
    await server.start(port=port)
    print(f"sandbox: {server.url}", flush=True)
    print(
        f"sandbox: point a bot at it with discord.api_base_url: {server.api_base_url} (any token)", flush=True
    )
    server.on_feed(lambda line: print(readable(line), flush=True))
    try:
        with stop_on_signals() as stop:
            await stop.wait()
    finally:
        await server.stop()
    return 0
