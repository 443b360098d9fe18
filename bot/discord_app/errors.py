"""The one error handler for app commands: users get a clear ephemeral message, the log gets the detail."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.errors import UserError

log = logging.getLogger(__name__)

UNEXPECTED = (
    "Something went wrong on our side and nothing was changed. Please try again in a minute; "
    "if it keeps happening, tell an organizer (the details are in the bot's log)."
)


def message_for(error: Exception) -> str:
    """The text a member sees for `error`; unexpected errors are logged with their traceback."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(original, UserError):
        return original.message
    if isinstance(original, app_commands.TransformerError):
        return f"`{original.value}` is not a valid value here. {_hint(original)}"
    if isinstance(original, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {original.retry_after:.0f} s."
    if isinstance(original, app_commands.CheckFailure):
        return "You can't use this command here."
    if isinstance(original, app_commands.CommandNotFound):
        return "This command is no longer available; Discord may need a minute to refresh the command list."
    log.error("unexpected error in an app command", exc_info=original)
    return UNEXPECTED


def _hint(error: app_commands.TransformerError) -> str:
    return f"Expected {error.type.name.lower()}."


async def send_error(interaction: discord.Interaction[discord.Client], error: Exception) -> None:
    """Answer ephemerally, whether or not the interaction was already answered or deferred."""
    text = message_for(error)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell %s about an error (interaction expired?)", interaction.user.id)
