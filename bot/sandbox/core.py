"""The pieces every route needs (state, gateway, rate limits, feed, settings), passed around as one object."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.sandbox.gateway import GatewayHub
from bot.sandbox.ids import utcnow
from bot.sandbox.models import Channel
from bot.sandbox.ratelimit import RateLimiter
from bot.sandbox.state import SandboxState

log = logging.getLogger(__name__)

FeedCallback = Callable[[str], None]
ResponseObserver = Callable[[str, str, int, Any], None]


class RequestValidator(Protocol):
    """Checks a request body the bot sent; returns (path, message) problems, empty when valid."""

    def __call__(self, method: str, route: str, body: Any) -> Sequence[tuple[Sequence[str | int], str]]: ...


@dataclass
class SandboxCore:
    state: SandboxState
    hub: GatewayHub
    limiter: RateLimiter
    interaction_deadline: float
    validator: RequestValidator | None = None
    response_observer: ResponseObserver | None = None
    feed_callbacks: list[FeedCallback] = field(default_factory=list)
    feed_lines: list[str] = field(default_factory=list)
    # injected server errors: route -> statuses the next requests get (as Discord's 500/502/503 outages)
    faults: dict[str, list[int]] = field(default_factory=dict)
    # Discord's "now" where it judges times (an event "in the past"); tests pass the bot's own clock
    now: Callable[[], datetime] = utcnow

    def feed(self, line: str) -> None:
        """One readable line per thing that happens, for people watching and for tests."""
        self.feed_lines.append(line)
        log.info("feed: %s", line)
        for callback in list(self.feed_callbacks):
            try:
                callback(line)
            except Exception:
                log.exception("feed callback failed")

    def name_of(self, user_id: int) -> str:
        found = self.state.users.get(user_id)
        return found.username if found else str(user_id)

    def where(self, channel: Channel) -> str:
        if channel.guild_id is None:
            other = next((r for r in channel.recipient_ids if r != self.state.bot_user_id), None)
            return f"DM {self.name_of(other) if other is not None else '?'}"
        guild = self.state.guilds.get(channel.guild_id)
        return (
            f"[{guild.name}] #{channel.name}"
            if guild is not None and len(self.state.guilds) > 1
            else f"#{channel.name}"
        )
