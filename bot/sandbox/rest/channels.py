"""Channel routes: fetch a channel, list/post/edit/delete messages, reactions, typing."""

from __future__ import annotations

from aiohttp import web

from bot.sandbox import errors, messages, reactions, serialize
from bot.sandbox import permissions as perms
from bot.sandbox.models import Channel, Message
from bot.sandbox.rest.base import core_of, json_response, no_content, query_int, read_object, snowflake

BASE = "/channels/{channel_id}"
MESSAGE = BASE + "/messages/{message_id}"
REACTION = MESSAGE + "/reactions/{emoji_name}"


def _channel(request: web.Request) -> Channel:
    core = core_of(request)
    channel = core.state.channel(snowflake(request, "channel_id"))
    if channel.guild_id is not None and not core.state.bot_permissions(channel) & perms.VIEW_CHANNEL:
        raise errors.missing_access()
    return channel


def _message(request: web.Request, channel: Channel) -> Message:
    return core_of(request).state.message(channel.id, snowflake(request, "message_id"))


async def get_channel(request: web.Request) -> web.Response:
    return json_response(serialize.channel(core_of(request).state, _channel(request)))


async def typing(request: web.Request) -> web.Response:
    channel = _channel(request)
    if channel.guild_id is not None:
        core_of(request).state.require(channel, perms.SEND_MESSAGES)
    return no_content()


async def list_messages(request: web.Request) -> web.Response:
    core = core_of(request)
    channel = _channel(request)
    limit = query_int(request, "limit", 50, 1, 100)
    anchors = [k for k in ("before", "after", "around") if k in request.query]
    if len(anchors) > 1:
        raise errors.invalid_form(
            [(anchors, "BASE_TYPE_INVALID", "before, after and around are mutually exclusive.")]
        )
    if channel.guild_id is not None and not core.state.bot_permissions(channel) & perms.READ_MESSAGE_HISTORY:
        return json_response([])
    history = core.state.channel_messages(channel)
    if "after" in request.query:
        after = int(request.query["after"])
        picked = [m for m in history if m.id > after][:limit]
    elif "before" in request.query:
        before = int(request.query["before"])
        picked = [m for m in history if m.id < before][-limit:]
    elif "around" in request.query:
        around = int(request.query["around"])
        older = [m for m in history if m.id <= around][-(limit // 2 + 1) :]
        newer = [m for m in history if m.id > around][: limit - len(older)]
        picked = older + newer
    else:
        picked = history[-limit:]
    return json_response([serialize.message(core.state, m) for m in reversed(picked)])


async def get_message(request: web.Request) -> web.Response:
    core = core_of(request)
    channel = _channel(request)
    if channel.guild_id is not None:
        core.state.require(channel, perms.READ_MESSAGE_HISTORY)
    return json_response(serialize.message(core.state, _message(request, channel)))


async def create_message(request: web.Request) -> web.Response:
    core = core_of(request)
    channel = _channel(request)
    body, uploads = await read_object(request)
    if channel.guild_id is not None:
        needed = perms.SEND_MESSAGES | (perms.ATTACH_FILES if uploads else 0)
        if body.get("message_reference"):
            needed |= perms.READ_MESSAGE_HISTORY
        core.state.require(channel, needed)
    else:
        recipient = core.state.users[channel.recipient_ids[0]]
        if not recipient.dms_open:
            raise errors.cannot_message_user()
    msg = messages.create_message(core, channel, core.state.bot_user_id, body, uploads)
    return json_response(serialize.message(core.state, msg))


async def edit_message(request: web.Request) -> web.Response:
    core = core_of(request)
    channel = _channel(request)
    msg = _message(request, channel)
    body, uploads = await read_object(request)
    if msg.author_id != core.state.bot_user_id:
        if set(body) - {"flags"}:
            raise errors.cannot_edit_others()
        core.state.require(channel, perms.MANAGE_MESSAGES)
    messages.edit_message(core, msg, body, uploads)
    return json_response(serialize.message(core.state, msg))


async def delete_message(request: web.Request) -> web.Response:
    core = core_of(request)
    channel = _channel(request)
    msg = _message(request, channel)
    if msg.author_id != core.state.bot_user_id and channel.guild_id is not None:
        core.state.require(channel, perms.MANAGE_MESSAGES)
    elif msg.author_id != core.state.bot_user_id:
        raise errors.missing_permissions()
    messages.delete_message(core, msg)
    return no_content()


async def add_own_reaction(request: web.Request) -> web.Response:
    core = core_of(request)
    channel = _channel(request)
    msg = _message(request, channel)
    emoji = request.match_info["emoji_name"]
    name, emoji_id = reactions.parse_emoji(emoji)
    if channel.guild_id is not None:
        existing = msg.reaction(f"{name}:{emoji_id}" if emoji_id else name)
        needed = perms.READ_MESSAGE_HISTORY | (0 if existing and existing.user_ids else perms.ADD_REACTIONS)
        core.state.require(channel, needed)
    reactions.add(core, msg, core.state.bot_user_id, emoji)
    return no_content()


async def remove_own_reaction(request: web.Request) -> web.Response:
    core = core_of(request)
    channel = _channel(request)
    reactions.remove(
        core, _message(request, channel), core.state.bot_user_id, request.match_info["emoji_name"]
    )
    return no_content()


async def remove_user_reaction(request: web.Request) -> web.Response:
    core = core_of(request)
    channel = _channel(request)
    msg = _message(request, channel)
    user_id = snowflake(request, "user_id")
    if user_id != core.state.bot_user_id:
        if channel.guild_id is None:
            raise errors.missing_permissions()
        core.state.require(channel, perms.MANAGE_MESSAGES)
    reactions.remove(core, msg, user_id, request.match_info["emoji_name"])
    return no_content()


async def list_reaction_users(request: web.Request) -> web.Response:
    core = core_of(request)
    channel = _channel(request)
    msg = _message(request, channel)
    name, emoji_id = reactions.parse_emoji(request.match_info["emoji_name"])
    limit = query_int(request, "limit", 25, 1, 100)
    after = int(request.query.get("after", "0") or 0)
    found = msg.reaction(f"{name}:{emoji_id}" if emoji_id else name)
    if query_int(request, "type", 0, 0, 1) == 1 or found is None:
        return json_response([])
    ids = sorted(u for u in found.user_ids if u > after)[:limit]
    return json_response([serialize.user(core.state.users[u]) for u in ids])


async def clear_emoji(request: web.Request) -> web.Response:
    core = core_of(request)
    channel = _channel(request)
    msg = _message(request, channel)
    if channel.guild_id is None:
        raise errors.missing_permissions()
    core.state.require(channel, perms.MANAGE_MESSAGES)
    reactions.clear(core, msg, request.match_info["emoji_name"])
    return no_content()


async def clear_all(request: web.Request) -> web.Response:
    core = core_of(request)
    channel = _channel(request)
    msg = _message(request, channel)
    if channel.guild_id is None:
        raise errors.missing_permissions()
    core.state.require(channel, perms.MANAGE_MESSAGES)
    reactions.clear(core, msg)
    return no_content()


def route_table() -> list[web.RouteDef]:
    """The routes in registration order (specific paths such as @me/@original before {ids})."""
    table = [
        web.get(BASE, get_channel),
        web.post(BASE + "/typing", typing),
        web.get(BASE + "/messages", list_messages),
        web.get(MESSAGE, get_message),
        web.post(BASE + "/messages", create_message),
        web.patch(MESSAGE, edit_message),
        web.delete(MESSAGE, delete_message),
        web.put(REACTION + "/@me", add_own_reaction),
        web.delete(REACTION + "/@me", remove_own_reaction),
        web.delete(REACTION + "/{user_id}", remove_user_reaction),
        web.get(REACTION, list_reaction_users),
        web.delete(REACTION, clear_emoji),
        web.delete(MESSAGE + "/reactions", clear_all),
    ]
    return table
