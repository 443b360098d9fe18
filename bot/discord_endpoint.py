"""Points discord.py at another Discord API (the local sandbox) instead of discord.com, and checks that
the endpoint answers before discord.py is let loose on it.

discord.py builds REST URLs from `discord.http.Route.BASE`. A plain `Client` does not ask
GET /gateway/bot for its websocket URL: it connects to `DiscordWebSocket.DEFAULT_GATEWAY`
and later resumes at READY's `resume_gateway_url`. So both are set here; the gateway is
expected at `<origin>/gateway`, where the sandbox serves it (and on `/`, as Discord does).

discord.py reports a bad endpoint badly: a wrong gateway URL ends in `'NoneType' object has no
attribute 'sequence'` (its connect loop reads `self.ws.sequence` when the very first connection
failed), an unreachable API in two chained tracebacks. `check_endpoint` asks the API and the gateway
itself and says in one line what failed, where, and which setting to check.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass

import aiohttp
import discord
import yarl
from discord import http
from discord.gateway import DiscordWebSocket

from bot.errors import StartupError

log = logging.getLogger(__name__)

DISCORD_API = f"https://discord.com/api/v{http.INTERNAL_API_VERSION}"
DISCORD_GATEWAY = "wss://gateway.discord.gg/"
USER_AGENT = (
    f"DiscordBot (https://github.com/Rapptz/discord.py {discord.__version__}) "
    f"Python/{sys.version_info[0]}.{sys.version_info[1]} aiohttp/{aiohttp.__version__}"
)
HELLO = 10


@dataclass(frozen=True)
class Endpoint:
    """Where discord.py talks to, and the config keys a user would change to fix each URL."""

    api_base_url: str
    gateway_url: yarl.URL
    gateway_setting: str = "discord.gateway_url"

    @property
    def login_url(self) -> str:
        return f"{self.api_base_url}/users/@me"

    @property
    def gateway_probe_url(self) -> yarl.URL:
        """The gateway URL with the query discord.py adds (without compression, so HELLO is plain text)."""
        return self.gateway_url.with_query(v=http.INTERNAL_API_VERSION, encoding="json")


class Unreachable(Exception):
    """A failure that can be transient (no connection, a timeout, a 5xx or 429): worth trying again."""

    def __init__(self, what: str, url: str, setting: str, detail: str) -> None:
        super().__init__(f"cannot reach {what} at {url} ({detail})")
        self.what = what
        self.url = url
        self.setting = setting
        self.detail = detail

    def final(self, tries: int) -> StartupError:
        """The one line for the user once the retries are used up."""
        attempts = "1 try" if tries == 1 else f"{tries} tries"
        return StartupError(
            f"cannot reach {self.what} at {self.url} after {attempts} (last: {self.detail}); "
            f"check the network or {self.setting}"
        )


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


def use_discord_endpoint(api_base_url: str | None, gateway_url: str | None = None) -> Endpoint:
    """Use `api_base_url` (e.g. "http://127.0.0.1:8765/api/v10") for REST and `gateway_url`,
    else its origin's /gateway, for the websocket.

    None restores Discord's own endpoints.
    """
    if api_base_url is None:
        http.Route.BASE = DISCORD_API
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url or DISCORD_GATEWAY)
        return Endpoint(DISCORD_API, DiscordWebSocket.DEFAULT_GATEWAY)
    base = api_base_url.rstrip("/")
    http.Route.BASE = base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url) if gateway_url else _gateway_for(base)
    log.info("discord.py will use %s (gateway %s)", base, DiscordWebSocket.DEFAULT_GATEWAY)
    setting = (
        "discord.gateway_url" if gateway_url else "discord.gateway_url (unset: derived from api_base_url)"
    )
    return Endpoint(base, DiscordWebSocket.DEFAULT_GATEWAY, setting)


def token_rejected(endpoint: Endpoint, token_source: str) -> StartupError:
    return StartupError(
        f"Discord rejected the token in {token_source} (401 at {endpoint.login_url}); "
        "create a new token in the Developer Portal"
    )


def not_a_gateway(endpoint: Endpoint, status: int) -> StartupError:
    """The gateway URL answered plain HTTP (a 404, a web page): no retry will make it a websocket."""
    return StartupError(
        f"Discord's gateway at {endpoint.gateway_url} answered {status} instead of opening a websocket; "
        f"check {endpoint.gateway_setting}"
    )


def _detail(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s"
    return str(exc) or type(exc).__name__


async def check_endpoint(
    endpoint: Endpoint, token: str, *, token_source: str = "$DISCORD_TOKEN", timeout: float = 5.0
) -> None:
    """Logs in once over REST and waits for the gateway's HELLO, as discord.py is about to.

    Raises StartupError for what retrying cannot fix (a rejected token, a URL that is not Discord's)
    and Unreachable for what it may.
    """
    headers = {"User-Agent": USER_AGENT}
    async with aiohttp.ClientSession(
        headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
    ) as session:
        await _check_api(session, endpoint, token, token_source, timeout)
        await _check_gateway(session, endpoint, timeout)


async def _check_api(
    session: aiohttp.ClientSession, endpoint: Endpoint, token: str, token_source: str, timeout: float
) -> None:
    url = endpoint.login_url
    api = "Discord's API"
    try:
        async with session.get(url, headers={"Authorization": f"Bot {token.strip()}"}) as response:
            status, reason = response.status, response.reason or ""
    except aiohttp.InvalidURL:
        raise StartupError(
            f"{endpoint.api_base_url} is not a usable URL; check discord.api_base_url"
        ) from None
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        log.debug("GET %s failed", url, exc_info=True)
        raise Unreachable(api, endpoint.api_base_url, "discord.api_base_url", _detail(exc, timeout)) from exc
    if status == 401:
        raise token_rejected(endpoint, token_source)
    if status == 429 or status >= 500:
        raise Unreachable(api, endpoint.api_base_url, "discord.api_base_url", f"{status} {reason}".strip())
    if status >= 400:
        raise StartupError(
            f"{api} at {endpoint.api_base_url} answered {status} {reason} to GET /users/@me; "
            f"check discord.api_base_url (Discord's own is {DISCORD_API})"
        )


async def _check_gateway(session: aiohttp.ClientSession, endpoint: Endpoint, timeout: float) -> None:
    gateway = "Discord's gateway"
    url = str(endpoint.gateway_url)
    setting = endpoint.gateway_setting
    try:
        async with session.ws_connect(endpoint.gateway_probe_url, autoclose=True) as ws:
            message = await ws.receive(timeout=timeout)
    except aiohttp.WSServerHandshakeError as exc:
        if exc.status == 429 or exc.status >= 500:
            raise Unreachable(gateway, url, setting, f"{exc.status} {exc.message}") from exc
        raise not_a_gateway(endpoint, exc.status) from None
    except aiohttp.InvalidURL:
        raise StartupError(f"{url} is not a usable websocket URL; check {setting}") from None
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        log.debug("websocket %s failed", url, exc_info=True)
        raise Unreachable(gateway, url, setting, _detail(exc, timeout)) from exc
    if not _is_hello(message):
        got = f"close code {message.data}" if message.type is aiohttp.WSMsgType.CLOSE else message.type.name
        raise StartupError(
            f"{gateway} at {url} opened a websocket but sent no HELLO ({got}); check {setting}"
        )


def _is_hello(message: aiohttp.WSMessage) -> bool:
    if message.type is not aiohttp.WSMsgType.TEXT:
        return False
    try:
        payload = json.loads(message.data)
    except ValueError:
        return False
    return isinstance(payload, dict) and payload.get("op") == HELLO


def explain_failure(
    exc: BaseException, endpoint: Endpoint, token_source: str = "$DISCORD_TOKEN"
) -> StartupError:
    """One line for a failure that came out of discord.py itself (after `check_endpoint` passed)."""
    if isinstance(exc, StartupError):
        return exc
    if isinstance(exc, discord.LoginFailure):
        return token_rejected(endpoint, token_source)
    if isinstance(exc, discord.ConnectionClosed) and exc.code == 4004:
        return StartupError(
            f"Discord's gateway at {endpoint.gateway_url} rejected the token in {token_source} (close code "
            "4004); create a new token in the Developer Portal"
        )
    cause: BaseException = exc
    at_gateway = False
    if isinstance(exc, AttributeError) and exc.name == "sequence" and exc.__context__ is not None:
        # discord.py's connect loop reads `self.ws.sequence` (None) when the first connection failed
        cause, at_gateway = exc.__context__, True
    if isinstance(cause, aiohttp.WSServerHandshakeError):
        return not_a_gateway(endpoint, cause.status)
    if isinstance(cause, discord.HTTPException):
        return StartupError(
            f"Discord's API at {endpoint.api_base_url} answered {cause.status} ({cause.text or 'no message'}); "
            "check discord.api_base_url"
        )
    if isinstance(cause, aiohttp.ClientError | OSError | TimeoutError | discord.GatewayNotFound):
        what, url, setting = (
            ("Discord's gateway", str(endpoint.gateway_url), endpoint.gateway_setting)
            if at_gateway
            else ("Discord's API", endpoint.api_base_url, "discord.api_base_url")
        )
        return StartupError(
            f"lost the connection to {what} at {url} ({_detail(cause, 60)}); check the network or {setting}"
        )
    return StartupError(
        f"the Discord client stopped ({type(cause).__name__}: {cause}); run with -v to see the details"
    )
