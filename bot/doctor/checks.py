"""What the bot needs on each server, checked against what the server grants: plain data in, findings out.

The permission arithmetic is Discord's documented algorithm (permissions.mdx, "Permission Hierarchy"): the
@everyone role's permissions, or-ed with the member's roles; ADMINISTRATOR (or owning the server) grants
everything; then the channel's overwrites for @everyone, for the member's roles together, and for the member.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.config import Config, GroupConfig
from bot.invite import (
    ADD_REACTIONS,
    ATTACH_FILES,
    CREATE_EVENTS,
    EMBED_LINKS,
    MANAGE_EVENTS,
    MANAGE_MESSAGES,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
)

# Discord's permission bits (permissions.mdx): those the invite asks for, plus the two only checked here
ADMINISTRATOR = 1 << 3
MENTION_EVERYONE = 1 << 17
ALL = (1 << 53) - 1

NAMES: Mapping[int, str] = {
    VIEW_CHANNEL: "View Channel",
    SEND_MESSAGES: "Send Messages",
    EMBED_LINKS: "Embed Links",
    ATTACH_FILES: "Attach Files",
    ADD_REACTIONS: "Add Reactions",
    READ_MESSAGE_HISTORY: "Read Message History",
    MANAGE_MESSAGES: "Manage Messages",
    MENTION_EVERYONE: "Mention @everyone, @here, and All Roles",
    MANAGE_EVENTS: "Manage Events",
    CREATE_EVENTS: "Create Events",
}
# what the bot does in each kind of channel
ANNOUNCE_NEEDS = (
    VIEW_CHANNEL,
    SEND_MESSAGES,
    EMBED_LINKS,
    ATTACH_FILES,
    ADD_REACTIONS,
    READ_MESSAGE_HISTORY,
    MANAGE_MESSAGES,  # takes superseded RSVP reactions off (a member who reacted ✅ then ❌)
)
NOTICE_NEEDS = (VIEW_CHANNEL, SEND_MESSAGES, EMBED_LINKS)
TEXT_TYPES = {0: "text", 5: "announcement"}
CHANNEL_TYPES = {2: "voice", 4: "category", 13: "stage", 15: "forum", 16: "media"}


@dataclass(frozen=True)
class Overwrite:
    target_id: int
    is_member: bool  # else a role (type 0)
    allow: int
    deny: int


@dataclass(frozen=True)
class RoleView:
    id: int
    name: str
    permissions: int
    mentionable: bool = False


@dataclass(frozen=True)
class ChannelView:
    id: int
    name: str
    type: int
    overwrites: tuple[Overwrite, ...] = ()


@dataclass(frozen=True)
class GuildView:
    """One server as the bot sees it: its roles, its channels, and the bot's own roles there."""

    id: int
    name: str
    owner_id: int
    bot_id: int
    bot_role_ids: tuple[int, ...]
    roles: Mapping[int, RoleView] = field(default_factory=dict)
    channels: Mapping[int, ChannelView] = field(default_factory=dict)

    def base_permissions(self) -> int:
        if self.owner_id == self.bot_id:
            return ALL
        everyone = self.roles.get(self.id)
        granted = everyone.permissions if everyone else 0
        for role_id in self.bot_role_ids:
            role = self.roles.get(role_id)
            granted |= role.permissions if role else 0
        return ALL if granted & ADMINISTRATOR else granted

    def channel_permissions(self, channel: ChannelView) -> int:
        granted = self.base_permissions()
        if granted == ALL:  # the owner, or ADMINISTRATOR: overwrites do not apply
            return ALL
        by_target = {(o.is_member, o.target_id): o for o in channel.overwrites}
        everyone = by_target.get((False, self.id))
        if everyone:
            granted = (granted & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role_id in self.bot_role_ids:
            role_overwrite = by_target.get((False, role_id))
            if role_overwrite:
                allow |= role_overwrite.allow
                deny |= role_overwrite.deny
        granted = (granted & ~deny) | allow
        member = by_target.get((True, self.bot_id))
        if member:
            granted = (granted & ~member.deny) | member.allow
        return granted


@dataclass(frozen=True)
class Finding:
    """One row of `meetup-bot doctor`: what was checked, where, whether it is fine, and what to do if not."""

    check: str
    place: str
    ok: bool
    fix: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """Identifies a problem, so the running bot tells the organizers about it once."""
        return (self.check, self.place)


def permission_names(bits: Iterable[int]) -> str:
    return ", ".join(NAMES.get(bit, str(bit)) for bit in bits)


def check_group(config: Config, group: GroupConfig, guild: GuildView | None) -> list[Finding]:
    """Everything the group's config asks of its server: joined, channels, permissions, roles."""
    where = f"{group.name} (server {group.guild_id})"
    if guild is None:
        fix = "invite the bot to this server with the link `meetup-bot invite-url` prints, or fix guild_id"
        return [Finding("bot is on the server", where, False, fix)]
    server = group.name if guild.name == group.name else f"{group.name} ({guild.name})"
    found = [Finding("bot is on the server", server, True)]
    announcements = config.announcements_for(group)
    channels: list[tuple[str, int, tuple[int, ...]]] = [
        ("announce_channel_id", group.announce_channel_id, ANNOUNCE_NEEDS)
    ]
    if announcements.log_channel_id is not None:
        channels.append(("log_channel_id", announcements.log_channel_id, NOTICE_NEEDS))
    if group.organizer_channel_id is not None:
        channels.append(("organizer_channel_id", group.organizer_channel_id, NOTICE_NEEDS))
    for key, channel_id, needs in channels:
        found.extend(_channel_findings(guild, group, key, channel_id, needs))
    if announcements.scheduled_events:
        granted = guild.base_permissions()
        for bit in (CREATE_EVENTS, MANAGE_EVENTS):
            ok = bool(granted & bit)
            fix = (
                f"give the bot's role {NAMES[bit]} in Server Settings → Roles, or set "
                "announcements.scheduled_events: false"
            )
            found.append(Finding(f"permission {NAMES[bit]} (Events tab)", server, ok, "" if ok else fix))
    if group.organizer_role_id is not None:
        found.append(_role_exists(guild, group, "organizer_role_id", group.organizer_role_id))
    if announcements.mention_role_id is not None:
        found.extend(_mention_role(guild, group, announcements.mention_role_id))
    return found


def _channel_findings(
    guild: GuildView, group: GroupConfig, key: str, channel_id: int, needs: tuple[int, ...]
) -> list[Finding]:
    channel = guild.channels.get(channel_id)
    where = f"{group.name} {key} {channel_id}"
    if channel is None:
        fix = f"the channel was deleted or is not on {guild.name}: copy the right id into groups[].{key}"
        return [Finding("channel exists", where, False, fix)]
    where = f"{group.name} #{channel.name}"
    if channel.type not in TEXT_TYPES:
        kind = CHANNEL_TYPES.get(channel.type, f"type {channel.type}")
        return [
            Finding(
                "is a text channel", where, False, f"it is a {kind} channel; name a text channel in {key}"
            )
        ]
    granted = guild.channel_permissions(channel)
    missing = [bit for bit in needs if not granted & bit]
    if not missing:
        return [Finding(f"all {len(needs)} channel permissions", where, True)]
    return [
        Finding(
            f"permission {NAMES[bit]}",
            where,
            False,
            f"allow {NAMES[bit]} for the bot in #{channel.name} (Edit Channel → Permissions) or its role",
        )
        for bit in missing
    ]


def _role_exists(guild: GuildView, group: GroupConfig, key: str, role_id: int) -> Finding:
    role = guild.roles.get(role_id)
    if role is None:
        fix = f"the role was deleted or is not on {guild.name}: copy the right id into groups[].{key}"
        return Finding("role exists", f"{group.name} {key} {role_id}", False, fix)
    return Finding("role exists", f"{group.name} @{role.name} ({key})", True)


def _mention_role(guild: GuildView, group: GroupConfig, role_id: int) -> list[Finding]:
    exists = _role_exists(guild, group, "mention_role_id", role_id)
    role = guild.roles.get(role_id)
    channel = guild.channels.get(group.announce_channel_id)
    if role is None:
        return [exists]
    may = role.mentionable or (
        channel is not None and bool(guild.channel_permissions(channel) & MENTION_EVERYONE)
    )
    fix = (
        ""
        if may
        else f"make @{role.name} mentionable (Server Settings → Roles → {role.name} → Allow anyone to "
        "@mention this role), or allow the bot Mention @everyone, @here, and All Roles"
    )
    return [exists, Finding("role can be mentioned", f"{group.name} @{role.name}", may, fix)]


def check_all(config: Config, guilds: Mapping[int, GuildView | None]) -> list[Finding]:
    """Every group's findings, in config order."""
    return [f for group in config.groups for f in check_group(config, group, guilds.get(group.guild_id))]


def problems(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if not f.ok]
