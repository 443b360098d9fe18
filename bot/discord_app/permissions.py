"""The organizer check, made by the bot on every call whatever Discord's command permissions say."""

from __future__ import annotations

import discord

from bot.config import GroupConfig
from bot.discord_app.services import Services
from bot.errors import UserError

NOT_CONFIGURED = (
    "meetup-bot is not set up for this server. An organizer can add it to `groups` in the bot's config.yaml."
)


class NotOrganizer(UserError):
    def __init__(self, group: str, what: str) -> None:
        super().__init__(f"Only {group} organizers can {what}. Nothing was changed.")


def group_of(interaction: discord.Interaction[discord.Client], services: Services) -> GroupConfig:
    group = services.group_for_guild(interaction.guild_id)
    if group is None:
        raise UserError(NOT_CONFIGURED)
    return group


def is_organizer(user: discord.User | discord.Member, group: GroupConfig) -> bool:
    roles = {r.id for r in user.roles} if isinstance(user, discord.Member) else set()
    return group.organizer_role_id is not None and group.organizer_role_id in roles


def require_organizer(
    interaction: discord.Interaction[discord.Client], services: Services, what: str = "use this command"
) -> GroupConfig:
    """The interaction's group, if the member has its `organizer_role_id`; a UserError otherwise."""
    group = group_of(interaction, services)
    if not is_organizer(interaction.user, group):
        raise NotOrganizer(group.name, what)
    return group
