"""Members who left two RSVP reactions while the bot was stopped (issue 11, item 3): the real bot over sockets.

The bot is stopped, members react through the sandbox control API as they would in Discord, the bot starts
again: the database gets the member's most recent intent (see bot.rsvp.service.choose_observed), the
superseded reaction is taken off the announcement, the waitlist moves up, and the member gets one DM.
"""

from __future__ import annotations

import logging

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.application import Application
from bot.sandbox import SandboxServer
from tests.e2e.rsvp.conftest import CHANNELS, STLGO, Reactor, StartApp, announce, cog, statuses
from tests.rsvp.conftest import insert_event
from tests.waiting import wait_for, wait_for_async


async def _dms(reactor: Reactor, user_id: int, n: int, about: str = "") -> list[str]:
    """The member's DMs starting with `about` once there are at least `n` (else [], so waiting goes on).

    (DMs are filtered: the scheduler may also DM a member about the bare test events, which it sees as new.)
    """
    found = [text for text in await reactor.dms(user_id) if text.startswith(about)]
    return found if len(found) >= n else []


EXPLAINED = "You had reacted"


async def _resume_reconciles_again(app: Application, sandbox: SandboxServer) -> None:
    """A gateway drop and RESUME: the bot reconciles once more (and must find nothing left to fix)."""
    before = len(cog(app).reconciled)
    await sandbox.drop_gateway(resumable=True)
    await wait_for(lambda: len(cog(app).reconciled) > before, timeout=15, what="reconciliation after RESUME")


async def test_a_no_added_to_a_going_while_away_frees_the_seat_for_the_waitlist(
    start_app: StartApp, sessions: async_sessionmaker[AsyncSession], reactor: Reactor, sandbox: SandboxServer
) -> None:
    first: Application = await start_app()
    event_id = await insert_event(sessions, "full", capacity=1, title="Full Room")
    message = await announce(first, sessions, event_id, STLGO, "Full Room")
    alice, bob = reactor.id("alice"), reactor.id("bob")
    await reactor.react("alice", message, "✅")
    await wait_for_async(lambda: _dms(reactor, alice, 1), what="alice told she is going")
    await reactor.react("bob", message, "✅")
    await wait_for_async(lambda: _dms(reactor, bob, 1), what="bob told he is waitlisted")
    assert await statuses(sessions, event_id) == {alice: "going", bob: "waitlist"}
    await first.close()

    await reactor.react("alice", message, "❌")  # her ✅ is still there: Discord now shows both

    second: Application = await start_app()
    await wait_for(lambda: cog(second).reconciled, what="reconciliation at start-up")
    assert await statuses(sessions, event_id) == {alice: "not_going", bob: "going"}
    await wait_for(lambda: alice not in reactor.reactions(message).get("✅", []), what="her ✅ taken off")
    assert reactor.reactions(message)["❌"] == [alice]
    (told,) = await wait_for_async(
        lambda: _dms(reactor, alice, 1, EXPLAINED), what="alice told what was kept"
    )
    assert told == (
        "You had reacted ✅ and ❌ on **Full Room** while the bot was offline; we recorded ❌ not going (the "
        "reaction that differs from your earlier answer is the newer one). React again to change it."
    )
    promoted = "Good news: a place opened up"
    await wait_for_async(lambda: _dms(reactor, bob, 1, promoted), what="bob told he moved up")

    await _resume_reconciles_again(second, sandbox)
    assert [s.conflicts for s in cog(second).reconciled[-1]] == [[]]
    assert await statuses(sessions, event_id) == {alice: "not_going", bob: "going"}
    assert len(await _dms(reactor, alice, 1, EXPLAINED)) == 1  # told once


async def test_both_reactions_and_no_answer_yet_records_not_going(
    start_app: StartApp, sessions: async_sessionmaker[AsyncSession], reactor: Reactor
) -> None:
    first: Application = await start_app()
    event_id = await insert_event(sessions, "two", capacity=2, title="Two Seats")
    message = await announce(first, sessions, event_id, STLGO, "Two Seats")
    await first.close()
    carol = reactor.id("carol")
    await reactor.react("carol", message, "✅")
    await reactor.react("carol", message, "❌")

    second: Application = await start_app()
    await wait_for(lambda: cog(second).reconciled, what="reconciliation at start-up")
    assert await statuses(sessions, event_id) == {carol: "not_going"}  # no seat held for a possible "no"
    await wait_for(lambda: carol not in reactor.reactions(message).get("✅", []), what="her ✅ taken off")
    (told,) = await wait_for_async(
        lambda: _dms(reactor, carol, 1, EXPLAINED), what="carol told what was kept"
    )
    assert told.startswith(
        "You had reacted ✅ and ❌ on **Two Seats** while the bot was offline; we recorded ❌"
    )


async def test_without_manage_messages_leftover_reactions_do_not_flip_an_answer(
    start_app: StartApp,
    sessions: async_sessionmaker[AsyncSession],
    reactor: Reactor,
    sandbox: SandboxServer,
    http: aiohttp.ClientSession,
) -> None:
    """The bot cannot take a switched member's old ✅ off: at the next start the stored ❌ still counts."""
    deny = {"deny": ["MANAGE_MESSAGES"]}
    url = f"{sandbox.url}/sandbox/channels/{CHANNELS[STLGO]}/permissions"
    async with http.post(url, json=deny) as response:
        assert response.status == 200, await response.text()
    first: Application = await start_app()
    event_id = await insert_event(sessions, "kept", title="Kept Talk")
    message = await announce(first, sessions, event_id, STLGO, "Kept Talk")
    alice = reactor.id("alice")
    await reactor.react("alice", message, "✅")
    await wait_for_async(lambda: _dms(reactor, alice, 1), what="alice going")
    await reactor.react("alice", message, "❌")
    await wait_for_async(
        lambda: _is(sessions, event_id, {alice: "not_going"}), what="alice switched to not going"
    )
    await first.close()
    assert sorted(r for r, users in reactor.reactions(message).items() if alice in users) == ["✅", "❌"]

    second: Application = await start_app()
    await wait_for(lambda: cog(second).reconciled, what="reconciliation at start-up")
    assert await statuses(sessions, event_id) == {alice: "not_going"}
    assert await _dms(reactor, alice, 1, EXPLAINED) == []


async def test_a_leftover_the_bot_failed_to_remove_is_not_taken_for_a_new_answer(
    rsvp_app: Application,
    sessions: async_sessionmaker[AsyncSession],
    reactor: Reactor,
    sandbox: SandboxServer,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A live switch ✅ → ❌ whose ✅ removal failed (a 5xx): a reconciliation after RESUME keeps ❌."""
    caplog.set_level(logging.INFO, logger="bot.discord_app.rsvp_effects")
    event_id = await insert_event(sessions, "left", title="Leftover Talk")
    message = await announce(rsvp_app, sessions, event_id, STLGO, "Leftover Talk")
    alice = reactor.id("alice")
    await reactor.react("alice", message, "✅")
    await wait_for_async(lambda: _is(sessions, event_id, {alice: "going"}), what="alice going")
    route = "DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/{user_id}"
    async with http.post(f"{sandbox.url}/sandbox/faults", json={"route": route, "status": 503}) as response:
        assert response.status == 200, await response.text()
    await reactor.react("alice", message, "❌")
    await wait_for_async(lambda: _is(sessions, event_id, {alice: "not_going"}), what="alice not going")
    await wait_for(
        lambda: any("could not remove a reaction" in r.message for r in caplog.records),
        what="the removal to fail",
    )
    assert alice in reactor.reactions(message)["✅"]  # the leftover is still there

    await _resume_reconciles_again(rsvp_app, sandbox)
    assert await statuses(sessions, event_id) == {alice: "not_going"}


async def _is(sessions: async_sessionmaker[AsyncSession], event_id: int, expected: dict[int, str]) -> bool:
    return await statuses(sessions, event_id) == expected
