"""Messages from a real discord.py client: nonces, mentions, replies, files, edits, history."""

from __future__ import annotations

import io

import discord

from bot.sandbox import SandboxServer
from tests.waiting import wait_for

from .conftest import ANNOUNCE_ID, GENERAL_ID, ORGANIZER_ROLE_ID, ClientFactory, Control, member_id


def channel(client: discord.Client, channel_id: int = ANNOUNCE_ID) -> discord.TextChannel:
    found = client.get_channel(channel_id)
    assert isinstance(found, discord.TextChannel)
    return found


async def test_enforced_nonce_posts_once(
    sandbox: SandboxServer, connect: ClientFactory, control: Control
) -> None:
    client = await connect(sandbox)
    first = await channel(client).send("RSVP open", nonce="rsvp-2024-05")
    again = await channel(client).send("RSVP open", nonce="rsvp-2024-05")
    assert first.id == again.id and first.nonce == "rsvp-2024-05"
    _, posted = await control.get(f"/sandbox/channels/{ANNOUNCE_ID}/messages")
    assert [m["content"] for m in posted] == ["RSVP open"]
    other = await channel(client).send("RSVP open", nonce="rsvp-2024-06")
    assert other.id != first.id


async def test_allowed_mentions_none_pings_nobody(
    sandbox: SandboxServer, connect: ClientFactory, control: Control
) -> None:
    client = await connect(sandbox)
    alice = member_id(sandbox, "alice")
    text = f"@everyone <@&{ORGANIZER_ROLE_ID}> <@{alice}> meetup tonight"
    quiet = await channel(client).send(text, allowed_mentions=discord.AllowedMentions.none())
    assert quiet.mention_everyone is False and quiet.role_mentions == [] and quiet.mentions == []
    loud = await channel(client).send(text)
    assert loud.mention_everyone is True
    assert [r.id for r in loud.role_mentions] == [ORGANIZER_ROLE_ID] and [u.id for u in loud.mentions] == [
        alice
    ]
    only_role = await channel(client).send(
        text, allowed_mentions=discord.AllowedMentions(everyone=False, users=False)
    )
    assert only_role.mention_everyone is False and [r.id for r in only_role.role_mentions] == [
        ORGANIZER_ROLE_ID
    ]
    _, posted = await control.get(f"/sandbox/channels/{ANNOUNCE_ID}/messages")
    assert posted[0]["mentions"]["pinged"] == []
    assert set(posted[1]["mentions"]["pinged"]) == {"alice", "bob", "carol", "olivia", "meetup-bot"}
    assert posted[2]["mentions"]["pinged"] == ["olivia"]


async def test_reply_file_edit_delete_reach_the_client(
    sandbox: SandboxServer, connect: ClientFactory, control: Control
) -> None:
    client = await connect(sandbox)
    events: list[str] = []

    async def on_raw_message_edit(payload: discord.RawMessageUpdateEvent) -> None:
        events.append(f"edit {payload.data['content']}")

    async def on_raw_message_delete(payload: discord.RawMessageDeleteEvent) -> None:
        events.append(f"delete {payload.message_id}")

    client.event(on_raw_message_edit)
    client.event(on_raw_message_delete)
    status, asked = await control.post(
        "/sandbox/messages", {"channel_id": GENERAL_ID, "user_id": "carol", "content": "who is coming?"}
    )
    assert status == 201
    question = await channel(client, GENERAL_ID).fetch_message(int(asked["id"]))
    csv = discord.File(io.BytesIO(b"name,rsvp\nalice,yes\nbob,no\n"), filename="rsvps.csv")
    reply = await question.reply("Here you go", file=csv, mention_author=False)
    assert reply.reference is not None and reply.reference.message_id == question.id
    assert reply.type is discord.MessageType.reply and reply.mentions == []
    assert await reply.attachments[0].read() == b"name,rsvp\nalice,yes\nbob,no\n"
    _, posted = await control.get(f"/sandbox/channels/{GENERAL_ID}/messages")
    assert posted[-1]["attachments"][0]["content"].splitlines()[1] == "alice,yes"
    assert posted[-1]["attachments"][0]["content_type"].startswith("text/csv")
    await reply.edit(content="Here you go (updated)")
    await reply.delete()
    await wait_for(lambda: len(events) == 2, what="edit and delete events")
    assert events == ["edit Here you go (updated)", f"delete {reply.id}"]
    _, posted = await control.get(f"/sandbox/channels/{GENERAL_ID}/messages")
    assert [m["content"] for m in posted] == ["who is coming?"]


async def test_member_message_reaches_client_and_history_pages(
    sandbox: SandboxServer, connect: ClientFactory, control: Control
) -> None:
    client = await connect(sandbox)
    received: list[discord.Message] = []

    async def on_message(message: discord.Message) -> None:
        received.append(message)

    client.event(on_message)
    for n in range(7):
        await control.post(
            "/sandbox/messages", {"channel_id": ANNOUNCE_ID, "user_id": "alice", "content": f"m{n}"}
        )
    await wait_for(lambda: len(received) == 7, what="7 messages")
    assert received[0].author.name == "alice" and isinstance(received[0].author, discord.Member)
    newest_first = [m.content async for m in channel(client).history(limit=None)]
    assert newest_first == [f"m{n}" for n in reversed(range(7))]
    oldest_first = [
        m.content async for m in channel(client).history(limit=3, after=received[1], oldest_first=True)
    ]
    assert oldest_first == ["m2", "m3", "m4"]


async def test_without_message_content_intent_content_is_empty(
    sandbox: SandboxServer, connect: ClientFactory, control: Control
) -> None:
    intents = discord.Intents.default()
    client = await connect(sandbox, intents=intents)
    received: list[discord.Message] = []

    async def on_message(message: discord.Message) -> None:
        received.append(message)

    client.event(on_message)
    await control.post(
        "/sandbox/messages", {"channel_id": ANNOUNCE_ID, "user_id": "alice", "content": "secret"}
    )
    await control.post(
        "/sandbox/messages",
        {"channel_id": ANNOUNCE_ID, "user_id": "alice", "content": f"<@{sandbox.bot_user_id}> hello bot"},
    )
    await wait_for(lambda: len(received) == 2, what="2 messages")
    assert [m.content for m in received] == ["", f"<@{sandbox.bot_user_id}> hello bot"]
