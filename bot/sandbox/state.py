"""The sandbox's world: guilds, channels, roles, members, messages, DMs, events and commands in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.sandbox import errors
from bot.sandbox import permissions as perms
from bot.sandbox.ids import SnowflakeGenerator, utcnow
from bot.sandbox.models import (
    DM_CHANNEL,
    AppCommand,
    Channel,
    Guild,
    Member,
    Message,
    Role,
    ScheduledEvent,
    User,
)

NONCE_WINDOW_SECONDS = 300.0


@dataclass
class SandboxState:
    """Everything the fake Discord knows; read it directly in tests, change it through the server."""

    bot_user_id: int
    application_id: int
    ids: SnowflakeGenerator = field(default_factory=SnowflakeGenerator)
    users: dict[int, User] = field(default_factory=dict)
    guilds: dict[int, Guild] = field(default_factory=dict)
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    events: dict[int, ScheduledEvent] = field(default_factory=dict)
    dm_channels: dict[int, int] = field(default_factory=dict)
    commands: dict[int | None, dict[tuple[str, int], AppCommand]] = field(default_factory=dict)
    nonces: dict[tuple[int, str], tuple[int, datetime]] = field(default_factory=dict)
    base_url: str = "http://127.0.0.1"

    @property
    def gateway_url(self) -> str:
        """Where the websocket lives; GET /gateway/bot and READY's resume_gateway_url hand this out.

        The root path, as Discord's "wss://gateway.discord.gg/" (the sandbox serves /gateway too)."""
        scheme, _, rest = self.base_url.partition("://")
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/"

    # -- lookups that fail the way Discord does -------------------------------------------------

    @property
    def bot_user(self) -> User:
        return self.users[self.bot_user_id]

    def guild(self, guild_id: int) -> Guild:
        found = self.guilds.get(guild_id)
        if found is None:
            raise errors.unknown_guild()
        return found

    def channel(self, channel_id: int) -> Channel:
        found = self.channels.get(channel_id)
        if found is None:
            raise errors.unknown_channel()
        return found

    def message(self, channel_id: int, message_id: int) -> Message:
        found = self.messages.get(message_id)
        if found is None or found.channel_id != channel_id or found.deleted or found.ephemeral_to is not None:
            raise errors.unknown_message()
        return found

    def user(self, user_id: int) -> User:
        found = self.users.get(user_id)
        if found is None:
            raise errors.unknown_user()
        return found

    def member(self, guild_id: int, user_id: int) -> Member:
        found = self.guild(guild_id).members.get(user_id)
        if found is None:
            raise errors.unknown_member()
        return found

    def role(self, guild_id: int, role_id: int) -> Role:
        found = self.roles.get(role_id)
        if found is None or found.guild_id != guild_id:
            raise errors.unknown_role()
        return found

    def event(self, guild_id: int, event_id: int) -> ScheduledEvent:
        found = self.events.get(event_id)
        if found is None or found.guild_id != guild_id:
            raise errors.unknown_scheduled_event()
        return found

    def find_user(self, ref: str | int) -> User | None:
        """A user by id or by name (as control API callers write them)."""
        text = str(ref).strip().lstrip("@")
        if text.isdigit() and int(text) in self.users:
            return self.users[int(text)]
        return next((u for u in self.users.values() if u.username == text), None)

    def guild_roles(self, guild: Guild) -> list[Role]:
        return [self.roles[r] for r in guild.role_ids]

    def guild_channels(self, guild: Guild) -> list[Channel]:
        return [self.channels[c] for c in guild.channel_ids]

    def channel_messages(self, channel: Channel) -> list[Message]:
        return [self.messages[m] for m in channel.message_ids]

    # -- permissions ------------------------------------------------------------------------------

    def permissions(self, guild: Guild, user_id: int, channel: Channel | None = None) -> int:
        member = guild.members.get(user_id)
        if member is None:
            return 0
        base = perms.base_permissions(
            is_owner=guild.owner_id == user_id,
            everyone_perms=self.roles[guild.id].permissions,
            role_perms=(self.roles[r].permissions for r in member.roles if r in self.roles),
        )
        if channel is None:
            return base
        return perms.channel_permissions(
            base,
            guild_id=guild.id,
            member_id=user_id,
            member_role_ids=member.roles,
            overwrites=channel.overwrites,
        )

    def bot_permissions(self, channel: Channel) -> int:
        if channel.guild_id is None:
            return perms.ALL
        return self.permissions(self.guild(channel.guild_id), self.bot_user_id, channel)

    def require(self, channel: Channel, needed: int) -> None:
        """Raises Missing Access / Missing Permissions like Discord when the bot lacks `needed`."""
        have = self.bot_permissions(channel)
        if not have & perms.VIEW_CHANNEL:
            raise errors.missing_access()
        if have & needed != needed:
            raise errors.missing_permissions()

    # -- mutations shared by REST and control routes ----------------------------------------------

    def add_member(self, guild: Guild, user: User, role_ids: list[int]) -> Member:
        member = Member(guild_id=guild.id, user_id=user.id, roles=list(role_ids), joined_at=utcnow())
        guild.members[user.id] = member
        return member

    def dm_channel(self, user: User) -> Channel:
        """The bot's DM channel with `user`, created on first use like POST /users/@me/channels."""
        existing = self.dm_channels.get(user.id)
        if existing is not None:
            return self.channels[existing]
        channel = Channel(
            id=self.ids.next(), type=DM_CHANNEL, name=None, guild_id=None, recipient_ids=[user.id]
        )
        self.channels[channel.id] = channel
        self.dm_channels[user.id] = channel.id
        return channel

    def remember_nonce(self, author_id: int, nonce: str, message_id: int, at: datetime) -> None:
        self.nonces[(author_id, nonce)] = (message_id, at)

    def recent_nonce(self, author_id: int, nonce: str, now: datetime) -> Message | None:
        """The message this author already sent with `nonce` in the last few minutes, if any."""
        found = self.nonces.get((author_id, nonce))
        if found is None:
            return None
        message_id, at = found
        if (now - at).total_seconds() > NONCE_WINDOW_SECONDS:
            del self.nonces[(author_id, nonce)]
            return None
        return self.messages.get(message_id)
