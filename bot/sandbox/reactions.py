"""Reactions: emoji parsing, add/remove/clear, and the MESSAGE_REACTION_* events Discord sends."""

from __future__ import annotations

import unicodedata
from typing import Any

from bot.sandbox import errors, serialize
from bot.sandbox.core import SandboxCore
from bot.sandbox.gateway import DIRECT_MESSAGE_REACTIONS, GUILD_MESSAGE_REACTIONS
from bot.sandbox.messages import describe
from bot.sandbox.models import Message, Reaction

KEYCAP_BASES = frozenset("0123456789#*")


def parse_emoji(raw: str) -> tuple[str, int | None]:
    """Accepts a unicode emoji or `name:id` (custom); anything else is Unknown Emoji (10014)."""
    text = raw.strip()
    if ":" in text:
        name, _, snowflake = text.rpartition(":")
        name = name[2:] if name.startswith("a:") else name
        if not snowflake.isdigit() or not name:
            raise errors.unknown_emoji()
        return name, int(snowflake)
    if not text or len(text) > 16 or not _looks_like_emoji(text):
        raise errors.unknown_emoji()
    return text, None


def _looks_like_emoji(text: str) -> bool:
    first = text[0]
    if first in KEYCAP_BASES:
        return "\u20e3" in text
    for ch in text:
        if ord(ch) < 0x80:
            return False
    return any(unicodedata.category(ch) == "So" or ord(ch) >= 0x1F000 for ch in text)


def _emoji_payload(reaction: Reaction) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(reaction.emoji_id) if reaction.emoji_id else None,
        "name": reaction.name,
    }
    if reaction.emoji_id and reaction.animated:
        data["animated"] = True
    return data


def _intent(msg: Message) -> int:
    return GUILD_MESSAGE_REACTIONS if msg.guild_id is not None else DIRECT_MESSAGE_REACTIONS


def _base(msg: Message) -> dict[str, Any]:
    data: dict[str, Any] = {"channel_id": str(msg.channel_id), "message_id": str(msg.id)}
    if msg.guild_id is not None:
        data["guild_id"] = str(msg.guild_id)
    return data


def add(core: SandboxCore, msg: Message, user_id: int, emoji: str) -> bool:
    """Adds `user_id`'s reaction; returns False when it was already there (Discord answers 204 either way)."""
    name, emoji_id = parse_emoji(emoji)
    if emoji_id is not None:
        raise errors.unknown_emoji()
    key = name
    reaction = msg.reaction(key)
    if reaction is None:
        reaction = Reaction(name=name, emoji_id=emoji_id)
        msg.reactions.append(reaction)
    if user_id in reaction.user_ids:
        return False
    reaction.user_ids.append(user_id)
    data = {
        **_base(msg),
        "user_id": str(user_id),
        "emoji": _emoji_payload(reaction),
        "message_author_id": str(msg.author_id),
        "burst": False,
        "burst_colors": [],
        "type": 0,
    }
    if msg.guild_id is not None:
        guild = core.state.guilds[msg.guild_id]
        if user_id in guild.members:
            data["member"] = serialize.member(core.state, guild.members[user_id])
    core.hub.dispatch("MESSAGE_REACTION_ADD", data, intent=_intent(msg))
    core.feed(
        f"{core.name_of(user_id)} reacted {name} to {core.name_of(msg.author_id)}'s {describe(core, msg)!r}"
    )
    return True


def remove(core: SandboxCore, msg: Message, user_id: int, emoji: str) -> bool:
    name, emoji_id = parse_emoji(emoji)
    reaction = msg.reaction(f"{name}:{emoji_id}" if emoji_id else name)
    if reaction is None or user_id not in reaction.user_ids:
        return False
    reaction.user_ids.remove(user_id)
    if not reaction.user_ids:
        msg.reactions.remove(reaction)
    data = {
        **_base(msg),
        "user_id": str(user_id),
        "emoji": _emoji_payload(reaction),
        "burst": False,
        "type": 0,
    }
    core.hub.dispatch("MESSAGE_REACTION_REMOVE", data, intent=_intent(msg))
    core.feed(
        f"{core.name_of(user_id)} removed {name} from {core.name_of(msg.author_id)}'s {describe(core, msg)!r}"
    )
    return True


def clear(core: SandboxCore, msg: Message, emoji: str | None = None) -> None:
    """Removes every reaction, or every reaction with one emoji."""
    if emoji is None:
        msg.reactions.clear()
        core.hub.dispatch("MESSAGE_REACTION_REMOVE_ALL", _base(msg), intent=_intent(msg))
        return
    name, emoji_id = parse_emoji(emoji)
    reaction = msg.reaction(f"{name}:{emoji_id}" if emoji_id else name)
    if reaction is None:
        return
    msg.reactions.remove(reaction)
    data = {**_base(msg), "emoji": _emoji_payload(reaction)}
    core.hub.dispatch("MESSAGE_REACTION_REMOVE_EMOJI", data, intent=_intent(msg))
