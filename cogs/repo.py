"""/sync: an organizer syncs the events repository now. Thin: bot.schedule and bot.repo decide."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.client import MeetupBot
from bot.discord_app.permissions import require_organizer
from bot.errors import UserError
from bot.schedule.service import NO_EVENTS_REPO, fit


class RepoCog(commands.Cog):
    def __init__(self, bot: MeetupBot) -> None:
        self.bot = bot

    @app_commands.command(name="sync", description="Organizers: fetch the events repository and apply it now")
    async def sync(self, interaction: discord.Interaction[MeetupBot]) -> None:
        require_organizer(interaction, self.bot.services, "use /sync")
        if self.bot.services.config.events_repo is None:
            raise UserError(NO_EVENTS_REPO)
        scheduler = self.bot.services.scheduler
        if scheduler is None:
            raise UserError("Scheduled posting is not running in this bot; check its log.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await scheduler.sync_now()
        await interaction.followup.send(fit(report.summary()), ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, MeetupBot)
    await bot.add_cog(RepoCog(bot))
