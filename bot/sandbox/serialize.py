"""Discord's JSON shapes (users, members, roles, channels, guilds, messages, events) as documented."""

from __future__ import annotations

from typing import Any

from bot.sandbox.ids import iso
from bot.sandbox.models import (
    DM_CHANNEL,
    Attachment,
    Channel,
    Guild,
    Member,
    Message,
    Role,
    ScheduledEvent,
    User,
)
from bot.sandbox.state import SandboxState

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


def user(u: User) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(u.id),
        "username": u.username,
        "global_name": u.global_name,
        "avatar": None,
        "discriminator": "0",
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "collectibles": None,
        "primary_guild": None,
    }
    if u.bot:
        data["bot"] = True
    return data


def current_user(u: User) -> dict[str, Any]:
    """GET /users/@me adds the private fields (UserPIIResponse)."""
    return {
        **user(u),
        "mfa_enabled": False,
        "locale": "en-US",
        "verified": True,
        "email": None,
        "premium_type": 0,
    }


def member(state: SandboxState, m: Member, *, with_user: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "roles": [str(r) for r in m.roles],
        "joined_at": iso(m.joined_at),
        "nick": m.nick,
        "avatar": None,
        "banner": None,
        "premium_since": None,
        "communication_disabled_until": None,
        "pending": False,
        "flags": 0,
        "deaf": False,
        "mute": False,
    }
    if with_user:
        data["user"] = user(state.users[m.user_id])
    return data


def role(r: Role) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(r.id),
        "name": r.name,
        "permissions": str(r.permissions),
        "position": r.position,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": r.hoist,
        "managed": r.managed,
        "mentionable": r.mentionable,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
        "description": None,
    }
    if r.bot_id is not None:
        data["tags"] = {"bot_id": str(r.bot_id)}
    return data


def channel(state: SandboxState, c: Channel) -> dict[str, Any]:
    last = str(c.last_message_id) if c.last_message_id else None
    if c.type == DM_CHANNEL:
        return {
            "id": str(c.id),
            "type": c.type,
            "flags": 0,
            "last_message_id": last,
            "recipients": [user(state.users[r]) for r in c.recipient_ids],
        }
    return {
        "id": str(c.id),
        "type": c.type,
        "guild_id": str(c.guild_id),
        "name": c.name,
        "position": c.position,
        "flags": 0,
        "parent_id": None,
        "topic": c.topic,
        "nsfw": False,
        "last_message_id": last,
        "rate_limit_per_user": 0,
        "permission_overwrites": [
            {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}
            for o in c.overwrites
        ],
    }


def guild(state: SandboxState, g: Guild) -> dict[str, Any]:
    """The guild object (GET /guilds/{id}); GUILD_CREATE adds the gateway-only fields."""
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "icon_hash": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(g.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "widget_enabled": False,
        "widget_channel_id": None,
        # required by the OpenAPI description (a string); voice regions moved to channels, so Discord
        # answers "deprecated" here
        "region": "deprecated",
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": [role(r) for r in state.guild_roles(g)],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "max_members": 500000,
        "max_presences": None,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "nsfw": False,
        "premium_progress_bar_enabled": False,
        "home_header": None,
        "incidents_data": None,
    }


def guild_create(state: SandboxState, g: Guild, *, all_members: bool) -> dict[str, Any]:
    """GUILD_CREATE: without GUILD_MEMBERS only the bot's own member is sent, as on Discord."""
    members = list(g.members.values())
    sent = members if all_members else [m for m in members if m.user_id == state.bot_user_id]
    return {
        **guild(state, g),
        "joined_at": iso(g.members[state.bot_user_id].joined_at),
        "large": len(members) > 250,
        "unavailable": False,
        "member_count": len(members),
        "lazy": True,
        "voice_states": [],
        "members": [member(state, m) for m in sent],
        "channels": [channel(state, c) for c in state.guild_channels(g)],
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [scheduled_event(state, state.events[e]) for e in g.event_ids],
        "soundboard_sounds": [],
        "embedded_activities": [],
    }


def attachment(state: SandboxState, channel_id: int, a: Attachment) -> dict[str, Any]:
    url = f"{state.base_url}/attachments/{channel_id}/{a.id}/{a.filename}"
    data: dict[str, Any] = {
        "id": str(a.id),
        "filename": a.filename,
        "size": a.size,
        "url": url,
        "proxy_url": url,
        "content_type": a.content_type,
        "flags": a.flags,
    }
    if a.description is not None:
        data["description"] = a.description
    return data


def _reactions(state: SandboxState, msg: Message) -> list[dict[str, Any]]:
    return [
        {
            "emoji": {"id": str(r.emoji_id) if r.emoji_id else None, "name": r.name},
            "count": len(r.user_ids),
            "count_details": {"burst": 0, "normal": len(r.user_ids)},
            "burst_colors": [],
            "me_burst": False,
            "burst_me": False,
            "me": state.bot_user_id in r.user_ids,
            "burst_count": 0,
        }
        for r in msg.reactions
        if r.user_ids
    ]


def message(
    state: SandboxState, msg: Message, *, gateway: bool = False, nested: bool = False
) -> dict[str, Any]:
    """A message object; `gateway` adds MESSAGE_CREATE's guild_id/member/mention members."""
    author = state.users[msg.author_id]
    guild = state.guilds.get(msg.guild_id) if msg.guild_id is not None and msg.ephemeral_to is None else None
    mentions = []
    for uid in msg.mentions.users:
        entry = user(state.users[uid])
        if gateway and guild is not None and uid in guild.members:
            entry["member"] = member(state, guild.members[uid], with_user=False)
        mentions.append(entry)
    data: dict[str, Any] = {
        "type": msg.type,
        "content": msg.content,
        "mentions": mentions,
        "mention_roles": [str(r) for r in msg.mentions.roles],
        "attachments": [attachment(state, msg.channel_id, a) for a in msg.attachments],
        "embeds": msg.embeds,
        "timestamp": iso(msg.timestamp),
        "edited_timestamp": iso(msg.edited_timestamp) if msg.edited_timestamp else None,
        "flags": msg.flags,
        "components": msg.components,
        "id": str(msg.id),
        "channel_id": str(msg.channel_id),
        "author": user(author),
        "pinned": False,
        "mention_everyone": msg.mentions.everyone,
        "tts": msg.tts,
    }
    if msg.nonce is not None:
        data["nonce"] = msg.nonce
    if msg.webhook_id is not None:
        data["webhook_id"] = str(msg.webhook_id)
    if msg.application_id is not None:
        data["application_id"] = str(msg.application_id)
    if msg.interaction_metadata is not None:
        data["interaction_metadata"] = msg.interaction_metadata
        if msg.interaction_user_id is not None and msg.interaction_name is not None:
            data["interaction"] = {
                "id": msg.interaction_metadata["id"],
                "type": msg.interaction_metadata["type"],
                "name": msg.interaction_name,
                "user": user(state.users[msg.interaction_user_id]),
            }
    reactions = _reactions(state, msg)
    if reactions:
        data["reactions"] = reactions
    if msg.message_reference is not None:
        data["message_reference"] = msg.message_reference
        if not nested and msg.type == 19:
            ref = state.messages.get(int(msg.message_reference["message_id"]))
            data["referenced_message"] = (
                message(state, ref, nested=True) if ref is not None and not ref.deleted else None
            )
    if gateway:
        if guild is not None:
            data["guild_id"] = str(guild.id)
            if msg.webhook_id is None and msg.author_id in guild.members:
                data["member"] = member(state, guild.members[msg.author_id], with_user=False)
        channel_obj = state.channels.get(msg.channel_id)
        if channel_obj is not None:
            data["channel_type"] = channel_obj.type
    return data


def scheduled_event(
    state: SandboxState, e: ScheduledEvent, *, with_user_count: bool = False
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(e.id),
        "guild_id": str(e.guild_id),
        "channel_id": str(e.channel_id) if e.channel_id else None,
        "creator_id": str(e.creator_id),
        "creator": user(state.users[e.creator_id]),
        "name": e.name,
        "description": e.description,
        "image": e.image,
        "scheduled_start_time": iso(e.scheduled_start_time),
        "scheduled_end_time": iso(e.scheduled_end_time) if e.scheduled_end_time else None,
        "privacy_level": e.privacy_level,
        "status": e.status,
        "entity_type": e.entity_type,
        "entity_id": None,
        "entity_metadata": {"location": e.location} if e.location is not None else None,
        "recurrence_rule": None,
        "guild_scheduled_event_exceptions": [],
        "auto_start": False,
    }
    if with_user_count:
        data["user_count"] = len(e.subscriber_ids)
    return data
