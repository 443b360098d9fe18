"""The running bot: one object that owns the Discord client and shuts everything down in order."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from bot.config import WEBHOOK_SECRET_ENV
from bot.discord_app.client import MeetupBot
from bot.discord_app.poster import DiscordPublisher
from bot.discord_app.services import Services
from bot.discord_endpoint import (
    Endpoint,
    Unreachable,
    check_endpoint,
    explain_failure,
    use_discord_endpoint,
)
from bot.errors import StartupError
from bot.schedule.service import Scheduler
from bot.schedule.timer import Timer
from bot.web.health import Health, add_health_route, database_state, finite_or_none
from bot.web.hooks import add_git_hook, webhook_off_warning
from bot.web.metrics import add_metrics_route
from bot.web.server import WebServer, build_app

log = logging.getLogger(__name__)

# waits between tries to reach Discord at start-up: 5 tries within ~15 s, then one clear error line
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)
Sleep = Callable[[float], Awaitable[None]]


def backoff_delays(retries: int) -> tuple[float, ...]:
    """The waits before each of `retries` further tries: 1, 2, 4, 8, ... seconds (at most 30 each)."""
    return tuple(min(2.0**n, 30.0) for n in range(max(retries, 0)))


async def reach_discord(
    endpoint: Endpoint,
    token: str,
    *,
    delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    token_source: str = "$DISCORD_TOKEN",
    sleep: Sleep = asyncio.sleep,
) -> None:
    """Checks the API and the gateway, trying again after each delay while the failure may be transient
    (no connection, a timeout, a 5xx); a rejected token or a wrong URL fails at once. Raises StartupError."""
    tries = len(delays) + 1
    for attempt in range(1, tries + 1):
        try:
            await check_endpoint(endpoint, token, token_source=token_source)
            return
        except Unreachable as exc:
            if attempt == tries:
                raise exc.final(tries) from None
            delay = delays[attempt - 1]
            log.warning("%s; trying again in %g s (try %d of %d)", exc, delay, attempt + 1, tries)
            await sleep(delay)


class Application:
    """Starts the client against Discord (or a compatible server) and stops it cleanly."""

    def __init__(
        self,
        services: Services,
        token: str,
        *,
        api_base_url: str | None = None,
        gateway_url: str | None = None,
        scheduled_posting: bool = True,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        token_source: str = "$DISCORD_TOKEN",
        environ: Mapping[str, str] | None = None,
        **client_options: Any,
    ) -> None:
        self._token = token
        self._api_base_url = api_base_url
        self._gateway_url = gateway_url
        self._retry_delays = tuple(retry_delays)
        self._token_source = token_source
        self._endpoint: Endpoint | None = None
        self._handed_over = False  # True once discord.py itself logs in and connects
        self.bot = MeetupBot(services, **client_options)
        # scheduled announcements: the core scheduler, its Discord publisher, and the APScheduler timer
        self.publisher = DiscordPublisher(self.bot, services)
        self.scheduler = Scheduler(
            services.config, services.sessions, services.clock, self.publisher, services.metrics
        )
        self.services = dataclasses.replace(services, scheduler=self.scheduler, publisher=self.publisher)
        self.bot.services = self.services
        self.timer = Timer(self.scheduler, services.clock)
        services.metrics.watch_latency(lambda: self.bot.latency)
        self.web = self._web_server(services, os.environ if environ is None else environ)
        self._scheduled_posting = scheduled_posting
        self._task: asyncio.Task[None] | None = None
        self._timer_task: asyncio.Task[None] | None = None
        self._failed: StartupError | None = None

    def _web_server(self, services: Services, environ: Mapping[str, str]) -> WebServer | None:
        """The HTTP server of `http.listen` with the git webhook (None without `http`)."""
        config = services.config
        if config.http is None:
            return None
        secret = environ.get(WEBHOOK_SECRET_ENV, "").strip() or None
        warning = webhook_off_warning(secret)
        if warning is not None:
            log.warning("%s", warning)
        app = build_app()
        add_git_hook(app, config.events_repo, secret, self.timer.resync_soon)
        add_health_route(app, self.health)
        add_metrics_route(app, services.metrics)
        return WebServer(config.http, app)

    async def health(self) -> Health:
        """The gateway's state and whether the database answers, for /healthz."""
        if self.bot.is_closed():
            gateway = "closed"
        elif self.bot.is_ready() and self.bot.ws is not None and self.bot.ws.open:
            gateway = "connected"
        else:
            gateway = "connecting"
        latency = finite_or_none(self.bot.latency) if gateway == "connected" else None
        return Health(gateway, await database_state(self.services.sessions), latency)

    async def start(self) -> None:
        """Connects in the background: first a check that Discord answers (with retries), then discord.py.
        The HTTP server (`http.listen`) is listening when this returns; a port in use is a StartupError."""
        if self.web is not None:
            await self.web.start()
        self._endpoint = use_discord_endpoint(self._api_base_url, self._gateway_url)
        await self.bot.__aenter__()  # discord.py's asyncio objects, so wait_until_ready() works from now on
        self._task = asyncio.create_task(self._connect(self._endpoint), name="discord-client")
        if self._scheduled_posting:
            self._timer_task = asyncio.create_task(self._start_timer(), name="scheduler-start")

    async def _connect(self, endpoint: Endpoint) -> None:
        await reach_discord(endpoint, self._token, delays=self._retry_delays, token_source=self._token_source)
        self._handed_over = True
        await self.bot.start(self._token)

    async def _start_timer(self) -> None:
        """Once connected: plan from the database (the truth after any restart) and arm the timer."""
        await self.bot.wait_until_ready()
        await self.scheduler.rebuild()
        self.timer.start()

    def _explain(self, exc: BaseException) -> StartupError:
        """One line for the user; the traceback goes to the debug log only."""
        log.debug("the Discord client failed", exc_info=exc)
        assert self._endpoint is not None
        return explain_failure(exc, self._endpoint, self._token_source)

    async def wait_ready(self, timeout: float = 30.0) -> None:
        """Until the gateway is ready and commands are synced; raises StartupError if the client died first."""
        assert self._task is not None, "start() first"
        ready = asyncio.create_task(self.bot.wait_until_ready())
        done, _ = await asyncio.wait(
            {ready, self._task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if self._task in done:
            ready.cancel()
            failure = None if self._task.cancelled() else self._task.exception()
            if failure is not None:
                raise self._explain(failure) from None
            raise RuntimeError("the Discord client stopped before it was ready")
        if ready not in done:
            ready.cancel()
            raise TimeoutError(f"the Discord client was not ready within {timeout:.0f} s")

    async def run_until(self, stop: asyncio.Event) -> None:
        """Until `stop` is set (Ctrl-C, SIGTERM) or the client ends; then close everything.

        Raises StartupError when the client could not reach Discord or stopped with an error."""
        assert self._task is not None, "start() first"
        waiter = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({waiter, self._task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            await self.close()
        if self._failed is not None:
            raise self._failed

    async def close(self) -> None:
        """Stop the client; pending database work finishes inside its own transactions."""
        if self._timer_task is not None:
            self._timer_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._timer_task
            self._timer_task = None
        if self.web is not None:
            await self.web.stop()  # no webhook starts a sync while the timer finishes its passes
        await self.timer.stop()
        if self._task is not None and not self._handed_over:
            self._task.cancel()  # still checking Discord or waiting to try again: nothing to hand over
        if not self.bot.is_closed():
            await self.bot.close()
        if self._task is not None:
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            except Exception as exc:
                self._failed = self._explain(exc)
            self._task = None
        log.info("stopped")
