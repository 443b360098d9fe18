"""Whoever can merge an event file writes its title, so mentions in it must stay text: no answer, post or
edit of the bot pings anyone, except a reminder pinging the configured role.

The sandbox computes who a message pings from its content and `allowed_mentions`, as Discord does.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.clock import ManualClock
from bot.sandbox import SandboxServer
from bot.sandbox.models import Message
from tests.conftest import BASE_CONFIG
from tests.e2e.announcements.conftest import (
    STLGO_CHANNEL,
    STLGO_GUILD,
    Publish,
    StartBot,
    bot_messages,
    day_after,
)
from tests.e2e.conftest import Member

ROLE = 100000000000000003  # StLGo's organizer role: mentionable, and the role reminders may ping


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    (tmp_path / "events").mkdir()
    path = tmp_path / "config.yaml"
    path.write_text(
        BASE_CONFIG.replace(
            "    organizer_role_id: 100000000000000003\n",
            f"    organizer_role_id: 100000000000000003\n    announcements:\n      mention_role_id: {ROLE}\n",
            1,
        )
    )
    return path


def pings(message: Message) -> tuple[list[int], list[int], bool]:
    return message.mentions.users, message.mentions.roles, message.mentions.everyone


def answer_pings(answer: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = answer["mentions"]
    return {key: found.get(key) for key in ("users", "roles", "everyone")}


NOBODY = {"users": [], "roles": [], "everyone": False}


async def test_mentions_in_an_event_title_ping_nobody(
    start_bot: StartBot,
    publish: Publish,
    clock: ManualClock,
    sandbox: SandboxServer,
    http: aiohttp.ClientSession,
    alice: Member,
) -> None:
    bob = sandbox.state.find_user("bob")
    assert bob is not None
    title = f"Go night with <@{bob.id}> and <@&{ROLE}> @everyone"
    start = (await publish("loud", when=day_after(10), title=title)).starts_at
    clock.set(start - timedelta(days=7))
    app = await start_bot()
    await app.scheduler.run_due()  # the announcement

    for name, options in (("next-event", {}), ("events", {}), ("event", {"slug": "loud"}), ("agenda", {})):
        answer = await alice.command(name, STLGO_GUILD, STLGO_CHANNEL, **options)
        assert answer_pings(answer) == NOBODY, (name, answer["content"])
    olivia = Member(http, sandbox, "olivia")
    answer = await olivia.command("announce", STLGO_GUILD, STLGO_CHANNEL, slug="loud")
    assert answer_pings(answer) == NOBODY, answer["content"]

    clock.set(start - timedelta(days=1))
    await app.scheduler.run_due()  # the 1-day reminder
    clock.set(start)
    await app.scheduler.run_due()  # the first agenda item
    messages = bot_messages(sandbox, STLGO_CHANNEL)  # answers, announcement, 1-day reminder, agenda
    posted = [m.content for m in messages if m.interaction_name is None]
    starts = ("📣 New meetup", f"<@&{ROLE}> ⏰ Reminder", "🕒 Now at")
    assert len(posted) == len(starts) and all(t.startswith(s) for t, s in zip(posted, starts, strict=True))
    assert all(f"<@{bob.id}>" in text for text in posted)
    for message in messages:
        if "⏰ Reminder" in message.content:
            assert message.content.startswith(f"<@&{ROLE}> ")
            assert pings(message) == ([], [ROLE], False)  # the configured role; not bob, not @everyone
        else:
            assert pings(message) == ([], [], False), message.content
