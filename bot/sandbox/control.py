"""The control API under /sandbox: look at the world and act as members do (post, react, run commands)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import web

from bot.sandbox import errors, messages, reactions, serialize, views
from bot.sandbox import permissions as perms
from bot.sandbox.core import SandboxCore
from bot.sandbox.gateway import GUILD_MEMBERS, GUILDS
from bot.sandbox.interactions import Interactions
from bot.sandbox.invocation import InvocationError, build_invocation, find_command
from bot.sandbox.models import Channel, Guild, Role, User
from bot.sandbox.ratelimit import RateLimit
from bot.sandbox.rest.base import CORE, INTERACTIONS

log = logging.getLogger(__name__)
ANSWER_TIMEOUT = 10.0


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@web.middleware
async def control_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Answers {"error": ...} with a useful message instead of HTML error pages."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except (ControlError, InvocationError) as exc:
        return _error(str(exc), exc.status)
    except errors.ApiError as exc:
        return _error(exc.message, exc.status, discord=exc.body())
    except web.HTTPException as exc:
        return _error(exc.reason, exc.status)


def _error(text: str, status: int, **extra: Any) -> web.Response:
    return web.json_response({"error": text, "message": text, **extra}, status=status)


def _core(request: web.Request) -> SandboxCore:
    return request.config_dict[CORE]


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = json.loads(await request.read() or b"{}")
    except ValueError:
        raise ControlError(400, "body must be JSON") from None
    if not isinstance(data, dict):
        raise ControlError(400, "body must be a JSON object")
    return data


def _id(data: dict[str, Any], key: str) -> int:
    raw = data.get(key)
    if raw is None or not str(raw).isdigit():
        raise ControlError(400, f"{key} is required (a snowflake)")
    return int(raw)


def _user(core: SandboxCore, ref: Any, what: str = "user_id") -> User:
    if ref is None:
        raise ControlError(400, f"{what} is required (an id or a member name)")
    found = core.state.find_user(ref)
    if found is None:
        raise ControlError(404, f"no user {ref!r}")
    return found


def _guild(core: SandboxCore, data: dict[str, Any]) -> Guild:
    if data.get("guild_id") is None and len(core.state.guilds) == 1:
        return next(iter(core.state.guilds.values()))
    found = core.state.guilds.get(_id(data, "guild_id"))
    if found is None:
        raise ControlError(404, f"no guild {data.get('guild_id')}")
    return found


def _channel(core: SandboxCore, ref: Any) -> Channel:
    text = str(ref or "").lstrip("#")
    if text.isdigit() and int(text) in core.state.channels:
        return core.state.channels[int(text)]
    found = next((c for c in core.state.channels.values() if c.name == text), None)
    if found is None:
        raise ControlError(404, f"no channel {ref!r}")
    return found


def _roles(core: SandboxCore, guild: Guild, names: Any) -> list[int]:
    out = []
    for ref in names or []:
        role = next(
            (
                core.state.roles[r]
                for r in guild.role_ids
                if str(r) == str(ref) or core.state.roles[r].name == ref
            ),
            None,
        )
        if role is None:
            raise ControlError(404, f"no role {ref!r} in guild {guild.id}")
        out.append(role.id)
    return out


async def state(request: web.Request) -> web.Response:
    return web.json_response(views.state_view(_core(request).state))


async def feed(request: web.Request) -> web.Response:
    return web.json_response(_core(request).feed_lines)


async def channel_messages(request: web.Request) -> web.Response:
    core = _core(request)
    channel = _channel(core, request.match_info["channel_id"])
    include = request.query.get("include_ephemeral", "") in ("1", "true")
    return web.json_response(views.channel_messages(core.state, channel, include_ephemeral=include))


async def dms(request: web.Request) -> web.Response:
    core = _core(request)
    user = _user(core, request.match_info["user_id"])
    channel_id = core.state.dm_channels.get(user.id)
    if channel_id is None:
        return web.json_response([])
    return web.json_response(
        views.channel_messages(core.state, core.state.channels[channel_id], include_ephemeral=False)
    )


async def add_member(request: web.Request) -> web.Response:
    core = _core(request)
    data = await _body(request)
    guild = _guild(core, data)
    name = str(data.get("name") or "").strip()
    if not name:
        raise ControlError(400, "name is required")
    user = core.state.find_user(name)
    if user is None:
        user = User(id=core.state.ids.next(), username=name, global_name=name.capitalize())
        core.state.users[user.id] = user
    if user.id in guild.members:
        raise ControlError(409, f"{name} is already a member of {guild.name}")
    user.dms_open = bool(data.get("dms_open", True))
    member = core.state.add_member(guild, user, _roles(core, guild, data.get("roles")))
    payload = {**serialize.member(core.state, member), "guild_id": str(guild.id)}
    core.hub.dispatch("GUILD_MEMBER_ADD", payload, intent=GUILD_MEMBERS)
    core.feed(f"{name} joined {guild.name}")
    return web.json_response(views.guild_view(core.state, guild)["members"][-1], status=201)


async def update_member(request: web.Request) -> web.Response:
    """Closes/opens a member's DMs, or replaces their roles (GUILD_MEMBER_UPDATE)."""
    core = _core(request)
    data = await _body(request)
    user = _user(core, request.match_info["user_id"])
    if "dms_open" in data:
        user.dms_open = bool(data["dms_open"])
        core.feed(f"{user.username} {'opened' if user.dms_open else 'closed'} their DMs")
    if "roles" in data:
        guild = _guild(core, data)
        member = guild.members.get(user.id)
        if member is None:
            raise ControlError(404, f"{user.username} is not in {guild.name}")
        member.roles = _roles(core, guild, data["roles"])
        payload = {**serialize.member(core.state, member), "guild_id": str(guild.id)}
        core.hub.dispatch("GUILD_MEMBER_UPDATE", payload, intent=GUILD_MEMBERS)
        core.feed(f"{user.username} now has roles {[core.state.roles[r].name for r in member.roles]}")
    return web.json_response({"id": str(user.id), "name": user.username, "dms_open": user.dms_open})


async def post_message(request: web.Request) -> web.Response:
    """A member posts in a channel (or, with "dm": true, DMs the bot)."""
    core = _core(request)
    data = await _body(request)
    user = _user(core, data.get("user_id"))
    if data.get("dm"):
        channel = core.state.dm_channel(user)
    else:
        channel = _channel(core, data.get("channel_id"))
        guild = core.state.guilds[channel.guild_id] if channel.guild_id is not None else None
        if guild is None or user.id not in guild.members:
            raise ControlError(403, f"{user.username} is not a member of that channel's guild")
        if not core.state.permissions(guild, user.id, channel) & perms.SEND_MESSAGES:
            raise ControlError(403, f"{user.username} may not send messages in #{channel.name}")
    body: dict[str, Any] = {"content": str(data.get("content") or "")}
    if data.get("reply_to"):
        body["message_reference"] = {"message_id": str(data["reply_to"])}
    msg = messages.create_message(core, channel, user.id, body)
    return web.json_response(views.message_view(core.state, msg), status=201)


async def react(request: web.Request) -> web.Response:
    core = _core(request)
    data = await _body(request)
    channel = _channel(core, data.get("channel_id"))
    msg = core.state.messages.get(_id(data, "message_id"))
    if msg is None or msg.deleted or msg.channel_id != channel.id or msg.ephemeral_to is not None:
        raise ControlError(404, f"no message {data.get('message_id')} in that channel")
    user = _user(core, data.get("user_id"))
    if channel.guild_id is not None and user.id not in core.state.guilds[channel.guild_id].members:
        raise ControlError(403, f"{user.username} is not a member of that guild")
    if channel.guild_id is None and user.id not in channel.recipient_ids:
        raise ControlError(403, f"{user.username} cannot see that DM")
    emoji = str(data.get("emoji") or "")
    action = data.get("action", "add")
    if action not in ("add", "remove"):
        raise ControlError(400, 'action must be "add" or "remove"')
    changed = (reactions.add if action == "add" else reactions.remove)(core, msg, user.id, emoji)
    return web.json_response({"changed": changed, "message": views.message_view(core.state, msg)})


async def _await_answer(
    core: SandboxCore, handler: Interactions, record: Any, timeout: float
) -> web.Response:
    try:
        await asyncio.wait_for(record.done.wait(), timeout)
    except TimeoutError:
        result = handler.result(record)
        result["error"] = (
            "the bot deferred but never edited its response"
            if record.ack_type is not None
            else "The application did not respond"
        )
        return web.json_response(result, status=504)
    result = handler.result(record)
    return web.json_response(result, status=504 if record.expired else 200)


def _invoker(core: SandboxCore, data: dict[str, Any]) -> tuple[Guild, Channel, User]:
    channel = _channel(core, data.get("channel_id"))
    if channel.guild_id is None:
        raise ControlError(400, "the sandbox runs commands in guild channels only")
    guild = core.state.guilds[channel.guild_id]
    if data.get("guild_id") is not None and str(data["guild_id"]) != str(guild.id):
        raise ControlError(400, f"channel {channel.id} is not in guild {data['guild_id']}")
    user = _user(core, data.get("user_id"))
    if user.id not in guild.members:
        raise ControlError(403, f"{user.username} is not a member of {guild.name}")
    return guild, channel, user


async def run_command(request: web.Request) -> web.Response:
    """Builds INTERACTION_CREATE from the bot's registered command, dispatches it and waits for the answer."""
    core = _core(request)
    handler: Interactions = request.config_dict[INTERACTIONS]
    data = await _body(request)
    guild, channel, user = _invoker(core, data)
    name = str(data.get("name") or "")
    command = find_command(core.state, guild, name)
    _check_visible(core, guild, channel, user, command.data)
    options = data.get("options") or {}
    if not isinstance(options, dict):
        raise ControlError(400, "options must be an object {name: value}")
    focused = data.get("focused")
    invocation = build_invocation(
        core.state, guild, command, name, options, focused=str(focused) if focused else None
    )
    record = handler.start_command(guild, channel, user, invocation, autocomplete=bool(focused))
    return await _await_answer(core, handler, record, float(data.get("timeout") or ANSWER_TIMEOUT))


def _check_visible(
    core: SandboxCore, guild: Guild, channel: Channel, user: User, definition: dict[str, Any]
) -> None:
    """Discord's client hides commands a member lacks default_member_permissions for."""
    required = definition.get("default_member_permissions")
    contexts = definition.get("contexts")
    if contexts is not None and 0 not in contexts:
        raise ControlError(403, f"/{definition['name']} is not available in guilds (contexts={contexts})")
    if required is None:
        return
    have = core.state.permissions(guild, user.id, channel)
    needed = int(required)
    if (needed == 0 and not have & perms.ADMINISTRATOR) or have & needed != needed:
        raise ControlError(
            403, f"{user.username} cannot see /{definition['name']} (default_member_permissions={required})"
        )


async def click(request: web.Request) -> web.Response:
    """A member clicks a button / picks from a select menu on one of the bot's messages."""
    core = _core(request)
    handler: Interactions = request.config_dict[INTERACTIONS]
    data = await _body(request)
    guild, channel, user = _invoker(core, data)
    msg = core.state.messages.get(_id(data, "message_id"))
    if msg is None or msg.deleted or msg.channel_id != channel.id:
        raise ControlError(404, "no such message in that channel")
    custom_id = str(data.get("custom_id") or "")
    found = [
        c for row in msg.components for c in row.get("components", []) if c.get("custom_id") == custom_id
    ]
    if not found:
        raise ControlError(404, f"message {msg.id} has no component {custom_id!r}")
    values = data.get("values")
    record = handler.start_component(
        guild, channel, user, msg, custom_id, list(values) if values is not None else None
    )
    return await _await_answer(core, handler, record, float(data.get("timeout") or ANSWER_TIMEOUT))


async def rate_limits(request: web.Request) -> web.Response:
    core = _core(request)
    data = await _body(request)
    route = str(data.get("route") or "")
    if " /" not in route:
        raise ControlError(400, 'route looks like "POST /channels/{channel_id}/messages"')
    if data.get("limit") is None:
        core.limiter.configure(route, None)
    else:
        try:
            core.limiter.configure(
                route, RateLimit(limit=int(data["limit"]), per=float(data.get("per", 1.0)))
            )
        except ValueError as exc:
            raise ControlError(400, str(exc)) from None
    return web.json_response({k: {"limit": v.limit, "per": v.per} for k, v in core.limiter.routes.items()})


async def channel_permissions(request: web.Request) -> web.Response:
    """Sets a member overwrite (the bot by default) on a channel and sends CHANNEL_UPDATE."""
    core = _core(request)
    channel = _channel(core, request.match_info["channel_id"])
    if channel.guild_id is None:
        raise ControlError(400, "permissions apply to guild channels")
    data = await _body(request)
    target = _user(core, data.get("user_id")) if data.get("user_id") else core.state.bot_user
    try:
        deny = perms.parse_names(data.get("deny") or [])
        allow = perms.parse_names(data.get("allow") or [])
    except KeyError as exc:
        raise ControlError(400, f"unknown permission {exc.args[0]}; known: {sorted(perms.BY_NAME)}") from None
    channel.overwrites = [o for o in channel.overwrites if not (o.type == 1 and o.id == target.id)]
    if deny or allow:
        channel.overwrites.append(perms.Overwrite(id=target.id, type=1, allow=allow, deny=deny))
    core.hub.dispatch("CHANNEL_UPDATE", serialize.channel(core.state, channel), intent=GUILDS)
    denied, allowed = data.get("deny") or [], data.get("allow") or []
    core.feed(f"#{channel.name}: {target.username} denied {denied}, allowed {allowed}")
    return web.json_response(serialize.channel(core.state, channel))


async def faults(request: web.Request) -> web.Response:
    """The next `times` requests to `route` get `status`: a 5xx as during a Discord outage, or a 429 as when
    another client used up a shared resource's limit (which no header could have warned the bot about)."""
    core = _core(request)
    data = await _body(request)
    route = str(data.get("route") or "")
    if " /" not in route:
        raise ControlError(400, 'route looks like "POST /channels/{channel_id}/messages"')
    status = int(data.get("status") or 503)
    if not (500 <= status <= 599 or status == 429):
        raise ControlError(400, "status must be a 5xx server error or 429 (rate limited)")
    times = int(data.get("times", 1))
    key = route.split(" ", 1)[0].upper() + " " + route.split(" ", 1)[1].strip()
    core.faults[key] = [status] * max(times, 0)
    return web.json_response({k: len(v) for k, v in core.faults.items() if v})


async def delete_channel(request: web.Request) -> web.Response:
    """An admin deletes a channel: it is gone for REST, and CHANNEL_DELETE goes to the gateway."""
    core = _core(request)
    channel = _channel(core, request.match_info["channel_id"])
    if channel.guild_id is None:
        raise ControlError(400, "only guild channels can be deleted here")
    payload = serialize.channel(core.state, channel)
    del core.state.channels[channel.id]
    guild = core.state.guilds[channel.guild_id]
    guild.channel_ids = [c for c in guild.channel_ids if c != channel.id]
    core.hub.dispatch("CHANNEL_DELETE", payload, intent=GUILDS)
    core.feed(f"#{channel.name} was deleted")
    return web.json_response(payload)


def _guild_of(core: SandboxCore, raw: str) -> Guild:
    try:
        found = core.state.guilds.get(int(raw))
    except ValueError:
        found = None
    if found is None:
        raise ControlError(404, f"no guild {raw}; GET /sandbox/state lists them")
    return found


def _role_of(core: SandboxCore, guild: Guild, raw: str) -> Role:
    try:
        found = core.state.roles.get(int(raw))
    except ValueError:
        found = None
    if found is None or found.guild_id != guild.id:
        raise ControlError(404, f"no role {raw} in {guild.name}; GET /sandbox/state lists them")
    return found


async def remove_bot(request: web.Request) -> web.Response:
    """The bot is removed from a server (kicked, or the invite undone): GUILD_DELETE without `unavailable`,
    and the server with its channels and roles is gone for the bot's REST calls."""
    core = _core(request)
    guild = _guild_of(core, request.match_info["guild_id"])
    state = core.state
    for channel_id in guild.channel_ids:
        state.channels.pop(channel_id, None)
    for role_id in guild.role_ids:
        state.roles.pop(role_id, None)
    del state.guilds[guild.id]
    core.hub.dispatch("GUILD_DELETE", {"id": str(guild.id)}, intent=GUILDS)
    core.feed(f"{state.bot_user.username} was removed from {guild.name}")
    return web.json_response({"removed": str(guild.id)})


async def update_role(request: web.Request) -> web.Response:
    """An admin edits a role (`mentionable`, `permissions` by name): GUILD_ROLE_UPDATE goes to the gateway."""
    core = _core(request)
    guild = _guild_of(core, request.match_info["guild_id"])
    role = _role_of(core, guild, request.match_info["role_id"])
    data = await _body(request)
    if "mentionable" in data:
        role.mentionable = bool(data["mentionable"])
    if "permissions" in data:
        try:
            role.permissions = perms.parse_names(data["permissions"] or [])
        except KeyError as exc:
            raise ControlError(
                400, f"unknown permission {exc.args[0]}; known: {sorted(perms.BY_NAME)}"
            ) from None
    payload = {"guild_id": str(guild.id), "role": serialize.role(role)}
    core.hub.dispatch("GUILD_ROLE_UPDATE", payload, intent=GUILDS)
    core.feed(f"{guild.name}: role @{role.name} was edited")
    return web.json_response(payload["role"])


async def delete_role(request: web.Request) -> web.Response:
    """An admin deletes a role: members lose it, and GUILD_ROLE_DELETE goes to the gateway."""
    core = _core(request)
    guild = _guild_of(core, request.match_info["guild_id"])
    role = _role_of(core, guild, request.match_info["role_id"])
    if role.id == guild.id:
        raise ControlError(400, "@everyone cannot be deleted")
    del core.state.roles[role.id]
    guild.role_ids = [r for r in guild.role_ids if r != role.id]
    for member in guild.members.values():
        member.roles = [r for r in member.roles if r != role.id]
    core.hub.dispatch(
        "GUILD_ROLE_DELETE", {"guild_id": str(guild.id), "role_id": str(role.id)}, intent=GUILDS
    )
    core.feed(f"{guild.name}: role @{role.name} was deleted")
    return web.json_response({"deleted": str(role.id)})


async def drop(request: web.Request) -> web.Response:
    data = await _body(request)
    dropped = _core(request).hub.drop(resumable=bool(data.get("resumable", True)))
    return web.json_response({"dropped": dropped})


async def reconnect(request: web.Request) -> web.Response:
    _core(request).hub.reconnect()
    return web.json_response({"sent": "RECONNECT"})


async def invalidate(request: web.Request) -> web.Response:
    data = await _body(request)
    _core(request).hub.invalidate(resumable=bool(data.get("resumable", False)))
    return web.json_response({"sent": "INVALID_SESSION"})


def route_table() -> list[web.RouteDef]:
    """The routes in registration order (specific paths such as @me/@original before {ids})."""
    table = [
        web.get("/sandbox/state", state),
        web.get("/sandbox/feed", feed),
        web.get("/sandbox/channels/{channel_id}/messages", channel_messages),
        web.get("/sandbox/dms/{user_id}", dms),
        web.post("/sandbox/members", add_member),
        web.post("/sandbox/members/{user_id}", update_member),
        web.post("/sandbox/messages", post_message),
        web.post("/sandbox/reactions", react),
        web.post("/sandbox/commands", run_command),
        web.post("/sandbox/components", click),
        web.post("/sandbox/rate-limits", rate_limits),
        web.post("/sandbox/channels/{channel_id}/permissions", channel_permissions),
        web.post("/sandbox/faults", faults),
        web.delete("/sandbox/channels/{channel_id}", delete_channel),
        web.delete("/sandbox/guilds/{guild_id}", remove_bot),
        web.patch("/sandbox/guilds/{guild_id}/roles/{role_id}", update_role),
        web.delete("/sandbox/guilds/{guild_id}/roles/{role_id}", delete_role),
        web.post("/sandbox/gateway/drop", drop),
        web.post("/sandbox/gateway/reconnect", reconnect),
        web.post("/sandbox/gateway/invalidate", invalidate),
    ]
    return table
