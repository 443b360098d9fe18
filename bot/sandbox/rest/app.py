"""Login and application routes: current user, users, DMs, gateway URLs, application info, commands."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.sandbox import commands, errors, serialize
from bot.sandbox.core import SandboxCore
from bot.sandbox.rest.base import core_of, json_response, no_content, read_body, read_object, snowflake


async def current_user(request: web.Request) -> web.Response:
    return json_response(serialize.current_user(core_of(request).state.bot_user))


async def get_user(request: web.Request) -> web.Response:
    core = core_of(request)
    return json_response(serialize.user(core.state.user(snowflake(request, "user_id"))))


async def create_dm(request: web.Request) -> web.Response:
    core = core_of(request)
    body, _ = await read_object(request)
    raw = body.get("recipient_id")
    if raw is None or not str(raw).isdigit():
        raise errors.invalid_form([(["recipient_id"], "BASE_TYPE_REQUIRED", "This field is required")])
    user = core.state.user(int(raw))
    return json_response(serialize.channel(core.state, core.state.dm_channel(user)))


async def gateway(request: web.Request) -> web.Response:
    return json_response({"url": core_of(request).state.gateway_url})


async def gateway_bot(request: web.Request) -> web.Response:
    return json_response(
        {
            "url": core_of(request).state.gateway_url,
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 14_400_000,
                "max_concurrency": 1,
            },
        }
    )


def _application(core: SandboxCore) -> dict[str, Any]:
    state = core.state
    owner = next((g.owner_id for g in state.guilds.values()), state.bot_user_id)
    return {
        "id": str(state.application_id),
        "name": state.bot_user.username,
        "icon": None,
        "description": "meetup-bot running against the local Discord sandbox",
        "type": None,
        "bot": serialize.user(state.bot_user),
        "bot_public": False,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 0,
        "flags_new": "0",
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "owner": serialize.user(state.users[owner]),
        "approximate_guild_count": len(state.guilds),
        "approximate_user_install_count": 0,
        "approximate_user_authorization_count": 0,
        "explicit_content_filter": 0,
        "team": None,
        "eligible_oauth2_scopes": [],
        "summary": "",
        "hook": True,
        "is_monetized": False,
        "integration_types_config": {"0": {}},
    }


async def oauth_application(request: web.Request) -> web.Response:
    return json_response(_application(core_of(request)))


async def application(request: web.Request) -> web.Response:
    return json_response(_application(core_of(request)))


def _scope(request: web.Request) -> int | None:
    core = core_of(request)
    if snowflake(request, "application_id") != core.state.application_id:
        raise errors.ApiError(403, 50001, "Missing Access")
    if "guild_id" not in request.match_info:
        return None
    return core.state.guild(snowflake(request, "guild_id")).id


def _listing(core: SandboxCore, scope: int | None) -> web.Response:
    return json_response([commands.command_payload(c) for c in core.state.commands.get(scope, {}).values()])


async def _bulk(request: web.Request) -> web.Response:
    core = core_of(request)
    scope = _scope(request)
    body, _ = await read_body(request)
    made = commands.bulk_overwrite(core.state, scope, body)
    where = f"guild {scope}" if scope is not None else "global"
    core.feed(f"commands synced ({where}): {', '.join('/' + c.name for c in made) or 'none'}")
    return json_response([commands.command_payload(c) for c in made])


async def _list(request: web.Request) -> web.Response:
    return _listing(core_of(request), _scope(request))


async def _create(request: web.Request) -> web.Response:
    core = core_of(request)
    scope = _scope(request)
    body, _ = await read_object(request)
    return json_response(commands.command_payload(commands.upsert(core.state, scope, body)), 201)


def _command(request: web.Request) -> tuple[int | None, tuple[str, int]]:
    core = core_of(request)
    scope = _scope(request)
    wanted = snowflake(request, "command_id")
    for key, cmd in core.state.commands.get(scope, {}).items():
        if cmd.id == wanted:
            return scope, key
    raise errors.unknown_command()


async def _get_one(request: web.Request) -> web.Response:
    scope, key = _command(request)
    return json_response(commands.command_payload(core_of(request).state.commands[scope][key]))


async def _delete_one(request: web.Request) -> web.Response:
    scope, key = _command(request)
    del core_of(request).state.commands[scope][key]
    return no_content()


def route_table() -> list[web.RouteDef]:
    """The routes in registration order (specific paths such as @me/@original before {ids})."""
    table = [
        web.get("/users/@me", current_user),
        web.get("/users/{user_id}", get_user),
        web.post("/users/@me/channels", create_dm),
        web.get("/gateway", gateway),
        web.get("/gateway/bot", gateway_bot),
        web.get("/oauth2/applications/@me", oauth_application),
        web.get("/applications/@me", application),
    ]
    for prefix in ("/applications/{application_id}", "/applications/{application_id}/guilds/{guild_id}"):
        table += [
            web.get(prefix + "/commands", _list),
            web.put(prefix + "/commands", _bulk),
            web.post(prefix + "/commands", _create),
            web.get(prefix + "/commands/{command_id}", _get_one),
            web.delete(prefix + "/commands/{command_id}", _delete_one),
        ]
    return table
