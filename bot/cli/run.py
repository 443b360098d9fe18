"""`meetup-bot run` (Discord with a token, else the local sandbox) and `meetup-bot sandbox`."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.application import DEFAULT_RETRY_DELAYS, Application, backoff_delays
from bot.catalog.importer import import_paths
from bot.catalog.removal import (
    RemovalResult,
    mark_removed,
    refusal_line,
    removal_line,
    restored_line,
)
from bot.cli.catalog import print_report
from bot.cli.signals import stop_on_signals
from bot.clock import Clock, SystemClock
from bot.config import TOKEN_ENV, TOKEN_FILE_ENV, Config
from bot.db.engine import open_database
from bot.discord_app.services import Services
from bot.errors import StartupError
from bot.logs import redact
from bot.sandbox.server import SandboxServer
from bot.sandbox_mode import (
    console_task,
    feed_printer,
    prepare_sandbox,
    seed_from_config,
    with_demo_reminder,
)

if TYPE_CHECKING:
    from bot.repo.sync import RepoSyncReport

log = logging.getLogger(__name__)
REQUIRE_TOKEN_ENV = "MEETUP_BOT_REQUIRE_TOKEN"


async def run_command(
    config: Config,
    token: str | None,
    *,
    sandbox_port: int = 0,
    clock: Clock | None = None,
    start_retries: int = len(DEFAULT_RETRY_DELAYS),
    force_sandbox: bool = False,
) -> int:
    """Exit 1 with one `error:` line on stderr when Discord cannot be reached (after `start_retries`
    further tries, 1, 2, 4, ... s apart), rejects the token, or a URL in the config is not Discord's.
    Exit 2 without a token where one is required (the container image): a deployment that lost its
    token must not quietly turn into a demo."""
    clock = clock or SystemClock()
    try:
        if token is None and not force_sandbox and _token_required():
            print(
                f"error: no token: set ${TOKEN_ENV} (or ${TOKEN_FILE_ENV}, a file holding it) to the bot's token "
                "from the Discord Developer Portal; `meetup-bot run --sandbox` runs the local sandbox instead",
                file=sys.stderr,
                flush=True,
            )
            return 2
        if token is None or force_sandbox:
            return await _run_in_sandbox(config, sandbox_port, clock)
        with stop_on_signals() as stop:
            return await _serve(config, token, clock, stop, backoff_delays(start_retries))
    except StartupError as exc:
        print(f"error: {redact(exc.message, [token or ''])}", file=sys.stderr, flush=True)
        return 1


def _token_required() -> bool:
    """$MEETUP_BOT_REQUIRE_TOKEN (set in the container image): no token is an error, not the sandbox."""
    return os.environ.get(REQUIRE_TOKEN_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _token_source() -> str:
    """Which variable the token came from, for the message when Discord rejects it."""
    from_file = not os.environ.get(TOKEN_ENV, "").strip() and os.environ.get(TOKEN_FILE_ENV, "").strip()
    return f"${TOKEN_FILE_ENV}" if from_file else f"${TOKEN_ENV}"


async def _start_sync(config: Config, services: Services) -> tuple[RemovalResult, RepoSyncReport]:
    """The events repository into the database (cloned on the first start). Unreachable: one warning
    line, and the bot starts with what the database has; the timer tries again every poll_interval."""
    from bot.repo.sync import sync_repository

    report = await sync_repository(config, services.sessions, services.clock)
    if report.error is not None:
        log.warning("events repository: %s; trying again every poll_interval", report.summary())
        return RemovalResult(), report
    print(report.summary(), flush=True)
    for line in report.failed:
        print(f"error: {line}", file=sys.stderr, flush=True)
    return report.removal or RemovalResult(), report


async def _prepare(config: Config, services: Services) -> Callable[[Application], None]:
    """The start-up import (events_repo or events_dir); returns what tells the new Application about it."""
    if config.events_repo is None:
        removals = await _import(config, services)
        return lambda app: app.scheduler.note_removals(removals)
    removals, report = await _start_sync(config, services)

    def note(app: Application) -> None:
        app.scheduler.note_removals(removals)
        app.scheduler.note_repo_sync(report)

    return note


async def _import(config: Config, services: Services) -> RemovalResult:
    """events_dir into the database; what `mark_removed` did, for the scheduler to tell the organizers."""
    folder = config.events_dir
    async with services.sessions.begin() as session:
        report = await import_paths(session, [folder], config.parse_options(), services.clock.now())
        # a missing folder too: its events are kept, and the refusal says so
        result = await mark_removed(session, folder, services.clock.now(), guard=config.removal_guard)
    if result.refused is not None:
        log.warning("%s", refusal_line(result.refused))
    if result.removed:
        print(removal_line(folder, result.removed))
    if result.restored:
        print(restored_line(folder, result.restored))
    print_report(report)
    return result


async def _serve(
    config: Config, token: str, clock: Clock, stop: asyncio.Event, retry_delays: tuple[float, ...]
) -> int:
    """The bot against Discord; raises StartupError (shown as one line by run_command)."""
    async with open_database(config.database.url) as sessions:
        services = Services(config, sessions, clock)
        note = await _prepare(config, services)
        app = Application(
            services,
            token,
            api_base_url=config.discord.api_base_url,
            gateway_url=config.discord.gateway_url,
            retry_delays=retry_delays,
            token_source=_token_source(),
        )
        note(app)
        await app.start()
        await app.run_until(stop)
    return 0


async def _run_in_sandbox(config: Config, port: int, clock: Clock) -> int:
    with stop_on_signals() as stop:
        return await _sandbox_session(config, port, clock, stop)


async def _sandbox_session(config: Config, port: int, clock: Clock, stop: asyncio.Event) -> int:
    """The bot against a fresh sandbox and a temporary database; `meetup.db` is never opened."""
    config = with_demo_reminder(config)  # the [DEMO] event's reminder falls due while the newcomer watches
    server = SandboxServer(seed_from_config(config), now=clock.now)
    await server.start(port=port)
    print(f"sandbox: {server.url}", flush=True)
    server.on_feed(feed_printer(server, config, clock))
    try:
        with tempfile.TemporaryDirectory(prefix="meetup-bot-sandbox-") as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'sandbox.db'}"
            async with open_database(url) as sessions:
                services = Services(config, sessions, clock)
                note = await _prepare(config, services)
                start = await prepare_sandbox(config, sessions, clock.now())
                for line in start.lines:
                    print(line, flush=True)
                app = Application(
                    services, "sandbox-token", api_base_url=server.api_base_url, guild_ready_timeout=0.1
                )
                note(app)
                await app.start()
                await app.wait_ready()
                if app.web is not None:
                    print(f"http: {app.web.url}", flush=True)
                print("sandbox: the bot is ready; type `help` to act as a member", flush=True)
                async with console_task(server.url, config, clock, stop, start.example_slug):
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
    server.on_feed(feed_printer(server, config, clock or SystemClock()))
    try:
        with stop_on_signals() as stop:
            await stop.wait()
    finally:
        await server.stop()
    return 0
