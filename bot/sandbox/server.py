"""SandboxServer: one aiohttp app on 127.0.0.1 serving Discord's REST API, gateway and the control API."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from bot.sandbox import control
from bot.sandbox.core import RequestValidator, ResponseObserver, SandboxCore
from bot.sandbox.gateway import HEARTBEAT_INTERVAL_MS, GatewayHub
from bot.sandbox.interactions import Interactions
from bot.sandbox.ratelimit import RateLimit, RateLimiter
from bot.sandbox.rest import API_PREFIX, create_api
from bot.sandbox.rest.base import CORE, INTERACTIONS
from bot.sandbox.seed import SandboxSeed, build_state
from bot.sandbox.state import SandboxState

log = logging.getLogger(__name__)


class SandboxServer:
    """A local Discord: the real discord.py client connects to it over HTTP and a websocket."""

    def __init__(
        self,
        seed: SandboxSeed,
        *,
        rate_limits: dict[str, RateLimit] | None = None,
        interaction_deadline: float = 3.0,
        now: Callable[[], datetime] | None = None,
        heartbeat_interval_ms: int = HEARTBEAT_INTERVAL_MS,
    ) -> None:
        self.state: SandboxState = build_state(seed)
        limiter = RateLimiter()
        for route, limit in (rate_limits or {}).items():
            limiter.configure(route, limit)
        self._core = SandboxCore(
            state=self.state,
            hub=GatewayHub(self.state, heartbeat_interval_ms=heartbeat_interval_ms),
            limiter=limiter,
            interaction_deadline=interaction_deadline,
        )
        if now is not None:
            self._core.now = now
        self._interactions = Interactions(self._core)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.api_base_url = ""

    @property
    def bot_user_id(self) -> int:
        return self.state.bot_user_id

    @property
    def application_id(self) -> int:
        return self.state.application_id

    @property
    def gateway(self) -> GatewayHub:
        return self._core.hub

    @property
    def rate_limiter(self) -> RateLimiter:
        return self._core.limiter

    @property
    def feed_lines(self) -> list[str]:
        return self._core.feed_lines

    def on_feed(self, callback: Callable[[str], None]) -> None:
        """Calls `callback` with one readable line per thing the bot posts or members do."""
        self._core.feed_callbacks.append(callback)

    def set_request_validator(self, validator: RequestValidator | None) -> None:
        """Strict mode: bodies failing `validator` get 400/50035 instead of being processed."""
        self._core.validator = validator

    def set_response_observer(self, observer: ResponseObserver | None) -> None:
        """Calls `observer(method, route, status, json_body)` for every REST answer."""
        self._core.response_observer = observer

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[control.control_middleware])
        app[CORE] = self._core
        app[INTERACTIONS] = self._interactions
        app.add_routes(control.route_table())
        app.router.add_get("/", self._root)
        app.router.add_get("/gateway", self._core.hub.handle)
        app.router.add_get("/gateway/", self._core.hub.handle)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._attachment)
        app.add_subapp(API_PREFIX, create_api(self._core, self._interactions))
        return app

    async def _root(self, request: web.Request) -> web.StreamResponse:
        """The gateway on the root path, as Discord's gateway host serves it; a plain GET / stays a 404."""
        if not web.WebSocketResponse().can_prepare(request).ok:
            raise web.HTTPNotFound()
        return await self._core.hub.handle(request)

    async def _attachment(self, request: web.Request) -> web.Response:
        """Serves uploaded files the way Discord's CDN does, so Attachment.read() works."""
        wanted = request.match_info["attachment_id"]
        for msg in self.state.messages.values():
            for att in msg.attachments:
                if str(att.id) == wanted and str(msg.channel_id) == request.match_info["channel_id"]:
                    return web.Response(body=att.data, headers={"Content-Type": att.content_type})
        raise web.HTTPNotFound()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if self._runner is not None:
            raise RuntimeError("sandbox already started")
        runner = web.AppRunner(self._build_app(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound = runner.addresses[0]
        self.url = f"http://{host}:{bound[1]}"
        self.api_base_url = self.url + API_PREFIX
        self.state.base_url = self.url
        log.info("Discord sandbox listening on %s (gateway %s)", self.url, self.state.gateway_url)

    async def stop(self) -> None:
        if self._runner is None:
            return
        self._interactions.close()
        await self._core.hub.close_all()
        await self._runner.cleanup()
        self._runner = None

    async def drop_gateway(self, *, resumable: bool = True) -> None:
        """Test hook: closes the bot's websocket (4000 keeps the session resumable)."""
        self._core.hub.drop(resumable=resumable)

    async def send_reconnect(self) -> None:
        """Test hook: RECONNECT (op 7)."""
        self._core.hub.reconnect()

    async def request_heartbeat(self) -> None:
        """Test hook: HEARTBEAT (op 1), Discord asking the client to heartbeat now."""
        self._core.hub.request_heartbeat()

    async def invalidate_session(self, *, resumable: bool = False) -> None:
        """Test hook: INVALID_SESSION (op 9) with d=resumable."""
        self._core.hub.invalidate(resumable=resumable)
