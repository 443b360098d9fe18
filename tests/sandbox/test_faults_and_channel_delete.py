"""Fidelity additions for the scheduler's failure tests: injected 5xx answers and a deleted channel."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.sandbox import SandboxServer

from .conftest import ANNOUNCE_ID, TOKEN, seed


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    """Not strict: Discord's OpenAPI description lists no 5xx answers, though Discord sends them."""
    server = SandboxServer(seed())
    await server.start()
    yield server
    await server.stop()


ROUTE = "POST /channels/{channel_id}/messages"


async def test_injected_server_errors_answer_the_next_requests_then_stop(
    sandbox: SandboxServer, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        f"{sandbox.url}/sandbox/faults", json={"route": ROUTE, "status": 503, "times": 2}
    ) as r:
        assert r.status == 200
    url = f"{sandbox.api_base_url}/channels/{ANNOUNCE_ID}/messages"
    headers = {"Authorization": f"Bot {TOKEN}"}
    statuses = []
    for _ in range(3):
        async with http.post(url, json={"content": "hello"}, headers=headers) as resp:
            statuses.append(resp.status)
            if resp.status == 503:
                assert (await resp.json())["message"].startswith("503")
    assert statuses == [503, 503, 200]
    assert [m.content for m in sandbox.state.channel_messages(sandbox.state.channels[ANNOUNCE_ID])] == [
        "hello"
    ]
    async with http.post(f"{sandbox.url}/sandbox/faults", json={"route": ROUTE, "status": 404}) as r:
        assert r.status == 400


async def test_an_injected_429_is_a_shared_rate_limit_as_discord_sends_it(
    sandbox: SandboxServer, http: aiohttp.ClientSession
) -> None:
    async with http.post(f"{sandbox.url}/sandbox/faults", json={"route": ROUTE, "status": 429}) as r:
        assert r.status == 200
    url = f"{sandbox.api_base_url}/channels/{ANNOUNCE_ID}/messages"
    headers = {"Authorization": f"Bot {TOKEN}"}
    async with http.post(url, json={"content": "hello"}, headers=headers) as resp:
        assert resp.status == 429
        assert resp.headers["X-RateLimit-Scope"] == "shared" and resp.headers["Via"]
        body = await resp.json()
        assert body["global"] is False and 0 < body["retry_after"] < 1
    async with http.post(url, json={"content": "hello"}, headers=headers) as resp:
        assert resp.status == 200
    assert [m.content for m in sandbox.state.channel_messages(sandbox.state.channels[ANNOUNCE_ID])] == [
        "hello"
    ]


async def test_a_deleted_channel_is_unknown_to_rest(
    sandbox: SandboxServer, http: aiohttp.ClientSession
) -> None:
    async with http.delete(f"{sandbox.url}/sandbox/channels/{ANNOUNCE_ID}") as r:
        assert r.status == 200
    url = f"{sandbox.api_base_url}/channels/{ANNOUNCE_ID}/messages"
    async with http.post(url, json={"content": "hello"}, headers={"Authorization": f"Bot {TOKEN}"}) as resp:
        assert resp.status == 404
        assert (await resp.json())["code"] == 10003  # Unknown Channel
