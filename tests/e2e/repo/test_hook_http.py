"""POST /hooks/git over real HTTP: the server on http.listen, its answers, and what it never does or logs."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest

from bot.config import Config, HttpConfig
from bot.errors import StartupError
from bot.repo.webhooks import MAX_BODY, github_signature
from bot.web.hooks import add_git_hook, webhook_off_warning
from bot.web.server import WebServer, build_app
from tests.e2e.repo.conftest import SECRET

PUSH = json.dumps({"ref": "refs/heads/main"}).encode()

Serve = Callable[..., Awaitable[tuple[str, list[int]]]]


@pytest.fixture
async def served(config: Config) -> AsyncIterator[Serve]:
    servers: list[WebServer] = []

    async def serve(*, secret: str | None = SECRET, repo: bool = True) -> tuple[str, list[int]]:
        pushes: list[int] = []
        app = build_app()
        add_git_hook(app, config.events_repo if repo else None, secret, lambda: pushes.append(1))
        server = WebServer(HttpConfig(listen="127.0.0.1:0"), app)
        await server.start()
        servers.append(server)
        assert server.url is not None
        return server.url, pushes

    yield serve
    for server in servers:
        await server.stop()


async def post(
    http: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    headers = headers if headers is not None else signed(body)
    async with http.post(f"{url}/hooks/git", data=body, headers=headers) as response:
        return response.status, (await response.text()).strip()


def signed(body: bytes, key: str = SECRET) -> dict[str, str]:
    return {"X-GitHub-Event": "push", "X-Hub-Signature-256": github_signature(body, key)}


async def test_a_signed_push_calls_back_and_bad_ones_do_not(
    served: Serve, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    url, pushes = await served()
    assert await post(http, url, PUSH) == (202, "sync started: push to refs/heads/main")
    assert pushes == [1]
    assert (await post(http, url, PUSH, signed(PUSH, "wrong")))[0] == 401
    assert (await post(http, url, PUSH, {"X-GitHub-Event": "push"}))[0] == 401
    gitlab = {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": SECRET}
    assert (await post(http, url, PUSH, gitlab))[0] == 202
    assert (await post(http, url, PUSH, {**gitlab, "X-Gitlab-Token": "nope"}))[0] == 401
    assert (await post(http, url, b"not json", signed(b"not json")))[0] == 400
    ping = await post(http, url, b"{}", {**signed(b"{}"), "X-GitHub-Event": "ping"})
    assert ping == (200, "pong")
    assert pushes == [1, 1]
    assert all(SECRET not in r.getMessage() for r in caplog.records)
    async with http.get(f"{url}/hooks/git") as response:
        assert response.status == 405


async def test_a_body_over_the_limit_is_413_and_not_read_into_a_sync(
    served: Serve, http: aiohttp.ClientSession
) -> None:
    url, pushes = await served()
    big = b"{" + b" " * MAX_BODY + b"}"
    assert (await post(http, url, big))[0] == 413
    assert pushes == []


async def test_without_the_secret_the_webhook_is_off(served: Serve, http: aiohttp.ClientSession) -> None:
    url, pushes = await served(secret=None)
    status, text = await post(http, url, PUSH, signed(PUSH, ""))
    assert status == 503 and "MEETUP_BOT_WEBHOOK_SECRET" in text
    assert pushes == []
    assert (
        webhook_off_warning(None)
        == "the git webhook POST /hooks/git is off: $MEETUP_BOT_WEBHOOK_SECRET is not set"
    )
    assert webhook_off_warning(SECRET) is None


async def test_without_events_repo_a_push_has_nothing_to_sync(
    served: Serve, http: aiohttp.ClientSession
) -> None:
    url, pushes = await served(repo=False)
    status, text = await post(http, url, PUSH)
    assert status == 404 and "events_dir" in text
    assert pushes == []


async def test_a_port_in_use_is_one_startup_error_naming_http_listen(
    served: Serve,
) -> None:
    url, _ = await served()
    port = url.rsplit(":", 1)[1]
    second = WebServer(HttpConfig(listen=f"127.0.0.1:{port}"), build_app())
    with pytest.raises(StartupError) as raised:
        await second.start()
    assert raised.value.message.startswith(f"cannot listen on 127.0.0.1:{port} (")
    assert "http.listen" in raised.value.message and "\n" not in raised.value.message
