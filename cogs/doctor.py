"""The doctor's checks while the bot runs: at start-up, and whenever a channel, a role or a server changes.
Thin: bot.doctor decides what is missing; this cog reads Discord and tells the organizers once per problem."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord.ext import commands

from bot.discord_app.client import MeetupBot
from bot.doctor.checks import check_group
from bot.doctor.fetch import fetch_guild
from bot.doctor.watch import ProblemWatch, notice

log = logging.getLogger(__name__)


class DoctorCog(commands.Cog):
    def __init__(self, bot: MeetupBot) -> None:
        self.bot = bot
        self.watch = ProblemWatch()
        self.checks = 0  # passes finished (tests wait on it)
        self._dirty: set[int] = set()  # guilds to check again
        self._task: asyncio.Task[None] | None = None

    async def cog_unload(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def recheck(self, guild_id: int | None = None) -> None:
        """Check again soon (every configured guild when None); changes arriving meanwhile join the pass."""
        config = self.bot.services.config
        ids = [g.guild_id for g in config.groups] if guild_id is None else [guild_id]
        self._dirty.update(i for i in ids if config.group_for_guild(i) is not None)
        if self._dirty and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._run(), name="doctor-checks")

    async def _run(self) -> None:
        while self._dirty:
            guild_ids, self._dirty = sorted(self._dirty), set()
            for guild_id in guild_ids:
                try:
                    await self._check(guild_id)
                except Exception:  # a check must never take the bot down; the next change tries again
                    log.exception("could not check what the bot may do in guild %s", guild_id)
            self.checks += 1

    async def _check(self, guild_id: int) -> None:
        me = self.bot.user
        group = self.bot.services.config.group_for_guild(guild_id)
        if me is None or group is None:
            return
        view = await fetch_guild(self.bot.http, guild_id, me.id)
        findings = check_group(self.bot.services.config, group, view)
        new, fixed = self.watch.update(group.name, findings)
        for key in fixed:
            log.info("%s: fixed: %s in %s", group.name, *key)
        publisher = self.bot.services.publisher
        for finding in new:
            if publisher is None:
                log.warning("%s: %s", group.name, notice(finding))
                continue
            try:
                await publisher.report(group.name, notice(finding), level=logging.WARNING)
            except discord.HTTPException as exc:  # the log channel itself may be what is missing
                log.warning("%s: could not tell the organizers (%s)", group.name, exc)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        self.recheck()

    @commands.Cog.listener()
    async def on_guild_channel_update(self, before: Any, after: discord.abc.GuildChannel) -> None:
        self.recheck(after.guild.id)

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        self.recheck(channel.guild.id)

    @commands.Cog.listener()
    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        self.recheck(after.guild.id)

    @commands.Cog.listener()
    async def on_guild_role_delete(self, role: discord.Role) -> None:
        self.recheck(role.guild.id)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        self.recheck(guild.id)


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, MeetupBot)
    await bot.add_cog(DoctorCog(bot))
