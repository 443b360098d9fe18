"""A server as the bot sees it, read over REST with discord.py's HTTP client (its rate limits included)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import discord
from discord.http import HTTPClient

from bot.config import Config
from bot.doctor.checks import ChannelView, GuildView, Overwrite, RoleView

log = logging.getLogger(__name__)


def guild_view(
    guild: Mapping[str, Any], channels: list[Mapping[str, Any]], member: Mapping[str, Any], bot_id: int
) -> GuildView:
    """GuildView from Discord's JSON (GET /guilds/{id}, its /channels, and the bot's /members/{id})."""
    roles = {
        int(r["id"]): RoleView(
            int(r["id"]), str(r["name"]), int(r["permissions"]), bool(r.get("mentionable"))
        )
        for r in guild.get("roles", [])
    }
    views = {
        int(c["id"]): ChannelView(
            int(c["id"]),
            str(c.get("name") or c["id"]),
            int(c["type"]),
            tuple(
                Overwrite(int(o["id"]), int(o["type"]) == 1, int(o["allow"]), int(o["deny"]))
                for o in c.get("permission_overwrites", [])
            ),
        )
        for c in channels
    }
    return GuildView(
        id=int(guild["id"]),
        name=str(guild["name"]),
        owner_id=int(guild["owner_id"]),
        bot_id=bot_id,
        bot_role_ids=tuple(int(r) for r in member.get("roles", [])),
        roles=roles,
        channels=views,
    )


async def fetch_guild(http: HTTPClient, guild_id: int, bot_id: int) -> GuildView | None:
    """None when the bot is not on the server (Discord answers 403 or 404)."""
    try:
        guild = await http.get_guild(guild_id, with_counts=False)
        channels = await http.get_all_guild_channels(guild_id)
        member = await http.get_member(guild_id, bot_id)
    except (discord.NotFound, discord.Forbidden) as exc:
        log.debug("guild %s: %s", guild_id, exc)
        return None
    return guild_view(guild, list(channels), member, bot_id)


async def fetch_all(http: HTTPClient, config: Config, bot_id: int) -> dict[int, GuildView | None]:
    return {g.guild_id: await fetch_guild(http, g.guild_id, bot_id) for g in config.groups}
