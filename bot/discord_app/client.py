"""The discord.py client: loads every cog, syncs slash commands to the configured guilds, serves only them."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

import cogs
from bot.config import AllowedMentionsConfig
from bot.discord_app.errors import send_error
from bot.discord_app.permissions import NOT_CONFIGURED
from bot.discord_app.pings import NO_PINGS
from bot.discord_app.services import Services

log = logging.getLogger(__name__)


def allowed_mentions(config: AllowedMentionsConfig) -> discord.AllowedMentions:
    """The client's default for every send, edit and interaction answer: nobody is pinged. Event text is
    anyone's to write; the few messages that may ping say so themselves (bot.discord_app.pings)."""
    return NO_PINGS


class MeetupTree(app_commands.CommandTree["MeetupBot"]):
    async def interaction_check(self, interaction: discord.Interaction[MeetupBot], /) -> bool:
        if self.client.services.group_for_guild(interaction.guild_id) is not None:
            return True
        if interaction.type is discord.InteractionType.autocomplete:
            await interaction.response.autocomplete([])
        elif not interaction.response.is_done():
            await interaction.response.send_message(NOT_CONFIGURED, ephemeral=True)
        return False

    async def on_error(
        self, interaction: discord.Interaction[MeetupBot], error: app_commands.AppCommandError, /
    ) -> None:
        await send_error(interaction, error)


class MeetupBot(commands.Bot):
    """The bot; cogs reach config, sessions and clock through `bot.services`."""

    def __init__(self, services: Services, **options: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_reactions = True
        intents.dm_messages = True
        intents.guild_scheduled_events = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=MeetupTree,
            allowed_mentions=allowed_mentions(services.config.discord.allowed_mentions),
            help_command=None,
            chunk_guilds_at_startup=False,
            **options,
        )
        self.services = services
        self.synced = False

    async def setup_hook(self) -> None:
        for name in cog_modules():
            await self.load_extension(name)
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """Register the slash commands as guild commands of every configured guild (they appear at once)."""
        for group in self.services.config.groups:
            guild = discord.Object(group.guild_id)
            self.tree.copy_global_to(guild=guild)
            try:
                synced = await self.tree.sync(guild=guild)
            except discord.Forbidden:
                log.error(
                    "cannot register commands in guild %s (%s): invite the bot with the "
                    "applications.commands scope",
                    group.guild_id,
                    group.name,
                )
                continue
            log.info("registered %d commands in guild %s (%s)", len(synced), group.guild_id, group.name)
        self.synced = True


def cog_modules() -> list[str]:
    """Every extension module in the `cogs` package, in name order."""
    return sorted(
        f"{cogs.__name__}.{info.name}"
        for info in pkgutil.iter_modules(cogs.__path__)
        if not info.name.startswith("_") and hasattr(importlib.import_module(f"cogs.{info.name}"), "setup")
    )
