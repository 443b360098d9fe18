"""The spec checks used by every sandbox test can fail, and discord.ext.commands works end to end."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot.sandbox import SandboxServer
from bot.sandbox.models import Message
from tests.waiting import wait_for

from .conftest import ANNOUNCE_ID, ClientFactory, Control, SpecRecorder
from .spec import OpenApiSpec


def test_response_check_catches_a_bad_message(spec: OpenApiSpec) -> None:
    recorder = SpecRecorder(spec)
    recorder.observe_response("GET", "/channels/{channel_id}/messages/{message_id}", 200, {"id": "1"})
    assert any("'author' is a required property" in p for p in recorder.response_problems)
    recorder.observe_response("POST", "/channels/{channel_id}/messages", 400, {"code": 50035, "errors": {}})
    assert any("Invalid" in p or "non-empty" in p or "message" in p for p in recorder.response_problems[1:])


def test_request_check_names_the_field(spec: OpenApiSpec) -> None:
    problems = spec.request_problems("PATCH", "/channels/{channel_id}/messages/{message_id}", {"embeds": "x"})
    assert problems and list(problems[0][0]) == ["embeds"]
    assert (
        spec.request_problems("POST", "/channels/{channel_id}/messages", {"content": "ok", "nonce": "123"})
        == []
    )


class SandboxBot(commands.Bot):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


async def test_prefix_command_with_commands_bot(
    sandbox: SandboxServer, connect: ClientFactory, control: Control
) -> None:
    bot = await connect(sandbox, cls=SandboxBot, command_prefix="!")
    assert isinstance(bot, commands.Bot)

    @bot.command(name="ping")
    async def ping(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.reply("pong", mention_author=False)

    _, asked = await control.post(
        "/sandbox/messages", {"channel_id": ANNOUNCE_ID, "user_id": "bob", "content": "!ping"}
    )

    channel = sandbox.state.channels[ANNOUNCE_ID]

    def replies() -> list[Message]:
        return [m for m in sandbox.state.channel_messages(channel) if m.author_id == sandbox.bot_user_id]

    answer = (await wait_for(replies, what="the pong reply"))[0]
    assert answer.content == "pong"
    assert answer.message_reference is not None and answer.message_reference["message_id"] == asked["id"]
    assert isinstance(bot.get_channel(ANNOUNCE_ID), discord.TextChannel)
