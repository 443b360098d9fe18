"""/announce: an organizer posts (or refreshes) an event's announcement now. Thin: bot.schedule decides."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalog import queries
from bot.config import GroupConfig
from bot.discord_app.client import MeetupBot
from bot.errors import UserError


class NotOrganizer(UserError):
    """Only members with the group's organizer role may use organizer commands."""


class AnnouncementsCog(commands.Cog):
    def __init__(self, bot: MeetupBot) -> None:
        self.bot = bot

    def _organizer_group(self, interaction: discord.Interaction[MeetupBot]) -> GroupConfig:
        """Checked on every call, whatever Discord's command permissions say."""
        group = self.bot.services.group_for_guild(interaction.guild_id)
        if group is None:
            raise UserError("meetup-bot is not set up for this server.")
        roles = {role.id for role in getattr(interaction.user, "roles", [])}
        if group.organizer_role_id is None or group.organizer_role_id not in roles:
            raise NotOrganizer(
                f"Only {group.name} organizers can use /announce. "
                "Ask an organizer, or an admin to give you the organizer role."
            )
        return group

    @app_commands.command(
        name="announce", description="Organizers: post or refresh an event's announcement now"
    )
    @app_commands.describe(slug="Start typing the event's title")
    async def announce(self, interaction: discord.Interaction[MeetupBot], slug: str) -> None:
        group = self._organizer_group(interaction)
        scheduler = self.bot.services.scheduler
        if scheduler is None:
            raise UserError("Scheduled posting is not running in this bot; check its log.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.bot.services.sessions() as session:
            event = await queries.event_by_slug(session, slug.strip())
        answer = await scheduler.announce_now(event.id, group.name)
        await interaction.followup.send(answer, ephemeral=True)

    @announce.autocomplete("slug")
    async def announce_slug(
        self, interaction: discord.Interaction[MeetupBot], current: str
    ) -> list[app_commands.Choice[str]]:
        group = self.bot.services.group_for_guild(interaction.guild_id)
        if group is None:
            return []
        async with self.bot.services.sessions() as session:
            found = await queries.search_events(
                session, self.bot.services.clock.now(), current, group=group.name, limit=25
            )
        return [
            app_commands.Choice(name=f"{e.title[:85]} · {e.starts_at:%Y-%m-%d}", value=e.slug) for e in found
        ]


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, MeetupBot)
    await bot.add_cog(AnnouncementsCog(bot))
