"""What cogs get from the application: config, database sessions and the clock, passed in once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Config, GroupConfig
from bot.metrics import Metrics

if TYPE_CHECKING:
    from bot.discord_app.poster import DiscordPublisher
    from bot.schedule.service import Scheduler


@dataclass(frozen=True)
class Services:
    config: Config
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    # set by Application: scheduled posting, and the publisher (with it, RSVP edits render the whole embed)
    scheduler: Scheduler | None = None
    publisher: DiscordPublisher | None = None
    metrics: Metrics = field(default_factory=Metrics)  # served on /metrics

    def group_for_guild(self, guild_id: int | None) -> GroupConfig | None:
        return None if guild_id is None else self.config.group_for_guild(guild_id)
