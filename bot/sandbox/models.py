"""Plain records for everything the sandbox stores; JSON shapes live in serialize.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.sandbox.permissions import Overwrite

TEXT_CHANNEL = 0
DM_CHANNEL = 1

EPHEMERAL = 1 << 6
LOADING = 1 << 7


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None
    dms_open: bool = True


@dataclass
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int
    position: int
    color: int = 0
    hoist: bool = False
    managed: bool = False
    mentionable: bool = False
    bot_id: int | None = None


@dataclass
class Member:
    guild_id: int
    user_id: int
    roles: list[int]
    joined_at: datetime
    nick: str | None = None


@dataclass
class Channel:
    id: int
    type: int
    name: str | None
    guild_id: int | None
    position: int = 0
    topic: str | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    recipient_ids: list[int] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)

    @property
    def last_message_id(self) -> int | None:
        return self.message_ids[-1] if self.message_ids else None


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    created_at: datetime
    role_ids: list[int] = field(default_factory=list)
    members: dict[int, Member] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)
    bot_role_id: int = 0


@dataclass
class Attachment:
    id: int
    filename: str
    content_type: str
    data: bytes
    description: str | None = None
    flags: int = 0

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class Reaction:
    """One emoji on one message; `user_ids` keeps the order people reacted in."""

    name: str
    emoji_id: int | None = None
    animated: bool = False
    user_ids: list[int] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.name}:{self.emoji_id}" if self.emoji_id else self.name


@dataclass
class Mentions:
    users: list[int] = field(default_factory=list)
    roles: list[int] = field(default_factory=list)
    everyone: bool = False


@dataclass
class Message:
    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    content: str
    timestamp: datetime
    type: int = 0
    embeds: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    tts: bool = False
    nonce: str | int | None = None
    mentions: Mentions = field(default_factory=Mentions)
    message_reference: dict[str, Any] | None = None
    reactions: list[Reaction] = field(default_factory=list)
    edited_timestamp: datetime | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    interaction_user_id: int | None = None
    interaction_name: str | None = None
    ephemeral_to: int | None = None
    deleted: bool = False

    def reaction(self, key: str) -> Reaction | None:
        return next((r for r in self.reactions if r.key == key), None)


@dataclass
class ScheduledEvent:
    id: int
    guild_id: int
    name: str
    scheduled_start_time: datetime
    entity_type: int
    creator_id: int
    privacy_level: int = 2
    status: int = 1
    description: str | None = None
    scheduled_end_time: datetime | None = None
    channel_id: int | None = None
    location: str | None = None
    image: str | None = None
    subscriber_ids: list[int] = field(default_factory=list)


@dataclass
class AppCommand:
    """A command as the bot registered it; `data` keeps the normalised definition."""

    id: int
    application_id: int
    guild_id: int | None
    version: int
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.data["name"])

    @property
    def type(self) -> int:
        return int(self.data.get("type") or 1)
