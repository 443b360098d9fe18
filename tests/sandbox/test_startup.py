"""Login, READY and GUILD_CREATE: a real discord.py client starts quickly and sees the seeded world."""

from __future__ import annotations

import asyncio
import json
import time
import zlib

import aiohttp
import discord
from discord.gateway import DiscordWebSocket

from bot.discord_endpoint import use_discord_endpoint
from bot.sandbox import SandboxServer

from .conftest import ANNOUNCE_ID, GENERAL_ID, GUILD_ID, ORGANIZER_ROLE_ID, ClientFactory, SpecRecorder


async def test_client_logs_in_and_sees_guild(
    sandbox: SandboxServer, connect: ClientFactory, recorder: SpecRecorder
) -> None:
    started = time.monotonic()
    client = await connect(sandbox)
    assert time.monotonic() - started < 2.0
    assert client.user is not None and client.user.id == sandbox.bot_user_id
    assert client.application_id == sandbox.application_id
    guild = client.get_guild(GUILD_ID)
    assert guild is not None and guild.name == "Meetup Test"
    assert {c.id for c in guild.text_channels} == {ANNOUNCE_ID, GENERAL_ID}
    assert guild.chunked and guild.member_count == len(guild.members)
    assert {m.name for m in guild.members} == {"meetup-bot", "alice", "bob", "carol", "olivia"}
    organizer = guild.get_role(ORGANIZER_ROLE_ID)
    assert organizer is not None and [m.name for m in organizer.members] == ["olivia"]
    me = guild.me
    assert me.guild_permissions.send_messages and me.guild_permissions.manage_events
    routes = {(m, r) for m, r, _ in recorder.checked_responses}
    assert ("GET", "/users/@me") in routes and ("GET", "/oauth2/applications/@me") in routes


async def test_without_members_intent_only_the_bot_member_is_sent(
    sandbox: SandboxServer, connect: ClientFactory
) -> None:
    client = await connect(sandbox, intents=discord.Intents.default())
    guild = client.get_guild(GUILD_ID)
    assert guild is not None
    assert [m.id for m in guild.members] == [sandbox.bot_user_id]
    assert guild.member_count == 5


async def test_endpoint_points_rest_and_gateway_at_sandbox(sandbox: SandboxServer) -> None:
    use_discord_endpoint(sandbox.api_base_url)
    try:
        assert discord.http.Route("GET", "/users/@me").url == sandbox.api_base_url + "/users/@me"
        assert str(DiscordWebSocket.DEFAULT_GATEWAY) == sandbox.url.replace("http://", "ws://") + "/gateway"
    finally:
        use_discord_endpoint(None)
    assert discord.http.Route("GET", "/users/@me").url == "https://discord.com/api/v10/users/@me"
    assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "wss://gateway.discord.gg/"


async def test_client_uses_zlib_stream(sandbox: SandboxServer, connect: ClientFactory) -> None:
    await connect(sandbox)
    assert [c.compress for c in sandbox.gateway.connections] == [True]


async def _receive(
    ws: aiohttp.ClientWebSocketResponse, inflate: zlib._Decompress | None
) -> dict[str, object]:
    msg = await ws.receive(timeout=5)
    if inflate is None:
        assert msg.type is aiohttp.WSMsgType.TEXT
        data = msg.data
    else:
        assert msg.type is aiohttp.WSMsgType.BINARY and msg.data.endswith(b"\x00\x00\xff\xff")
        data = inflate.decompress(msg.data).decode()
    result: dict[str, object] = json.loads(data)
    return result


async def test_raw_gateway_plain_and_compressed(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    gateway = sandbox.url.replace("http", "ws") + "/gateway"
    for query, inflate in (
        ("?v=10&encoding=json", None),
        ("?v=10&encoding=json&compress=zlib-stream", zlib.decompressobj()),
    ):
        async with http.ws_connect(gateway + query) as ws:
            hello = await _receive(ws, inflate)
            assert hello == {"op": 10, "d": {"heartbeat_interval": 41250}}
            await ws.send_json({"op": 1, "d": None})
            assert await _receive(ws, inflate) == {"op": 11}
            await ws.send_json({"op": 2, "d": {"token": "x", "intents": 1, "properties": {}}})
            ready = await _receive(ws, inflate)
            assert ready["t"] == "READY" and ready["s"] == 1
            guild_create = await _receive(ws, inflate)
            assert guild_create["t"] == "GUILD_CREATE" and guild_create["s"] == 2


async def test_gateway_rejects_payload_before_identify(
    sandbox: SandboxServer, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(sandbox.url.replace("http", "ws") + "/gateway?v=10&encoding=json") as ws:
        await _receive(ws, None)
        await ws.send_json({"op": 8, "d": {"guild_id": str(GUILD_ID), "query": "", "limit": 0}})
        closing = await ws.receive(timeout=5)
        assert closing.type is aiohttp.WSMsgType.CLOSE and closing.data == 4003


async def test_request_guild_members_is_answered(sandbox: SandboxServer, connect: ClientFactory) -> None:
    client = await connect(sandbox)
    guild = client.get_guild(GUILD_ID)
    assert guild is not None
    found = await asyncio.wait_for(guild.query_members("al"), 2)
    assert [m.name for m in found] == ["alice"]
    everyone = await asyncio.wait_for(guild.chunk(), 2)
    assert len(everyone) == 5
    by_id = await asyncio.wait_for(guild.query_members(user_ids=[sandbox.bot_user_id]), 2)
    assert [m.id for m in by_id] == [sandbox.bot_user_id]
