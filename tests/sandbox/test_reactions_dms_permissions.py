"""Reactions as raw gateway events, DMs (open and closed), and channel permission denials."""

from __future__ import annotations

import discord
import pytest

from bot.sandbox import SandboxServer
from tests.waiting import wait_for

from .conftest import ANNOUNCE_ID, GENERAL_ID, GUILD_ID, ClientFactory, Control, member_id


def text_channel(client: discord.Client, channel_id: int = ANNOUNCE_ID) -> discord.TextChannel:
    found = client.get_channel(channel_id)
    assert isinstance(found, discord.TextChannel)
    return found


async def test_member_reactions_reach_client_as_raw_events(
    sandbox: SandboxServer, connect: ClientFactory, control: Control
) -> None:
    client = await connect(sandbox)
    events: list[tuple[str, discord.RawReactionActionEvent]] = []

    async def on_raw_reaction_add(payload: discord.RawReactionActionEvent) -> None:
        events.append(("add", payload))

    async def on_raw_reaction_remove(payload: discord.RawReactionActionEvent) -> None:
        events.append(("remove", payload))

    client.event(on_raw_reaction_add)
    client.event(on_raw_reaction_remove)
    message = await text_channel(client).send("Meetup Thursday — react ✅ to RSVP")
    await message.add_reaction("✅")
    reaction = {"channel_id": ANNOUNCE_ID, "message_id": message.id, "user_id": "alice", "emoji": "✅"}
    status, result = await control.post("/sandbox/reactions", reaction)
    assert status == 200 and result["changed"] is True
    await control.post("/sandbox/reactions", {**reaction, "action": "remove"})
    await wait_for(lambda: len(events) == 3, what="three reaction events")
    kinds = [(kind, p.user_id, str(p.emoji)) for kind, p in events]
    alice = member_id(sandbox, "alice")
    assert kinds == [("add", sandbox.bot_user_id, "✅"), ("add", alice, "✅"), ("remove", alice, "✅")]
    added = events[1][1]
    assert added.guild_id == GUILD_ID and added.message_author_id == sandbox.bot_user_id
    assert added.member is not None and added.member.name == "alice"
    assert added.type is discord.ReactionType.normal and added.burst is False
    _, posted = await control.get(f"/sandbox/channels/{ANNOUNCE_ID}/messages")
    assert posted[0]["reactions"] == [
        {"emoji": "✅", "user_ids": [str(sandbox.bot_user_id)], "users": ["meetup-bot"]}
    ]
    users = [
        u.name async for u in (await text_channel(client).fetch_message(message.id)).reactions[0].users()
    ]
    assert users == ["meetup-bot"]


async def test_control_reaction_errors(sandbox: SandboxServer, control: Control) -> None:
    status, _ = await control.post(
        "/sandbox/reactions",
        {"channel_id": ANNOUNCE_ID, "message_id": 12345, "user_id": "alice", "emoji": "✅"},
    )
    assert status == 404
    _, msg = await control.post(
        "/sandbox/messages", {"channel_id": ANNOUNCE_ID, "user_id": "bob", "content": "hi"}
    )
    status, body = await control.post(
        "/sandbox/reactions",
        {"channel_id": ANNOUNCE_ID, "message_id": msg["id"], "user_id": "nobody", "emoji": "✅"},
    )
    assert status == 404 and "nobody" in body["error"]
    status, body = await control.post(
        "/sandbox/reactions",
        {"channel_id": ANNOUNCE_ID, "message_id": msg["id"], "user_id": "bob", "emoji": "abc"},
    )
    assert status == 400 and body["discord"]["code"] == 10014


async def test_dms_open_and_closed(sandbox: SandboxServer, connect: ClientFactory, control: Control) -> None:
    client = await connect(sandbox)
    guild = client.get_guild(GUILD_ID)
    assert guild is not None
    alice = guild.get_member(member_id(sandbox, "alice"))
    bob = guild.get_member(member_id(sandbox, "bob"))
    assert alice is not None and bob is not None
    await alice.send("Reminder: meetup at 7")
    status, dms = await control.get("/sandbox/dms/alice")
    assert status == 200 and [m["content"] for m in dms] == ["Reminder: meetup at 7"]
    status, _ = await control.post(f"/sandbox/members/{bob.id}", {"dms_open": False})
    assert status == 200
    with pytest.raises(discord.Forbidden) as caught:
        await bob.send("Reminder: meetup at 7")
    assert caught.value.code == 50007 and caught.value.status == 403
    assert (await control.get("/sandbox/dms/bob"))[1] == []


async def test_member_dm_to_bot(sandbox: SandboxServer, connect: ClientFactory, control: Control) -> None:
    client = await connect(sandbox)
    received: list[discord.Message] = []

    async def on_message(message: discord.Message) -> None:
        received.append(message)

    client.event(on_message)
    await control.post(
        "/sandbox/messages", {"dm": True, "user_id": "carol", "content": "can I bring a friend?"}
    )
    await wait_for(lambda: received, what="a DM")
    assert (
        isinstance(received[0].channel, discord.DMChannel) and received[0].content == "can I bring a friend?"
    )
    await received[0].channel.send("Sure!")
    assert [m["content"] for m in (await control.get("/sandbox/dms/carol"))[1]] == [
        "can I bring a friend?",
        "Sure!",
    ]


async def test_denied_permissions_give_50013(
    sandbox: SandboxServer, connect: ClientFactory, control: Control
) -> None:
    client = await connect(sandbox)
    channel = text_channel(client, GENERAL_ID)
    _, member_msg = await control.post(
        "/sandbox/messages", {"channel_id": GENERAL_ID, "user_id": "bob", "content": "hi"}
    )
    target = await channel.fetch_message(int(member_msg["id"]))
    status, _ = await control.post(
        f"/sandbox/channels/{GENERAL_ID}/permissions",
        {"deny": ["SEND_MESSAGES", "ADD_REACTIONS", "MANAGE_MESSAGES"]},
    )
    assert status == 200
    await wait_for(lambda: not channel.permissions_for(channel.guild.me).send_messages, what="CHANNEL_UPDATE")
    for attempt in (channel.send("hello"), target.add_reaction("✅"), target.delete()):
        with pytest.raises(discord.Forbidden) as caught:
            await attempt
        assert caught.value.code == 50013
    await text_channel(client).send("still fine elsewhere")
    await control.post(f"/sandbox/channels/{GENERAL_ID}/permissions", {"deny": []})
    await wait_for(
        lambda: channel.permissions_for(channel.guild.me).send_messages, what="permissions restored"
    )
    await channel.send("hello again")


async def test_new_member_reaches_client(
    sandbox: SandboxServer, connect: ClientFactory, control: Control
) -> None:
    client = await connect(sandbox)
    joined: list[discord.Member] = []

    async def on_member_join(member: discord.Member) -> None:
        joined.append(member)

    client.event(on_member_join)
    status, body = await control.post(
        "/sandbox/members", {"guild_id": GUILD_ID, "name": "dave", "roles": ["organizer"], "dms_open": False}
    )
    assert status == 201 and body["name"] == "dave" and body["dms_open"] is False
    await wait_for(lambda: joined, what="GUILD_MEMBER_ADD")
    assert joined[0].name == "dave" and [r.name for r in joined[0].roles[1:]] == ["organizer"]
    guild = client.get_guild(GUILD_ID)
    assert guild is not None and guild.member_count == 6
