"""/rsvp, /my-rsvps and the organizers' /rsvps through the sandbox; and RSVPs without Manage Messages."""

from __future__ import annotations

import csv
import io

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.application import Application
from bot.sandbox import SandboxServer
from tests.e2e.conftest import Member
from tests.e2e.rsvp.conftest import CHANNELS, GUILDS, STLGO, Reactor, announce, statuses
from tests.rsvp.conftest import insert_event
from tests.waiting import wait_for, wait_for_async

GUILD, CHANNEL = GUILDS[STLGO], CHANNELS[STLGO]


async def test_rsvp_command_my_rsvps_and_the_organizers_list(
    rsvp_app: Application,
    sessions: async_sessionmaker[AsyncSession],
    http: aiohttp.ClientSession,
    sandbox: SandboxServer,
    reactor: Reactor,
) -> None:
    event_id = await insert_event(sessions, "tiny", capacity=1, title="Tiny Talk")
    message = await announce(rsvp_app, sessions, event_id, STLGO, "Tiny Talk")
    alice, bob, olivia = (Member(http, sandbox, n) for n in ("alice", "bob", "olivia"))

    await reactor.react("alice", message, "🤔")
    await wait_for_async(lambda: _is(sessions, event_id, {alice.id: "maybe"}), what="alice maybe")
    going = await alice.command("rsvp", GUILD, CHANNEL, slug="tiny", status="going")
    assert going["ephemeral"] and going["content"] == "You're going to **Tiny Talk**."
    await wait_for(lambda: alice.id not in reactor.reactions(message).get("🤔", []), what="her 🤔 removed")
    waiting = await bob.command("rsvp", GUILD, CHANNEL, slug="tiny", status="going")
    assert "on the waitlist at place 1" in waiting["content"]
    assert await reactor.dms(bob.id) == []  # the answer told him; no DM on top

    choices = await bob.command("rsvp", GUILD, CHANNEL, focused="slug", slug="tin", status="going")
    assert [c["value"] for c in choices["choices"]] == ["tiny"]
    mine = await bob.command("my-rsvps", GUILD, CHANNEL)
    assert (
        mine["ephemeral"] and "**Tiny Talk**" in mine["content"] and "Waitlist (place 1)" in mine["content"]
    )

    refused = await bob.command("rsvps", GUILD, CHANNEL, slug="tiny")
    assert (
        refused["ephemeral"]
        and refused["content"] == "Only StLGo organizers can see the RSVP list. Nothing was changed."
    )
    listed = await olivia.command("rsvps", GUILD, CHANNEL, slug="tiny")
    assert listed["ephemeral"]
    fields = {f["name"]: f["value"] for f in listed["embeds"][0]["fields"]}
    assert fields == {"Going (1)": "Alice", "Waitlist (1)": "1. Bob"}
    (attachment,) = listed["attachments"]
    rows = list(csv.DictReader(io.StringIO(attachment["content"])))
    assert [(r["user_id"], r["status"], r["position"]) for r in rows] == [
        (str(alice.id), "going", ""),
        (str(bob.id), "waitlist", "1"),
    ]
    unknown = await alice.command("rsvp", GUILD, CHANNEL, slug="nope", status="going")
    assert unknown["ephemeral"] and "No event is called `nope`" in unknown["content"]


async def test_without_manage_messages_only_the_latest_reaction_counts(
    rsvp_app: Application,
    sessions: async_sessionmaker[AsyncSession],
    http: aiohttp.ClientSession,
    sandbox: SandboxServer,
    reactor: Reactor,
) -> None:
    event_id = await insert_event(sessions, "plain", title="Plain Talk")
    message = await announce(rsvp_app, sessions, event_id, STLGO, "Plain Talk")
    url = f"{sandbox.url}/sandbox/channels/{CHANNEL}/permissions"
    async with http.post(url, json={"deny": ["MANAGE_MESSAGES"]}) as response:
        assert response.status == 200
    carol = reactor.id("carol")
    await reactor.react("carol", message, "✅")
    await wait_for_async(lambda: _is(sessions, event_id, {carol: "going"}), what="carol going")
    await reactor.react("carol", message, "❌")
    await wait_for_async(lambda: _is(sessions, event_id, {carol: "not_going"}), what="carol not going")
    assert carol in reactor.reactions(message)["✅"]  # the bot could not remove it; it no longer counts
    await reactor.react("carol", message, "✅", action="remove")  # removing the stale one changes nothing
    await reactor.react("carol", message, "🤔")
    await wait_for_async(lambda: _is(sessions, event_id, {carol: "maybe"}), what="carol maybe")


async def _is(sessions: async_sessionmaker[AsyncSession], event_id: int, expected: dict[int, str]) -> bool:
    return await statuses(sessions, event_id) == expected
