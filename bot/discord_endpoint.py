"""Points discord.py at another Discord API (the local sandbox) instead of discord.com.

discord.py builds REST URLs from `discord.http.Route.BASE`. A plain `Client` does not ask
GET /gateway/bot for its websocket URL: it connects to `DiscordWebSocket.DEFAULT_GATEWAY`
and later resumes at READY's `resume_gateway_url`. So both are set here; the gateway is
expected at `<origin>/gateway`, where the sandbox serves it.
"""

from __future__ import annotations

import logging

import yarl
from discord import http
from discord.gateway import DiscordWebSocket

log = logging.getLogger(__name__)

DISCORD_GATEWAY = "wss://gateway.discord.gg/"


def _gateway_for(api_base_url: str) -> yarl.URL:
    url = yarl.URL(api_base_url)
    scheme = "wss" if url.scheme == "https" else "ws"
    path = url.path.rstrip("/")
    parts = path.split("/")
    if len(parts) >= 2 and parts[-2] == "api" and parts[-1].startswith("v"):
        path = "/".join(parts[:-2])
    elif parts and parts[-1] == "api":
        path = "/".join(parts[:-1])
    return url.with_scheme(scheme).with_path(path + "/gateway").with_query(None)


def use_discord_endpoint(api_base_url: str | None, gateway_url: str | None = None) -> None:
    """Use `api_base_url` (e.g. "http://127.0.0.1:8765/api/v10") for REST and `gateway_url`,
    else its origin's /gateway, for the websocket.

    None restores Discord's own endpoints.
    """
    if api_base_url is None:
        http.Route.BASE = f"https://discord.com/api/v{http.INTERNAL_API_VERSION}"
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(DISCORD_GATEWAY)
        return
    base = api_base_url.rstrip("/")
    http.Route.BASE = base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url) if gateway_url else _gateway_for(base)
    log.info("discord.py will use %s (gateway %s)", base, DiscordWebSocket.DEFAULT_GATEWAY)
