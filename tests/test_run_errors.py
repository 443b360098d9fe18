"""`meetup-bot run` with a token when Discord cannot be used: one `error:` line, exit 1, no traceback."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import discord
import pytest
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.application import DEFAULT_RETRY_DELAYS, Application, backoff_delays, reach_discord
from bot.clock import ManualClock
from bot.config import Config
from bot.discord_app.services import Services
from bot.discord_endpoint import explain_failure, use_discord_endpoint
from bot.errors import StartupError
from bot.sandbox import SandboxServer
from bot.sandbox_mode import seed_from_config
from tests.conftest import BASE_CONFIG
from tests.factories import NOW
from tests.waiting import wait_for

PROJECT = Path(__file__).resolve().parents[1]
TOKEN = "MTIz.not-a-real-token-but-a-secret"


def free_port() -> int:
    """A port nothing listens on (bound and released at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def run_bot(
    tmp_path: Path, discord_section: str, *args: str, extra_env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """`python -m bot run` with $DISCORD_TOKEN set (unless extra_env replaces the environment's token
    settings), as a real process; (exit status, stdout, stderr)."""
    (tmp_path / "events").mkdir(exist_ok=True)
    config = tmp_path / "config.yaml"
    config.write_text(BASE_CONFIG + ("discord:\n" + discord_section if discord_section else ""))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_TOKEN", "MEETUP_BOT"))}
    env.update({"DISCORD_TOKEN": TOKEN} if extra_env is None else extra_env)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), "run", *args,
        cwd=PROJECT, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def the_error_line(out: str, err: str) -> str:
    """The one `error:` line on stderr; nothing that looks like a traceback anywhere."""
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    assert not any(line.startswith("error:") for line in out.splitlines()), out
    for text in (out, err):
        assert "Traceback" not in text and "During handling" not in text, text
        assert "not-a-real-token" not in text
    return errors[0]


async def test_unreachable_api_is_retried_then_one_line(tmp_path: Path) -> None:
    port = free_port()
    api = f"http://127.0.0.1:{port}/api/v10"
    status, out, err = await run_bot(tmp_path, f"  api_base_url: {api}\n", "--start-retries", "1")
    assert status == 1
    line = the_error_line(out, err)
    assert line.startswith(f"error: cannot reach Discord's API at {api} after 2 tries (last: Cannot connect")
    assert line.endswith("; check the network or discord.api_base_url")
    assert "trying again in 1 s (try 2 of 2)" in err  # the retry, as a log line


@pytest.fixture
async def rejecting_api() -> AsyncIterator[tuple[str, list[str]]]:
    """An API that answers GET /users/@me with Discord's 401, recording the requests it gets."""
    seen: list[str] = []

    async def users_me(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        return web.json_response({"message": "401: Unauthorized", "code": 0}, status=401)

    app = web.Application()
    app.router.add_get("/api/v10/users/@me", users_me)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/api/v10", seen
    await runner.cleanup()


async def test_a_rejected_token_is_one_line_and_not_retried(
    tmp_path: Path, rejecting_api: tuple[str, list[str]]
) -> None:
    api, seen = rejecting_api
    status, out, err = await run_bot(tmp_path, f"  api_base_url: {api}\n")
    assert status == 1
    assert the_error_line(out, err) == (
        f"error: Discord rejected the token in $DISCORD_TOKEN (401 at {api}/users/@me); "
        "create a new token in the Developer Portal"
    )
    assert seen == [f"Bot {TOKEN}"]  # asked once: retrying cannot fix a wrong token


@pytest.fixture
async def sandbox(config: Config) -> AsyncIterator[SandboxServer]:
    server = SandboxServer(seed_from_config(config))
    await server.start()
    yield server
    await server.stop()


async def test_a_gateway_url_that_answers_404_is_one_line(tmp_path: Path, sandbox: SandboxServer) -> None:
    gateway = sandbox.url.replace("http://", "ws://") + "/no-gateway-here"
    section = f"  api_base_url: {sandbox.api_base_url}\n  gateway_url: {gateway}\n"
    status, out, err = await run_bot(tmp_path, section)
    assert status == 1
    assert the_error_line(out, err) == (
        f"error: Discord's gateway at {gateway} answered 404 instead of opening a websocket; "
        "check discord.gateway_url"
    )
    assert "'NoneType' object has no attribute 'sequence'" not in err


async def test_discord_py_crash_on_a_404_gateway_is_explained(sandbox: SandboxServer) -> None:
    """If discord.py meets the bad gateway itself, its AttributeError is read for what caused it."""
    gateway = sandbox.url.replace("http://", "ws://") + "/no-gateway-here"
    endpoint = use_discord_endpoint(sandbox.api_base_url, gateway)
    client = discord.Client(intents=discord.Intents.none())
    try:
        with pytest.raises(AttributeError) as crash:
            await asyncio.wait_for(client.start(TOKEN), 15)
    finally:
        await client.close()
        use_discord_endpoint(None)
    assert isinstance(crash.value.__context__, aiohttp.WSServerHandshakeError)
    assert explain_failure(crash.value, endpoint).message == (
        f"Discord's gateway at {gateway} answered 404 instead of opening a websocket; check discord.gateway_url"
    )


async def test_the_default_schedule_backs_off_1_2_4_8_seconds() -> None:
    assert backoff_delays(4) == DEFAULT_RETRY_DELAYS == (1.0, 2.0, 4.0, 8.0)
    assert backoff_delays(0) == () and backoff_delays(7)[-1] == 30.0
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    endpoint = use_discord_endpoint(f"http://127.0.0.1:{free_port()}/api/v10")
    try:
        with pytest.raises(StartupError, match=r"after 5 tries \(last: Cannot connect"):
            await reach_discord(endpoint, TOKEN, sleep=record)
    finally:
        use_discord_endpoint(None)
    assert waits == [1.0, 2.0, 4.0, 8.0]


async def test_urls_that_are_not_discord_s_fail_at_once_naming_the_setting(sandbox: SandboxServer) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    wrong_api = use_discord_endpoint(sandbox.url + "/v10")  # a live server, but no API there
    plain_page = use_discord_endpoint(sandbox.api_base_url, sandbox.url + "/sandbox/state")  # HTTP 200 JSON
    try:
        with pytest.raises(StartupError) as api_error:
            await reach_discord(wrong_api, TOKEN, sleep=record)
        with pytest.raises(StartupError) as gateway_error:
            await reach_discord(plain_page, TOKEN, sleep=record)
    finally:
        use_discord_endpoint(None)
    assert api_error.value.message == (
        f"Discord's API at {sandbox.url}/v10 answered 404 Not Found to GET /users/@me; "
        "check discord.api_base_url (Discord's own is https://discord.com/api/v10)"
    )
    assert gateway_error.value.message == (
        f"Discord's gateway at {sandbox.url}/sandbox/state answered 200 instead of opening a websocket; "
        "check discord.gateway_url"
    )
    assert waits == []  # not retried


@pytest.fixture
async def silent_gateway() -> AsyncIterator[str]:
    """A server whose API answers but whose websocket closes without Discord's HELLO."""

    async def users_me(request: web.Request) -> web.Response:
        return web.json_response({"id": "1", "username": "bot"})

    async def gateway(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.close(code=4000)
        return ws

    app = web.Application()
    app.router.add_get("/api/v10/users/@me", users_me)
    app.router.add_get("/gateway", gateway)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/api/v10"
    await runner.cleanup()


async def test_a_websocket_without_hello_is_not_a_gateway(silent_gateway: str) -> None:
    endpoint = use_discord_endpoint(silent_gateway)
    try:
        with pytest.raises(StartupError) as error:
            await reach_discord(endpoint, TOKEN, delays=())
    finally:
        use_discord_endpoint(None)
    gateway = silent_gateway.removesuffix("/api/v10").replace("http://", "ws://") + "/gateway"
    assert error.value.message == (
        f"Discord's gateway at {gateway} opened a websocket but sent no HELLO (close code 4000); "
        "check discord.gateway_url (unset: derived from api_base_url)"
    )


def make_app(
    config: Config, sessions: async_sessionmaker[AsyncSession], api: str, delays: tuple[float, ...]
) -> Application:
    return Application(
        Services(config, sessions, ManualClock(NOW)),
        TOKEN,
        api_base_url=api,
        retry_delays=delays,
        guild_ready_timeout=0.05,
    )


async def test_server_errors_are_retried_until_discord_answers(
    config: Config,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with aiohttp.ClientSession() as http:
        fault = {"route": "GET /users/@me", "status": 503, "times": 2}
        async with http.post(sandbox.url + "/sandbox/faults", json=fault) as response:
            assert response.status == 200
    app = make_app(config, sessions, sandbox.api_base_url, (0.01, 0.01, 0.01))
    caplog.set_level(logging.WARNING, logger="bot.application")
    await app.start()
    try:
        await app.wait_ready(timeout=15)
    finally:
        await app.close()
    retries = [r.getMessage() for r in caplog.records if "trying again" in r.getMessage()]
    assert len(retries) == 2 and "(503 Service Unavailable)" in retries[0], retries


async def test_stopping_while_waiting_to_try_again_ends_at_once(
    config: Config, sessions: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(config, sessions, f"http://127.0.0.1:{free_port()}/api/v10", (60.0,))
    caplog.set_level(logging.WARNING, logger="bot.application")
    stop = asyncio.Event()
    await app.start()
    await wait_for(lambda: any("trying again in 60 s" in r.getMessage() for r in caplog.records), 10)
    started = time.monotonic()
    stop.set()
    await app.run_until(stop)  # no StartupError: the user stopped it
    assert time.monotonic() - started < 5


async def test_where_a_token_is_required_no_token_exits_2_instead_of_starting_the_sandbox(
    tmp_path: Path,
) -> None:
    """The container image sets $MEETUP_BOT_REQUIRE_TOKEN: a deployment that lost its token says so."""
    code, out, err = await run_bot(tmp_path, "", extra_env={"MEETUP_BOT_REQUIRE_TOKEN": "1"})
    assert code == 2
    (line,) = err.splitlines()
    assert line.startswith("error: no token: set $DISCORD_TOKEN") and "run --sandbox" in line
    assert "sandbox:" not in out
