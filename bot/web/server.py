"""The bot's HTTP server on `http.listen`: an aiohttp application started and stopped with the bot."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.config import HttpConfig
from bot.errors import StartupError
from bot.repo.webhooks import MAX_BODY

log = logging.getLogger(__name__)


def build_app() -> web.Application:
    """An empty application with the body limit every route shares; routes are added by their modules."""
    return web.Application(client_max_size=MAX_BODY)


class WebServer:
    """Serves `app` on `http.listen` (port 0: a free one); `url` is where it listens once started."""

    def __init__(self, http: HttpConfig, app: web.Application) -> None:
        self._http = http
        self._app = app
        self._runner: web.AppRunner | None = None
        self.url: str | None = None

    async def start(self) -> None:
        """Bind and serve; a port in use or an address not of this machine is one StartupError line."""
        runner = web.AppRunner(self._app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._http.host, self._http.port)
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            reason = exc.strerror or str(exc)
            raise StartupError(
                f"cannot listen on {self._http.listen} ({reason}); set http.listen to a free host:port "
                "of this machine, or remove `http` to run without the webhook"
            ) from None
        self._runner = runner
        port = runner.addresses[0][1]
        host = self._http.host
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{port}"
        log.info("http: listening on %s", self.url)

    async def stop(self) -> None:
        if self._runner is None:
            return
        await self._runner.cleanup()
        self._runner = None
