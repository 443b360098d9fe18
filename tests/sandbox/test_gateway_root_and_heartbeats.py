"""The gateway on the root path (as Discord's gateway host), and heartbeats discord.py measures as healthy."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest

from bot.discord_endpoint import use_discord_endpoint
from bot.sandbox import SandboxServer
from tests.waiting import wait_for

from .conftest import TOKEN, SandboxClient, all_intents

PROJECT = Path(__file__).resolve().parents[2]
HEARTBEAT_MS = 400

# The sandbox in its own process, as `meetup-bot sandbox` + `meetup-bot run` are: there an instant ACK
# beat discord.py's keep-alive thread and every heartbeat measured as a whole interval late.
SANDBOX_PROCESS = """
import asyncio, sys
from bot.sandbox import SandboxServer
from tests.sandbox.conftest import seed

async def main() -> None:
    server = SandboxServer(seed(), heartbeat_interval_ms=int(sys.argv[1]))
    await server.start()
    print(server.url, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the test closes stdin
    await server.stop()

asyncio.run(main())
"""


async def _json(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    msg = await ws.receive(timeout=5)
    assert msg.type is aiohttp.WSMsgType.TEXT, msg
    data: dict[str, Any] = json.loads(msg.data)
    return data


async def test_gateway_answers_on_the_root_path(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    async with http.get(sandbox.api_base_url + "/gateway") as response:
        url = (await response.json())["url"]
    assert url == sandbox.url.replace("http://", "ws://") + "/"
    async with http.ws_connect(url + "?v=10&encoding=json") as ws:
        assert await _json(ws) == {"op": 10, "d": {"heartbeat_interval": 41250}}
        await ws.send_json({"op": 2, "d": {"token": "x", "intents": 1, "properties": {}}})
        assert (await _json(ws))["t"] == "READY"
    async with http.ws_connect(sandbox.url.replace("http://", "ws://") + "/gateway?v=10&encoding=json") as ws:
        assert (await _json(ws))["op"] == 10  # /gateway still works
    async with http.get(sandbox.url + "/") as plain:  # no upgrade: the same 404 as before
        assert plain.status == 404 and (await plain.json())["error"] == "Not Found"


async def test_discord_may_ask_for_a_heartbeat(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(sandbox.url.replace("http://", "ws://") + "/?v=10&encoding=json") as ws:
        await _json(ws)
        await sandbox.request_heartbeat()
        assert await _json(ws) == {"op": 1, "d": None}
        await ws.send_json({"op": 1, "d": None})
        assert await _json(ws) == {"op": 11}


class LatencyClient(SandboxClient):
    """Records discord.py's measured latency after each HEARTBEAT_ACK it processes."""

    def __init__(self, **options: Any) -> None:
        super().__init__(intents=all_intents(), enable_debug_events=True, **options)
        self.latencies: list[float] = []

    async def on_socket_raw_receive(self, msg: str) -> None:
        if json.loads(msg).get("op") == 11:  # dispatched after the ACK was handled, so latency is fresh
            self.latencies.append(self.latency)


@pytest.fixture
async def sandbox_process() -> AsyncIterator[str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SANDBOX_PROCESS, str(HEARTBEAT_MS),
        cwd=PROJECT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stdin is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 20)
        assert line.startswith(b"http://"), line
        yield line.decode().strip()
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()


async def test_discord_py_measures_heartbeats_as_prompt(sandbox_process: str) -> None:
    use_discord_endpoint(sandbox_process + "/api/v10")
    client = LatencyClient(guild_ready_timeout=0.05)
    task = asyncio.create_task(client.start(TOKEN))
    try:
        # the first ACK answers the heartbeat sent on HELLO; the next five answer the interval's heartbeats
        await wait_for(lambda: len(client.latencies) >= 6, timeout=15, what="six heartbeat ACKs")
        interval_beats = client.latencies[1:6]
        assert max(interval_beats) < HEARTBEAT_MS / 1000 / 2, interval_beats  # not a whole interval late
        assert client.latency == pytest.approx(client.latencies[-1])
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError, discord.DiscordException):
            await asyncio.wait_for(task, 5)
        use_discord_endpoint(None)
