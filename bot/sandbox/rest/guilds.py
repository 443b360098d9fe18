"""Guild routes: the guild, its channels, roles, members (and their roles), scheduled events."""

from __future__ import annotations

from aiohttp import web

from bot.sandbox import errors, scheduled_events, serialize
from bot.sandbox import permissions as perms
from bot.sandbox.gateway import GUILD_MEMBERS
from bot.sandbox.models import Guild
from bot.sandbox.rest.base import (
    core_of,
    json_response,
    no_content,
    query_bool,
    query_int,
    read_object,
    snowflake,
)

GUILD = "/guilds/{guild_id}"
EVENT = GUILD + "/scheduled-events/{guild_scheduled_event_id}"


def _guild(request: web.Request) -> Guild:
    return core_of(request).state.guild(snowflake(request, "guild_id"))


async def get_guild(request: web.Request) -> web.Response:
    core = core_of(request)
    guild = _guild(request)
    data = serialize.guild(core.state, guild)
    if query_bool(request, "with_counts"):
        data["approximate_member_count"] = len(guild.members)
        data["approximate_presence_count"] = 0
    return json_response(data)


async def list_channels(request: web.Request) -> web.Response:
    core = core_of(request)
    return json_response(
        [serialize.channel(core.state, c) for c in core.state.guild_channels(_guild(request))]
    )


async def list_roles(request: web.Request) -> web.Response:
    core = core_of(request)
    return json_response([serialize.role(r) for r in core.state.guild_roles(_guild(request))])


async def list_members(request: web.Request) -> web.Response:
    core = core_of(request)
    guild = _guild(request)
    limit = query_int(request, "limit", 1, 1, 1000)
    after = int(request.query.get("after", "0") or 0)
    members = sorted((m for m in guild.members.values() if m.user_id > after), key=lambda m: m.user_id)[
        :limit
    ]
    return json_response([serialize.member(core.state, m) for m in members])


async def get_member(request: web.Request) -> web.Response:
    core = core_of(request)
    guild = _guild(request)
    return json_response(
        serialize.member(core.state, core.state.member(guild.id, snowflake(request, "user_id")))
    )


async def _change_role(request: web.Request, *, add: bool) -> web.Response:
    core = core_of(request)
    state = core.state
    guild = _guild(request)
    member = state.member(guild.id, snowflake(request, "user_id"))
    role = state.role(guild.id, snowflake(request, "role_id"))
    bot_top = max(state.roles[r].position for r in guild.members[state.bot_user_id].roles)
    bot_perms = state.permissions(guild, state.bot_user_id)
    if not bot_perms & perms.MANAGE_ROLES or role.position >= bot_top or role.managed:
        raise errors.missing_permissions()
    if add and role.id not in member.roles:
        member.roles.append(role.id)
    elif not add and role.id in member.roles:
        member.roles.remove(role.id)
    else:
        return no_content()
    core.hub.dispatch(
        "GUILD_MEMBER_UPDATE",
        {**serialize.member(state, member), "guild_id": str(guild.id)},
        intent=GUILD_MEMBERS,
    )
    verb = "given" if add else "removed from"
    core.feed(f"{core.name_of(member.user_id)} {verb} role @{role.name} in {guild.name}")
    return no_content()


async def add_role(request: web.Request) -> web.Response:
    return await _change_role(request, add=True)


async def remove_role(request: web.Request) -> web.Response:
    return await _change_role(request, add=False)


async def list_events(request: web.Request) -> web.Response:
    core = core_of(request)
    guild = _guild(request)
    counts = query_bool(request, "with_user_count")
    return json_response(
        [
            serialize.scheduled_event(core.state, core.state.events[e], with_user_count=counts)
            for e in guild.event_ids
        ]
    )


async def create_event(request: web.Request) -> web.Response:
    core = core_of(request)
    body, _ = await read_object(request)
    event = scheduled_events.create(core, _guild(request), body)
    return json_response(serialize.scheduled_event(core.state, event))


async def get_event(request: web.Request) -> web.Response:
    core = core_of(request)
    guild = _guild(request)
    event = core.state.event(guild.id, snowflake(request, "guild_scheduled_event_id"))
    return json_response(
        serialize.scheduled_event(core.state, event, with_user_count=query_bool(request, "with_user_count"))
    )


async def modify_event(request: web.Request) -> web.Response:
    core = core_of(request)
    guild = _guild(request)
    event = core.state.event(guild.id, snowflake(request, "guild_scheduled_event_id"))
    body, _ = await read_object(request)
    scheduled_events.modify(core, guild, event, body)
    return json_response(serialize.scheduled_event(core.state, event))


async def delete_event(request: web.Request) -> web.Response:
    core = core_of(request)
    guild = _guild(request)
    event = core.state.event(guild.id, snowflake(request, "guild_scheduled_event_id"))
    scheduled_events.delete(core, guild, event)
    return no_content()


def route_table() -> list[web.RouteDef]:
    """The routes in registration order (specific paths such as @me/@original before {ids})."""
    table = [
        web.get(GUILD, get_guild),
        web.get(GUILD + "/channels", list_channels),
        web.get(GUILD + "/roles", list_roles),
        web.get(GUILD + "/members", list_members),
        web.get(GUILD + "/members/{user_id}", get_member),
        web.put(GUILD + "/members/{user_id}/roles/{role_id}", add_role),
        web.delete(GUILD + "/members/{user_id}/roles/{role_id}", remove_role),
        web.get(GUILD + "/scheduled-events", list_events),
        web.post(GUILD + "/scheduled-events", create_event),
        web.get(EVENT, get_event),
        web.patch(EVENT, modify_event),
        web.delete(EVENT, delete_event),
    ]
    return table
