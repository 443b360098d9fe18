"""Permission bits and Discord's permission algorithm (base role permissions, then channel overwrites)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_TTS_MESSAGES = 1 << 12
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CONNECT = 1 << 20
SPEAK = 1 << 21
CHANGE_NICKNAME = 1 << 26
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_EVENTS = 1 << 33
SEND_MESSAGES_IN_THREADS = 1 << 38
CREATE_EVENTS = 1 << 44
ALL = (1 << 51) - 1

BY_NAME: Mapping[str, int] = MappingProxyType(
    {
        "CREATE_INSTANT_INVITE": CREATE_INSTANT_INVITE,
        "KICK_MEMBERS": KICK_MEMBERS,
        "BAN_MEMBERS": BAN_MEMBERS,
        "ADMINISTRATOR": ADMINISTRATOR,
        "MANAGE_CHANNELS": MANAGE_CHANNELS,
        "MANAGE_GUILD": MANAGE_GUILD,
        "ADD_REACTIONS": ADD_REACTIONS,
        "VIEW_CHANNEL": VIEW_CHANNEL,
        "SEND_MESSAGES": SEND_MESSAGES,
        "SEND_TTS_MESSAGES": SEND_TTS_MESSAGES,
        "MANAGE_MESSAGES": MANAGE_MESSAGES,
        "EMBED_LINKS": EMBED_LINKS,
        "ATTACH_FILES": ATTACH_FILES,
        "READ_MESSAGE_HISTORY": READ_MESSAGE_HISTORY,
        "MENTION_EVERYONE": MENTION_EVERYONE,
        "USE_EXTERNAL_EMOJIS": USE_EXTERNAL_EMOJIS,
        "CONNECT": CONNECT,
        "SPEAK": SPEAK,
        "CHANGE_NICKNAME": CHANGE_NICKNAME,
        "MANAGE_ROLES": MANAGE_ROLES,
        "USE_APPLICATION_COMMANDS": USE_APPLICATION_COMMANDS,
        "MANAGE_EVENTS": MANAGE_EVENTS,
        "SEND_MESSAGES_IN_THREADS": SEND_MESSAGES_IN_THREADS,
        "CREATE_EVENTS": CREATE_EVENTS,
    }
)

EVERYONE_DEFAULT = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CONNECT
    | SPEAK
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)
ORGANIZER_DEFAULT = MANAGE_EVENTS | CREATE_EVENTS | MANAGE_MESSAGES | MENTION_EVERYONE
BOT_DEFAULT = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | MANAGE_MESSAGES
    | ADD_REACTIONS
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | MENTION_EVERYONE
    | USE_EXTERNAL_EMOJIS
    | MANAGE_ROLES
    | MANAGE_EVENTS
    | CREATE_EVENTS
    | SEND_MESSAGES_IN_THREADS
)


@dataclass
class Overwrite:
    """A channel permission overwrite; type 0 targets a role, type 1 a member."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0


def parse_names(names: Iterable[str]) -> int:
    """Turns ["SEND_MESSAGES", "add_reactions"] into a bit set; raises KeyError on an unknown name."""
    bits = 0
    for name in names:
        bits |= BY_NAME[name.upper()]
    return bits


def base_permissions(*, is_owner: bool, everyone_perms: int, role_perms: Iterable[int]) -> int:
    if is_owner:
        return ALL
    perms = everyone_perms
    for value in role_perms:
        perms |= value
    return ALL if perms & ADMINISTRATOR else perms


def channel_permissions(
    base: int,
    *,
    guild_id: int,
    member_id: int,
    member_role_ids: Iterable[int],
    overwrites: Iterable[Overwrite],
) -> int:
    """Applies overwrites in Discord's order: @everyone, then roles combined, then the member."""
    if base & ADMINISTRATOR or base == ALL:
        return ALL
    by_key = {(o.type, o.id): o for o in overwrites}
    perms = base
    everyone = by_key.get((0, guild_id))
    if everyone:
        perms = (perms & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for role_id in member_role_ids:
        found = by_key.get((0, role_id))
        if found:
            allow |= found.allow
            deny |= found.deny
    perms = (perms & ~deny) | allow
    member = by_key.get((1, member_id))
    if member:
        perms = (perms & ~member.deny) | member.allow
    if not perms & VIEW_CHANNEL:
        return 0
    return perms
