"""The running bot: one object that owns the Discord client and shuts everything down in order."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from typing import Any

import discord

from bot.discord_app.client import MeetupBot
from bot.discord_app.poster import DiscordPublisher
from bot.discord_app.services import Services
from bot.discord_endpoint import use_discord_endpoint
from bot.schedule.service import Scheduler
from bot.schedule.timer import Timer

log = logging.getLogger(__name__)


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
        **client_options: Any,
    ) -> None:
        self._token = token
        self._api_base_url = api_base_url
        self._gateway_url = gateway_url
        self.bot = MeetupBot(services, **client_options)
        # scheduled announcements: the core scheduler, its Discord publisher, and the APScheduler timer
        self.publisher = DiscordPublisher(self.bot, services)
        self.scheduler = Scheduler(services.config, services.sessions, services.clock, self.publisher)
        self.services = dataclasses.replace(services, scheduler=self.scheduler, publisher=self.publisher)
        self.bot.services = self.services
        self.timer = Timer(self.scheduler, services.clock)
        self._scheduled_posting = scheduled_posting
        self._task: asyncio.Task[None] | None = None
        self._timer_task: asyncio.Task[None] | None = None
        self._failed: Exception | None = None

    async def start(self) -> None:
        use_discord_endpoint(self._api_base_url, self._gateway_url)
        self._task = asyncio.create_task(self.bot.start(self._token), name="discord-client")
        if self._scheduled_posting:
            self._timer_task = asyncio.create_task(self._start_timer(), name="scheduler-start")

    async def _start_timer(self) -> None:
        """Once connected: plan from the database (the truth after any restart) and arm the timer."""
        await self.bot.wait_until_ready()
        await self.scheduler.rebuild()
        self.timer.start()

    async def wait_ready(self, timeout: float = 30.0) -> None:
        """Until the gateway is ready and commands are synced; raises if the client died first."""
        assert self._task is not None, "start() first"
        ready = asyncio.create_task(self.bot.wait_until_ready())
        done, _ = await asyncio.wait(
            {ready, self._task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if self._task in done:
            ready.cancel()
            self._task.result()  # raises the client's error
            raise RuntimeError("the Discord client stopped before it was ready")
        if ready not in done:
            ready.cancel()
            raise TimeoutError(f"the Discord client was not ready within {timeout:.0f} s")

    async def run_until(self, stop: asyncio.Event) -> None:
        """Until `stop` is set (Ctrl-C, SIGTERM) or the client ends; then close everything."""
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
        await self.timer.stop()
        if not self.bot.is_closed():
            await self.bot.close()
        if self._task is not None:
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            except discord.LoginFailure as exc:
                self._failed = exc
            self._task = None
        log.info("stopped")
