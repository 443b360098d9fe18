"""What cogs get from the application: config, database sessions and the clock, passed in once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Config, GroupConfig


@dataclass(frozen=True)
class Services:
    config: Config
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock

    def group_for_guild(self, guild_id: int | None) -> GroupConfig | None:
        return None if guild_id is None else self.config.group_for_guild(guild_id)
