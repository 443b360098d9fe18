"""Members' event commands: /next-event, /events, /event, /agenda. Thin: all answers come from bot.catalog."""

from __future__ import annotations

import io
import math

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalog import queries
from bot.checkin.ics import calendar
from bot.discord_app.choices import event_choices
from bot.discord_app.client import MeetupBot
from bot.discord_app.embeds import agenda_embed, event_embed, events_page_embed
from bot.discord_app.permissions import group_of
from bot.discord_app.pings import addressed_to
from bot.errors import UserError
from bot.rsvp.counts import rsvp_counts
from bot.when import plural

PAGE_SIZE = 5


class EventsCog(commands.Cog):
    def __init__(self, bot: MeetupBot) -> None:
        self.services = bot.services

    def _group(self, interaction: discord.Interaction[MeetupBot]) -> str:
        return group_of(interaction, self.services).name

    def _pings(self, interaction: discord.Interaction[MeetupBot]) -> discord.AllowedMentions:
        """An answer pings nobody (a `<@id>` in an event's title stays text), at most the member who asked."""
        return addressed_to(interaction.user.id, self.services.config.discord.allowed_mentions)

    @app_commands.command(name="next-event", description="The next meetup of this server's group")
    async def next_event(self, interaction: discord.Interaction[MeetupBot]) -> None:
        group = self._group(interaction)
        now = self.services.clock.now()
        async with self.services.sessions() as session:
            event = await queries.require_next_event(session, now, group)
            counts = await rsvp_counts(session, event.id)
        await interaction.response.send_message(
            f"Next {group} meetup: **{event.title}**",
            embed=event_embed(event, going=counts.going, maybe=counts.maybe),
            file=discord.File(io.BytesIO(calendar([event], now).encode()), filename=f"{event.slug}.ics"),
            allowed_mentions=self._pings(interaction),
        )

    @app_commands.command(name="events", description="Upcoming meetups of this server's group")
    @app_commands.describe(page="Which page of the list (5 events a page)")
    async def events(
        self, interaction: discord.Interaction[MeetupBot], page: app_commands.Range[int, 1, 1000] = 1
    ) -> None:
        group = self._group(interaction)
        now = self.services.clock.now()
        async with self.services.sessions() as session:
            total = await queries.count_upcoming(session, now, group=group)
            if total == 0:
                raise queries.NoUpcomingEvent(group)
            pages = math.ceil(total / PAGE_SIZE)
            if page > pages:
                raise UserError(
                    f"The upcoming events fill only {plural(pages, 'page')}; try `/events page:{pages}`."
                )
            events = await queries.upcoming_events(
                session, now, group=group, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
            )
        await interaction.response.send_message(
            embed=events_page_embed(events, page, pages, group), allowed_mentions=self._pings(interaction)
        )

    @app_commands.command(name="event", description="One meetup, past or upcoming")
    @app_commands.describe(slug="Start typing the event's title")
    async def event(self, interaction: discord.Interaction[MeetupBot], slug: str) -> None:
        group = self._group(interaction)
        async with self.services.sessions() as session:
            event = await queries.group_event_by_slug(session, slug, group)
            counts = await rsvp_counts(session, event.id)
        await interaction.response.send_message(
            embed=event_embed(event, going=counts.going, maybe=counts.maybe),
            allowed_mentions=self._pings(interaction),
        )

    @event.autocomplete("slug")
    async def event_slug(
        self, interaction: discord.Interaction[MeetupBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await event_choices(self.services, self._group(interaction), current)

    @app_commands.command(name="agenda", description="Today's or the next meetup's agenda")
    async def agenda(self, interaction: discord.Interaction[MeetupBot]) -> None:
        group = self._group(interaction)
        async with self.services.sessions() as session:
            event = await queries.require_next_event(session, self.services.clock.now(), group)
        await interaction.response.send_message(
            embed=agenda_embed(event), allowed_mentions=self._pings(interaction)
        )


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, MeetupBot)
    await bot.add_cog(EventsCog(bot))
