"""Plain JSON summaries of sandbox state for the control API (names next to ids, readable by people)."""

from __future__ import annotations

from typing import Any

from bot.sandbox import mentions
from bot.sandbox import permissions as perms
from bot.sandbox.ids import iso
from bot.sandbox.models import Channel, Guild, Message
from bot.sandbox.state import SandboxState


def _text(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _perm_names(bits: int) -> list[str]:
    return [name for name, value in sorted(perms.BY_NAME.items(), key=lambda kv: kv[1]) if bits & value]


def guild_view(state: SandboxState, guild: Guild) -> dict[str, Any]:
    return {
        "id": str(guild.id),
        "name": guild.name,
        "owner_id": str(guild.owner_id),
        "channels": [
            {
                "id": str(c.id),
                "name": c.name,
                "type": c.type,
                "bot_denied": [
                    name
                    for o in c.overwrites
                    if o.type == 1 and o.id == state.bot_user_id
                    for name in _perm_names(o.deny)
                ],
            }
            for c in state.guild_channels(guild)
        ],
        "roles": [
            {
                "id": str(r.id),
                "name": r.name,
                "permissions": _perm_names(r.permissions),
                "mentionable": r.mentionable,
            }
            for r in state.guild_roles(guild)
        ],
        "members": [
            {
                "id": str(m.user_id),
                "name": state.users[m.user_id].username,
                "bot": state.users[m.user_id].bot,
                "roles": [state.roles[r].name for r in m.roles],
                "dms_open": state.users[m.user_id].dms_open,
            }
            for m in guild.members.values()
        ],
        "scheduled_events": [
            {
                "id": str(e.id),
                "name": e.name,
                "status": e.status,
                "start": iso(e.scheduled_start_time),
                "end": iso(e.scheduled_end_time) if e.scheduled_end_time else None,
                "location": e.location,
            }
            for e in (state.events[i] for i in guild.event_ids)
        ],
        "commands": sorted(c.name for c in state.commands.get(guild.id, {}).values()),
    }


def state_view(state: SandboxState) -> dict[str, Any]:
    """Guilds with their channels/roles/members nested, and the same lists flat (with guild_id) on top."""
    guilds = [guild_view(state, g) for g in state.guilds.values()]
    flat: dict[str, list[dict[str, Any]]] = {"channels": [], "roles": [], "members": []}
    for guild, view in zip(state.guilds.values(), guilds, strict=True):
        flat["channels"] += [{**item, "guild_id": str(guild.id)} for item in view["channels"]]
        flat["roles"] += [{**item, "guild_id": str(guild.id)} for item in view["roles"]]
        flat["members"] += [
            {
                **item,
                "guild_id": str(guild.id),
                "role_ids": [str(r) for r in guild.members[int(item["id"])].roles],
                "role_names": item["roles"],
            }
            for item in view["members"]
        ]
    return {
        "bot": {"id": str(state.bot_user_id), "name": state.bot_user.username},
        "application_id": str(state.application_id),
        "guilds": guilds,
        **flat,
        "global_commands": sorted(c.name for c in state.commands.get(None, {}).values()),
    }


def message_view(state: SandboxState, msg: Message) -> dict[str, Any]:
    channel = state.channels[msg.channel_id]
    return {
        "id": str(msg.id),
        "channel_id": str(msg.channel_id),
        "type": msg.type,
        "author": {"id": str(msg.author_id), "name": state.users[msg.author_id].username},
        "content": msg.content,
        "embeds": msg.embeds,
        "flags": msg.flags,
        "ephemeral_to": str(msg.ephemeral_to) if msg.ephemeral_to is not None else None,
        "timestamp": iso(msg.timestamp),
        "edited_timestamp": iso(msg.edited_timestamp) if msg.edited_timestamp else None,
        "nonce": msg.nonce,
        "message_reference": msg.message_reference,
        "interaction": msg.interaction_name,
        "reactions": [
            {
                "emoji": r.name,
                "user_ids": [str(u) for u in r.user_ids],
                "users": [state.users[u].username for u in r.user_ids],
            }
            for r in msg.reactions
        ],
        "mentions": {
            "users": [str(u) for u in msg.mentions.users],
            "roles": [str(r) for r in msg.mentions.roles],
            "everyone": msg.mentions.everyone,
            "pinged": [
                state.users[u].username for u in mentions.pinged_user_ids(state, channel, msg.mentions)
            ],
        },
        "attachments": [
            {
                "id": str(a.id),
                "filename": a.filename,
                "size": a.size,
                "content_type": a.content_type,
                "description": a.description,
                "url": f"{state.base_url}/attachments/{msg.channel_id}/{a.id}/{a.filename}",
                "content": _text(a.data),
            }
            for a in msg.attachments
        ],
    }


def channel_messages(
    state: SandboxState, channel: Channel, *, include_ephemeral: bool
) -> list[dict[str, Any]]:
    """Oldest first; ephemeral replies only when asked for (they are not in the channel on Discord)."""
    found = [
        m
        for m in state.messages.values()
        if m.channel_id == channel.id and not m.deleted and (include_ephemeral or m.ephemeral_to is None)
    ]
    return [message_view(state, m) for m in sorted(found, key=lambda m: m.id)]
