"""A 429 is retried by discord.py and posts once; scheduled events from discord.py; the feed."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import discord

from bot.sandbox import RateLimit, SandboxServer
from tests.waiting import wait_for

from .conftest import ANNOUNCE_ID, GUILD_ID, TOKEN, ClientFactory, Control, SandboxFactory, SpecRecorder

ROUTE = "POST /channels/{channel_id}/messages"


async def test_429_is_retried_and_posted_once(
    make_sandbox: SandboxFactory,
    connect: ClientFactory,
    http: aiohttp.ClientSession,
    recorder: SpecRecorder,
) -> None:
    server = await make_sandbox(rate_limits={ROUTE: RateLimit(limit=1, per=2.0)})
    client = await connect(server)
    url = f"{server.api_base_url}/channels/{ANNOUNCE_ID}/messages"
    headers = {"Authorization": f"Bot {TOKEN}"}
    async with http.post(url, json={"content": "someone else used the bucket"}, headers=headers) as resp:
        assert resp.status == 200 and resp.headers["X-RateLimit-Remaining"] == "0"
    async with http.post(url, json={"content": "too soon"}, headers=headers) as resp:
        assert resp.status == 429 and resp.headers["Via"] == "1.1 google"
        body = await resp.json()
        assert body["message"] == "You are being rate limited." and body["global"] is False
        assert 0 < body["retry_after"] <= 2.0 and int(resp.headers["Retry-After"]) >= 1
    async with http.post(url, json={"content": "again"}, headers=headers) as resp:
        assert resp.status == 429
    channel = client.get_channel(ANNOUNCE_ID)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("Meetup moved to Friday")
    statuses = [
        s for m, r, s in recorder.checked_responses if (m, r) == ("POST", "/channels/{channel_id}/messages")
    ]
    assert statuses[-2:] == [429, 200]  # discord.py hit the limit, waited retry_after and retried
    posted = [m for m in server.state.messages.values() if m.content == "Meetup moved to Friday"]
    assert [m.id for m in posted] == [sent.id]


async def test_rate_limit_via_control(
    sandbox: SandboxServer, control: Control, http: aiohttp.ClientSession
) -> None:
    status, routes = await control.post("/sandbox/rate-limits", {"route": ROUTE, "limit": 1, "per": 5})
    assert status == 200 and routes == {ROUTE: {"limit": 1, "per": 5.0}}
    url = f"{sandbox.api_base_url}/channels/{ANNOUNCE_ID}/messages"
    headers = {"Authorization": f"Bot {TOKEN}"}
    codes = []
    for _ in range(2):
        async with http.post(url, json={"content": "x"}, headers=headers) as resp:
            codes.append(resp.status)
    assert codes == [200, 429]
    await control.post("/sandbox/rate-limits", {"route": ROUTE, "limit": None})
    async with http.post(url, json={"content": "x"}, headers=headers) as resp:
        assert resp.status == 200


async def test_scheduled_events_from_discord_py(
    sandbox: SandboxServer, connect: ClientFactory, control: Control
) -> None:
    client = await connect(sandbox)
    created: list[discord.ScheduledEvent] = []
    updated: list[discord.ScheduledEvent] = []
    deleted: list[discord.ScheduledEvent] = []
    client.event(_collector("on_scheduled_event_create", created))
    client.event(_collector("on_scheduled_event_update", updated, after=True))
    client.event(_collector("on_scheduled_event_delete", deleted))
    guild = client.get_guild(GUILD_ID)
    assert guild is not None
    start = datetime.now(UTC) + timedelta(days=7)
    event = await guild.create_scheduled_event(
        name="Gophers night",
        start_time=start,
        end_time=start + timedelta(hours=2),
        entity_type=discord.EntityType.external,
        privacy_level=discord.PrivacyLevel.guild_only,
        location="Central Library",
        description="Lightning talks",
    )
    assert event.location == "Central Library" and event.creator_id == sandbox.bot_user_id
    await wait_for(lambda: created, what="GUILD_SCHEDULED_EVENT_CREATE")
    assert created[0].id == event.id and guild.get_scheduled_event(event.id) is not None
    edited = await event.edit(location="Room 2")
    assert edited.location == "Room 2"
    await wait_for(lambda: updated, what="GUILD_SCHEDULED_EVENT_UPDATE")
    assert updated[0].location == "Room 2"
    _, state = await control.get("/sandbox/state")
    assert state["guilds"][0]["scheduled_events"][0]["location"] == "Room 2"
    await event.delete()
    await wait_for(lambda: deleted, what="GUILD_SCHEDULED_EVENT_DELETE")
    assert [e.id for e in await guild.fetch_scheduled_events()] == []


def _collector(
    name: str, into: list[discord.ScheduledEvent], *, after: bool = False
) -> Callable[..., Coroutine[Any, Any, None]]:
    if after:

        async def on_update(before: discord.ScheduledEvent, now: discord.ScheduledEvent) -> None:
            into.append(now)

        on_update.__name__ = name
        return on_update

    async def on_event(event: discord.ScheduledEvent) -> None:
        into.append(event)

    on_event.__name__ = name
    return on_event


async def test_feed_lines(sandbox: SandboxServer, connect: ClientFactory, control: Control) -> None:
    lines: list[str] = []
    sandbox.on_feed(lines.append)
    client = await connect(sandbox)
    channel = client.get_channel(ANNOUNCE_ID)
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send("Meetup tonight!")
    await control.post(
        "/sandbox/reactions",
        {"channel_id": ANNOUNCE_ID, "message_id": message.id, "user_id": "alice", "emoji": "✅"},
    )
    assert lines[0] == "#announcements  meetup-bot: Meetup tonight!"
    assert lines[1] == "alice reacted ✅ to meetup-bot's 'Meetup tonight!'"
