"""`GET /metrics`: the bot's Prometheus metrics (bot.metrics), for a scraper on the operator's network."""

from __future__ import annotations

from aiohttp import web

from bot.metrics import CONTENT_TYPE, Metrics


def add_metrics_route(app: web.Application, metrics: Metrics) -> None:
    async def serve(request: web.Request) -> web.Response:
        response = web.Response(body=metrics.render())
        response.headers["Content-Type"] = CONTENT_TYPE
        return response

    app.router.add_get("/metrics", serve)
