"""`meetup-bot invite-url [--client-id ID]`: the link that adds the bot to a server, and why each permission.

With --client-id nothing touches the network. Without it the application id is read from Discord with the
token; aiohttp is imported only then, so the offline path stays light. The token is never printed.
"""

from __future__ import annotations

import os
import sys

from bot.config import TOKEN_ENV, TOKEN_FILE_ENV, Config
from bot.invite import invite_url, is_snowflake, needed_permissions

# Discord's own API when discord.api_base_url is unset (as bot/discord_endpoint.py's DISCORD_API, without
# importing discord.py for one URL)
DISCORD_API = "https://discord.com/api/v10"
TIMEOUT_SECONDS = 10.0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class LookupFailed(Exception):
    """The application id could not be read from Discord; the message is the one line for the user."""


async def invite_url_command(config: Config, token: str | None, client_id: str | None) -> int:
    """Exit 0 with the link printed; 1 when Discord cannot be asked; 2 for a bad or missing id."""
    if client_id is not None:
        client_id = client_id.strip()
        if not is_snowflake(client_id):
            print(
                f"error: --client-id must be the Application ID (digits only, e.g. 123456789012345678), "
                f"not {client_id!r}",
                file=sys.stderr,
            )
            return EXIT_USAGE
    elif token is not None:
        try:
            client_id = await application_id(config, token)
        except LookupFailed as exc:
            print(f"error: {str(exc).replace(token, '[token]')}", file=sys.stderr)
            return EXIT_FAILURE
    else:
        print(
            "error: give --client-id (the Application ID on the Developer Portal's General Information page) "
            f"or set ${TOKEN_ENV}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    permissions = needed_permissions(config)
    print(invite_url(client_id, permissions))
    for permission in permissions:
        print(f"  {permission.name} — {permission.why}")
    return 0


async def application_id(config: Config, token: str) -> str:
    """GET /oauth2/applications/@me with the bot token: the application's id (the invite's client_id)."""
    import aiohttp

    base = (config.discord.api_base_url or DISCORD_API).rstrip("/")
    url = f"{base}/oauth2/applications/@me"
    source = f"${TOKEN_ENV}" if os.environ.get(TOKEN_ENV, "").strip() else f"${TOKEN_FILE_ENV}"
    try:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, headers={"Authorization": f"Bot {token}"}) as response,
        ):
            if response.status == 401:
                raise LookupFailed(
                    f"Discord rejected the token ({source}) with 401 at {url}; reset it on the Developer "
                    "Portal's Bot page, or give --client-id"
                )
            if response.status != 200:
                raise LookupFailed(
                    f"Discord answered {response.status} to GET {url}; try again, or give --client-id"
                )
            body = await response.json(content_type=None)
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        detail = f"no answer within {TIMEOUT_SECONDS:g} s" if isinstance(exc, TimeoutError) else str(exc)
        raise LookupFailed(
            f"cannot reach Discord at {url} ({detail or type(exc).__name__}); check the network or "
            "discord.api_base_url, or give --client-id"
        ) from None
    except ValueError:
        raise LookupFailed(f"Discord's answer at {url} is not JSON; give --client-id") from None
    found = str(body.get("id", "")) if isinstance(body, dict) else ""
    if not is_snowflake(found):
        raise LookupFailed(f"Discord's answer at {url} holds no application id; give --client-id")
    return found
