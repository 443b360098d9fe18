"""/announce: an organizer posts (or refreshes) an event's announcement now. Thin: bot.schedule decides."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalog import queries
from bot.discord_app.choices import event_choices
from bot.discord_app.client import MeetupBot
from bot.discord_app.permissions import is_organizer, require_organizer
from bot.discord_app.pings import addressed_to
from bot.errors import UserError


class AnnouncementsCog(commands.Cog):
    def __init__(self, bot: MeetupBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="announce", description="Organizers: post or refresh an event's announcement now"
    )
    @app_commands.describe(slug="Start typing the event's title")
    async def announce(self, interaction: discord.Interaction[MeetupBot], slug: str) -> None:
        group = require_organizer(interaction, self.bot.services, "use /announce")
        scheduler = self.bot.services.scheduler
        if scheduler is None:
            raise UserError("Scheduled posting is not running in this bot; check its log.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.bot.services.sessions() as session:
            event = await queries.event_by_slug(session, slug.strip())
        answer = await scheduler.announce_now(event.id, group.name)
        pings = addressed_to(interaction.user.id, self.bot.services.config.discord.allowed_mentions)
        await interaction.followup.send(answer, ephemeral=True, allowed_mentions=pings)

    @announce.autocomplete("slug")
    async def announce_slug(
        self, interaction: discord.Interaction[MeetupBot], current: str
    ) -> list[app_commands.Choice[str]]:
        group = self.bot.services.group_for_guild(interaction.guild_id)
        if group is None or not is_organizer(interaction.user, group):
            return []
        return await event_choices(self.bot.services, group.name, current)


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, MeetupBot)
    await bot.add_cog(AnnouncementsCog(bot))
