"""Who a message of the bot may ping: nobody, except the configured role in reminders and the member an
answer or DM is addressed to. Event files are written by anyone who can merge one, so a `<@id>`, `<@&id>`
or `@everyone` in a title or description is shown as text and never pings."""

from __future__ import annotations

import discord

from bot.config import AllowedMentionsConfig

NO_PINGS = discord.AllowedMentions.none()


def reminder_pings(role_id: int | None, config: AllowedMentionsConfig) -> discord.AllowedMentions:
    """A reminder pings its group's `mention_role_id`, plus roles listed in `discord.allowed_mentions.roles`
    (and @everyone only if that says `everyone: true`); never a user."""
    roles = [discord.Object(role) for role in dict.fromkeys([*([role_id] if role_id else []), *config.roles])]
    return discord.AllowedMentions(
        everyone=config.everyone, users=False, roles=roles or False, replied_user=False
    )


def addressed_to(user_id: int, config: AllowedMentionsConfig) -> discord.AllowedMentions:
    """An answer to a member may ping that member (`discord.allowed_mentions.users: false`: not even them)."""
    users: list[discord.abc.Snowflake] | bool = [discord.Object(user_id)] if config.users else False
    return discord.AllowedMentions(everyone=False, users=users, roles=False, replied_user=False)
