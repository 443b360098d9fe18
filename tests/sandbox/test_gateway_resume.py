"""Disconnects: RESUME replays missed events in order; RECONNECT and INVALID_SESSION work as on Discord."""

from __future__ import annotations

import discord

from bot.sandbox import SandboxServer
from tests.waiting import wait_for

from .conftest import ANNOUNCE_ID, ClientFactory, Control


class Recorder:
    def __init__(self, client: discord.Client) -> None:
        self.contents: list[str] = []
        self.ready = 0
        self.resumed = 0
        client.event(self.on_message)
        client.event(self.on_ready)
        client.event(self.on_resumed)

    async def on_message(self, message: discord.Message) -> None:
        self.contents.append(message.content)

    async def on_ready(self) -> None:
        self.ready += 1

    async def on_resumed(self) -> None:
        self.resumed += 1


async def test_resume_replays_missed_events_in_order(
    sandbox: SandboxServer, connect: ClientFactory, control: Control
) -> None:
    client = await connect(sandbox)
    seen = Recorder(client)
    await control.post(
        "/sandbox/messages", {"channel_id": ANNOUNCE_ID, "user_id": "alice", "content": "before"}
    )
    await wait_for(lambda: seen.contents == ["before"], what="first message")

    sandbox.gateway.accepting.clear()  # hold the reconnect so events pile up while the bot is away
    await sandbox.drop_gateway(resumable=True)
    await wait_for(lambda: not sandbox.gateway.connections, what="the socket to close")
    missed = [f"while away {n}" for n in range(5)]
    for text in missed:
        await control.post(
            "/sandbox/messages", {"channel_id": ANNOUNCE_ID, "user_id": "bob", "content": text}
        )
    assert seen.contents == ["before"]
    sandbox.gateway.accepting.set()

    await wait_for(lambda: seen.resumed == 1, what="RESUMED")
    await control.post(
        "/sandbox/messages", {"channel_id": ANNOUNCE_ID, "user_id": "carol", "content": "after"}
    )
    await wait_for(lambda: len(seen.contents) == 7, what="all messages")
    assert seen.contents == ["before", *missed, "after"]
    assert seen.ready == 0  # resumed, not re-identified
    channel = client.get_channel(ANNOUNCE_ID)
    assert isinstance(channel, discord.TextChannel)
    await channel.send("bot still works")


async def test_non_resumable_drop_reidentifies(
    sandbox: SandboxServer, connect: ClientFactory, control: Control
) -> None:
    client = await connect(sandbox)
    seen = Recorder(client)
    first_session = next(iter(sandbox.gateway.sessions))
    await sandbox.drop_gateway(resumable=False)
    await wait_for(lambda: seen.ready == 1, what="a fresh READY")
    assert first_session not in sandbox.gateway.sessions
    await control.post(
        "/sandbox/messages", {"channel_id": ANNOUNCE_ID, "user_id": "alice", "content": "hello again"}
    )
    await wait_for(lambda: seen.contents == ["hello again"], what="message after re-identify")


async def test_reconnect_opcode_resumes(
    sandbox: SandboxServer, connect: ClientFactory, control: Control
) -> None:
    client = await connect(sandbox)
    seen = Recorder(client)
    status, _ = await control.post("/sandbox/gateway/reconnect")
    assert status == 200
    await wait_for(lambda: seen.resumed == 1, what="RESUMED after op 7")
    status, _ = await control.post("/sandbox/gateway/invalidate", {"resumable": False})
    await wait_for(lambda: seen.ready == 1, what="READY after op 9")
    await control.post(
        "/sandbox/messages", {"channel_id": ANNOUNCE_ID, "user_id": "alice", "content": "still here"}
    )
    await wait_for(lambda: seen.contents == ["still here"], what="message")
