"""Discord's REST API v10, served under /api/v10."""

from __future__ import annotations

from aiohttp import web

from bot.sandbox.core import SandboxCore
from bot.sandbox.interactions import Interactions
from bot.sandbox.rest import app as app_routes
from bot.sandbox.rest import channels, guilds, interactions
from bot.sandbox.rest.base import API_PREFIX, CORE, INTERACTIONS, api_middleware

__all__ = ["API_PREFIX", "create_api"]


def create_api(core: SandboxCore, handler: Interactions) -> web.Application:
    api = web.Application(middlewares=[api_middleware])
    api[CORE] = core
    api[INTERACTIONS] = handler
    for module in (app_routes, channels, guilds, interactions):
        api.add_routes(module.route_table())
    return api
