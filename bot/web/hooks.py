"""`POST /hooks/git`: a push to the events repository's branch syncs at once. Thin: bot.repo.webhooks decides."""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web

from bot.config import WEBHOOK_SECRET_ENV, EventsRepoConfig
from bot.repo.webhooks import MAX_BODY, HookDecision, decide

log = logging.getLogger(__name__)

HOOK_PATH = "/hooks/git"


def add_git_hook(
    app: web.Application,
    repo: EventsRepoConfig | None,
    secret: str | None,
    on_push: Callable[[], None],
) -> None:
    """Route `POST /hooks/git` to `on_push` (which must return at once: the sync runs as a task)."""

    async def hook(request: web.Request) -> web.Response:
        decision = await _decision(request, repo, secret)
        if decision.sync:
            on_push()
        peer = request.remote or "?"
        level = logging.WARNING if decision.status == 401 else logging.INFO
        log.log(level, "git webhook from %s: %d %s", peer, decision.status, decision.text)
        return web.Response(status=decision.status, text=decision.text + "\n")

    app.router.add_post(HOOK_PATH, hook)


async def _decision(request: web.Request, repo: EventsRepoConfig | None, secret: str | None) -> HookDecision:
    if not secret:
        return decide(request.headers, b"", secret, "")
    if repo is None:
        return HookDecision(
            404, "no events_repo in the bot's config: it reads events_dir, so a push has nothing to sync"
        )
    if request.content_length is not None and request.content_length > MAX_BODY:
        return HookDecision(413, f"body too large (at most {MAX_BODY} bytes)")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return HookDecision(413, f"body too large (at most {MAX_BODY} bytes)")
    return decide(request.headers, body, secret, repo.branch)


def webhook_off_warning(secret: str | None) -> str | None:
    """The start-up warning when the webhook cannot be used (never shows the secret)."""
    if secret:
        return None
    return f"the git webhook POST {HOOK_PATH} is off: ${WEBHOOK_SECRET_ENV} is not set"
