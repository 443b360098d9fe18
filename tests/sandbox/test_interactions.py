"""Slash commands through POST /sandbox/commands, answered by a real discord.py CommandTree."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from bot.sandbox import SandboxServer
from tests.waiting import wait_for

from .conftest import ANNOUNCE_ID, GENERAL_ID, GUILD_ID, ClientFactory, Control, SandboxFactory, SpecRecorder

GUILD = discord.Object(GUILD_ID)


@dataclass
class Seen:
    """What the commands saw, for assertions."""

    args: dict[str, Any] = field(default_factory=dict)
    errors: list[discord.HTTPException] = field(default_factory=list)
    proceed: asyncio.Event = field(default_factory=asyncio.Event)


def build_tree(client: discord.Client, seen: Seen) -> app_commands.CommandTree[discord.Client]:
    tree = app_commands.CommandTree(client)
    event = app_commands.Group(name="event", description="Meetup events", guild_ids=[GUILD_ID])

    async def names(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        talks = ["Go basics", "Gophers in prod", "Kubernetes 101"]
        return [app_commands.Choice(name=t, value=t) for t in talks if current.lower() in t.lower()]

    @event.command(name="info", description="Show an event")
    @app_commands.autocomplete(name=names)
    async def info(interaction: discord.Interaction, name: str) -> None:
        embed = discord.Embed(title=name, description="Tonight at 7", color=0x2ECC71)
        embed.add_field(name="Where", value="Library")
        await interaction.response.send_message(embed=embed)

    @event.command(name="cancel", description="Cancel an event")
    async def cancel(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(f"No event called {name!r}.", ephemeral=True)

    tree.add_command(event)

    checkin = app_commands.Group(name="checkin", description="Check in", guild_ids=[GUILD_ID])

    @checkin.command(name="undo", description="Undo a check-in")
    async def undo(interaction: discord.Interaction, event_id: int) -> None:
        seen.args["undo"] = event_id
        await interaction.response.send_message(f"undone {event_id}", ephemeral=True)

    tree.add_command(checkin)

    @tree.command(name="typed", description="All option types", guild=GUILD)
    async def typed(
        interaction: discord.Interaction,
        count: int,
        ratio: float,
        flag: bool,
        who: discord.Member,
        where: discord.TextChannel,
        role: discord.Role,
        note: str | None = None,
    ) -> None:
        seen.args.update(count=count, ratio=ratio, flag=flag, who=who, where=where, role=role, note=note)
        await interaction.response.send_message("ok")

    @tree.command(name="report", description="Slow report", guild=GUILD)
    async def report(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await seen.proceed.wait()
        await interaction.edit_original_response(content="3 RSVPs", attachments=[_csv()])

    @tree.command(name="late", description="Answers too late", guild=GUILD)
    async def late(interaction: discord.Interaction) -> None:
        await seen.proceed.wait()
        try:
            await interaction.response.send_message("sorry")
        except discord.HTTPException as exc:
            seen.errors.append(exc)

    @tree.command(name="admin", description="Organizers only", guild=GUILD)
    @app_commands.default_permissions(manage_events=True)
    async def admin(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("admin ok", ephemeral=True)

    return tree


def _csv() -> discord.File:
    import io

    return discord.File(io.BytesIO(b"name,rsvp\nalice,yes\n"), filename="rsvps.csv")


@pytest.fixture
async def bot(sandbox: SandboxServer, connect: ClientFactory) -> tuple[discord.Client, Seen]:
    client = await connect(sandbox)
    seen = Seen()
    tree = build_tree(client, seen)
    await tree.sync(guild=GUILD)
    return client, seen


async def test_command_with_embed(
    bot: tuple[discord.Client, Seen], control: Control, recorder: SpecRecorder
) -> None:
    status, answer = await control.post(
        "/sandbox/commands",
        {
            "guild_id": GUILD_ID,
            "channel_id": ANNOUNCE_ID,
            "user_id": "alice",
            "name": "event info",
            "options": {"name": "Go basics"},
        },
    )
    assert status == 200, answer
    assert answer["type"] == 4 and answer["ephemeral"] is False and answer["deferred"] is False
    assert answer["embeds"][0]["title"] == "Go basics"
    assert answer["embeds"][0]["fields"] == [{"name": "Where", "value": "Library", "inline": True}]
    status, posted = await control.get(f"/sandbox/channels/{ANNOUNCE_ID}/messages")
    assert posted[-1]["interaction"] == "event info" and posted[-1]["embeds"][0]["title"] == "Go basics"
    # discord.py asked with_response=true; the 200 body was checked against InteractionCallbackResponse.
    callback = ("POST", "/interactions/{interaction_id}/{interaction_token}/callback", 200)
    assert callback in recorder.checked_responses
    assert (
        "PUT",
        "/applications/{application_id}/guilds/{guild_id}/commands",
        200,
    ) in recorder.checked_responses


async def test_ephemeral_error_is_not_in_the_channel(
    bot: tuple[discord.Client, Seen], control: Control
) -> None:
    status, answer = await control.post(
        "/sandbox/commands",
        {
            "channel_id": ANNOUNCE_ID,
            "user_id": "bob",
            "name": "event",
            "options": {"cancel": {"name": "Nope"}},
        },
    )
    assert status == 200, answer
    assert answer["ephemeral"] is True and answer["content"] == "No event called 'Nope'."
    _, public = await control.get(f"/sandbox/channels/{ANNOUNCE_ID}/messages")
    assert all("Nope" not in m["content"] for m in public)
    _, everything = await control.get(f"/sandbox/channels/{ANNOUNCE_ID}/messages?include_ephemeral=1")
    assert any("Nope" in m["content"] for m in everything)


async def test_subcommand_by_name_and_typed_options(
    bot: tuple[discord.Client, Seen], control: Control, sandbox: SandboxServer
) -> None:
    _, seen = bot
    status, answer = await control.post(
        "/sandbox/commands",
        {
            "channel_id": ANNOUNCE_ID,
            "user_id": "carol",
            "name": "checkin undo",
            "options": {"event_id": "42"},
        },
    )
    assert status == 200 and answer["content"] == "undone 42" and seen.args["undo"] == 42
    status, answer = await control.post(
        "/sandbox/commands",
        {
            "channel_id": GENERAL_ID,
            "user_id": "alice",
            "name": "typed",
            "options": {
                "count": 3,
                "ratio": 0.5,
                "flag": "true",
                "who": "bob",
                "where": "#general",
                "role": "organizer",
            },
        },
    )
    assert status == 200, answer
    args = seen.args
    assert (args["count"], args["ratio"], args["flag"], args["note"]) == (3, 0.5, True, None)
    assert isinstance(args["who"], discord.Member) and args["who"].name == "bob"
    assert args["where"].id == GENERAL_ID and args["role"].name == "organizer"


async def test_autocomplete(bot: tuple[discord.Client, Seen], control: Control) -> None:
    status, answer = await control.post(
        "/sandbox/commands",
        {
            "channel_id": ANNOUNCE_ID,
            "user_id": "alice",
            "name": "event info",
            "options": {"name": "go"},
            "focused": "name",
        },
    )
    assert status == 200, answer
    assert answer["type"] == 8
    assert [c["value"] for c in answer["choices"]] == ["Go basics", "Gophers in prod"]


async def test_deferred_answer_with_attachment(bot: tuple[discord.Client, Seen], control: Control) -> None:
    _, seen = bot
    call = asyncio.create_task(
        control.post("/sandbox/commands", {"channel_id": ANNOUNCE_ID, "user_id": "olivia", "name": "report"})
    )
    await wait_for(
        lambda: any("[thinking…]" in line for line in control.server.feed_lines), what="loading message"
    )
    assert not call.done()
    seen.proceed.set()
    status, answer = await call
    assert status == 200, answer
    assert answer["deferred"] is True and answer["type"] == 5 and answer["ephemeral"] is True
    assert answer["content"] == "3 RSVPs"
    assert answer["attachments"][0]["filename"] == "rsvps.csv"
    assert answer["attachments"][0]["content"] == "name,rsvp\nalice,yes\n"


async def test_missed_deadline_gives_10062(
    make_sandbox: SandboxFactory, connect: ClientFactory, http: aiohttp.ClientSession
) -> None:
    server = await make_sandbox(interaction_deadline=0.2)
    client = await connect(server)
    seen = Seen()
    await build_tree(client, seen).sync(guild=GUILD)
    control = Control(http, server)
    status, answer = await control.post(
        "/sandbox/commands", {"channel_id": ANNOUNCE_ID, "user_id": "alice", "name": "late"}
    )
    assert status == 504 and answer["error"] == "The application did not respond"
    seen.proceed.set()
    await wait_for(lambda: seen.errors, what="the late answer to fail")
    assert isinstance(seen.errors[0], discord.NotFound) and seen.errors[0].code == 10062


async def test_double_acknowledgement_gives_40060(
    sandbox: SandboxServer, connect: ClientFactory, control: Control, http: aiohttp.ClientSession
) -> None:
    client = await connect(sandbox)
    tree = app_commands.CommandTree(client)
    outcome: list[tuple[int, Any]] = []

    @tree.command(name="twice", description="Answers twice", guild=GUILD)
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("first")
        url = f"{sandbox.api_base_url}/interactions/{interaction.id}/{interaction.token}/callback"
        async with http.post(url, json={"type": 4, "data": {"content": "second"}}) as resp:
            outcome.append((resp.status, await resp.json()))

    await tree.sync(guild=GUILD)
    status, answer = await control.post(
        "/sandbox/commands", {"channel_id": ANNOUNCE_ID, "user_id": "alice", "name": "twice"}
    )
    assert status == 200 and answer["content"] == "first"
    await wait_for(lambda: outcome, what="the second callback")
    assert outcome[0][0] == 400 and outcome[0][1]["code"] == 40060


async def test_command_errors(bot: tuple[discord.Client, Seen], control: Control) -> None:
    status, answer = await control.post(
        "/sandbox/commands", {"channel_id": ANNOUNCE_ID, "user_id": "alice", "name": "nope"}
    )
    assert status == 404 and "unknown command /nope" in answer["error"] and "event" in answer["error"]
    status, answer = await control.post(
        "/sandbox/commands", {"channel_id": ANNOUNCE_ID, "user_id": "alice", "name": "checkin undo"}
    )
    assert status == 400 and "event_id" in answer["error"]
    status, answer = await control.post(
        "/sandbox/commands",
        {"channel_id": ANNOUNCE_ID, "user_id": "alice", "name": "event info", "options": {"bogus": 1}},
    )
    assert status == 400 and "bogus" in answer["error"]
    status, answer = await control.post(
        "/sandbox/commands", {"channel_id": ANNOUNCE_ID, "user_id": "alice", "name": "admin"}
    )
    assert status == 403 and "default_member_permissions" in answer["error"]
    status, answer = await control.post(
        "/sandbox/commands", {"channel_id": ANNOUNCE_ID, "user_id": "olivia", "name": "admin"}
    )
    assert status == 200 and answer["content"] == "admin ok"


async def test_command_registered_for_another_guild(
    bot: tuple[discord.Client, Seen], control: Control, sandbox: SandboxServer
) -> None:
    commands = sandbox.state.commands
    commands[9999] = commands.pop(GUILD_ID)
    status, answer = await control.post(
        "/sandbox/commands", {"channel_id": ANNOUNCE_ID, "user_id": "alice", "name": "typed"}
    )
    assert status == 403 and "9999" in answer["error"]


async def test_followups_and_original(
    sandbox: SandboxServer, connect: ClientFactory, control: Control, recorder: SpecRecorder
) -> None:
    client = await connect(sandbox)
    tree = app_commands.CommandTree(client)
    fetched: list[discord.InteractionMessage] = []

    @tree.command(name="multi", description="Answer then follow up", guild=GUILD)
    async def multi(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("first")
        fetched.append(await interaction.original_response())
        await interaction.followup.send("only you see this", ephemeral=True)
        await interaction.followup.send("for everyone")

    await tree.sync(guild=GUILD)
    status, answer = await control.post(
        "/sandbox/commands", {"channel_id": ANNOUNCE_ID, "user_id": "bob", "name": "multi"}
    )
    assert status == 200 and answer["content"] == "first"
    await wait_for(
        lambda: any("for everyone" in line for line in sandbox.feed_lines), what="the last followup"
    )
    assert fetched[0].content == "first"
    _, public = await control.get(f"/sandbox/channels/{ANNOUNCE_ID}/messages")
    assert [m["content"] for m in public] == ["first", "for everyone"]
    routes = {(m, r) for m, r, _ in recorder.checked_responses}
    assert ("POST", "/webhooks/{webhook_id}/{webhook_token}") in routes
    assert ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/@original") in routes


class RsvpView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Going", custom_id="rsvp:yes")
    async def going(self, interaction: discord.Interaction, button: discord.ui.Button[RsvpView]) -> None:
        await interaction.response.edit_message(content=f"Going: {interaction.user.name}")


async def test_button_click_updates_message(
    sandbox: SandboxServer, connect: ClientFactory, control: Control
) -> None:
    client = await connect(sandbox)
    channel = client.get_channel(ANNOUNCE_ID)
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send("Meetup Thursday", view=RsvpView())
    click = {"channel_id": ANNOUNCE_ID, "user_id": "carol", "message_id": message.id, "custom_id": "rsvp:yes"}
    status, answer = await control.post("/sandbox/components", click)
    assert status == 200, answer
    assert answer["type"] == 7 and answer["content"] == "Going: carol"
    status, answer = await control.post("/sandbox/components", {**click, "custom_id": "rsvp:maybe"})
    assert status == 404 and "rsvp:maybe" in answer["error"]


async def test_first_followup_after_defer_fills_the_loading_message(
    sandbox: SandboxServer, connect: ClientFactory, control: Control
) -> None:
    client = await connect(sandbox)
    tree = app_commands.CommandTree(client)

    @tree.command(name="count", description="Deferred, answered by a followup", guild=GUILD)
    async def count(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.followup.send("12 going")

    await tree.sync(guild=GUILD)
    status, answer = await control.post(
        "/sandbox/commands", {"channel_id": ANNOUNCE_ID, "user_id": "bob", "name": "count"}
    )
    assert status == 200 and answer["deferred"] is True and answer["content"] == "12 going"
    _, public = await control.get(f"/sandbox/channels/{ANNOUNCE_ID}/messages")
    assert [m["content"] for m in public] == ["12 going"]  # the loading message was edited, not a second one
    assert public[0]["flags"] == 0
