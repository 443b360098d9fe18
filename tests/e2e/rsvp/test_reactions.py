"""RSVP by reactions through the sandbox: the real bot, real sockets, a real SQLite file."""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.application import Application
from bot.clock import ManualClock
from bot.config import RsvpEmojis
from bot.db.models import Rsvp
from bot.discord_app.embeds import rsvp_line
from bot.rsvp.counts import RsvpCounts, rsvp_counts
from bot.sandbox import SandboxServer
from tests.e2e.rsvp.conftest import KCN, STLGO, Reactor, StartApp, announce, cog, statuses
from tests.rsvp.conftest import insert_event
from tests.waiting import wait_for, wait_for_async


async def test_switching_and_removing_keeps_one_answer_and_one_reaction(
    rsvp_app: Application, sessions: async_sessionmaker[AsyncSession], reactor: Reactor
) -> None:
    event_id = await insert_event(sessions, "talk", title="Switch Talk")
    message = await announce(rsvp_app, sessions, event_id, STLGO, "Switch Talk")
    alice = reactor.id("alice")

    await reactor.react("alice", message, "✅")
    await wait_for_async(lambda: _is(sessions, event_id, {alice: "going"}), what="alice going")
    await reactor.react("alice", message, "❌")
    await wait_for_async(lambda: _is(sessions, event_id, {alice: "not_going"}), what="alice not going")
    await wait_for(
        lambda: alice not in reactor.reactions(message).get("✅", []), what="her ✅ removed by the bot"
    )
    await reactor.react("alice", message, "🤔")
    await wait_for_async(lambda: _is(sessions, event_id, {alice: "maybe"}), what="alice maybe")
    await wait_for(lambda: alice not in reactor.reactions(message).get("❌", []), what="her ❌ removed")
    assert reactor.reactions(message)["🤔"] == [alice]

    await reactor.react("alice", message, "🎉")  # other emojis are ignored and left alone
    await reactor.react("alice", message, "🤔", action="remove")
    await wait_for_async(lambda: _is(sessions, event_id, {}), what="her RSVP removed")
    assert reactor.reactions(message)["🎉"] == [alice]
    dms = await reactor.dms(alice)
    assert len(dms) == 1 and "You're going to **Switch Talk**" in dms[0]  # told once


async def test_capacity_waitlist_promotion_and_closed_dms(
    rsvp_app: Application, sessions: async_sessionmaker[AsyncSession], reactor: Reactor
) -> None:
    event_id = await insert_event(sessions, "small", capacity=1, title="Small Room")
    message = await announce(rsvp_app, sessions, event_id, STLGO, "Small Room")
    alice, bob = reactor.id("alice"), reactor.id("bob")
    dora = await reactor.member("dora", dms_open=False)

    for who in ("alice", "bob", dora):
        await reactor.react(who, message, "✅")
    await wait_for_async(
        lambda: _is(sessions, event_id, {alice: "going", bob: "waitlist", dora: "waitlist"}), what="waitlist"
    )
    await wait_for_async(lambda: _dm_count(reactor, bob, 1), what="bob told his place")
    assert "on the waitlist at place 1" in (await reactor.dms(bob))[0]

    await reactor.react("alice", message, "✅", action="remove")
    await wait_for_async(
        lambda: _is(sessions, event_id, {bob: "going", dora: "waitlist"}), what="bob promoted"
    )
    await wait_for_async(lambda: _dm_count(reactor, bob, 2), what="bob told he moved up")
    assert "moved from the waitlist to **going**" in (await reactor.dms(bob))[1]

    await reactor.react("bob", message, "❌")
    await wait_for_async(
        lambda: _is(sessions, event_id, {bob: "not_going", dora: "going"}), what="dora promoted"
    )
    await wait_for_async(lambda: _dm_failed(sessions, event_id, dora), what="dora's closed DMs recorded")
    assert await reactor.dms(dora) == []


async def test_cohosted_event_counts_one_person_per_member_and_per_group(
    rsvp_app: Application, sessions: async_sessionmaker[AsyncSession], reactor: Reactor
) -> None:
    event_id = await insert_event(sessions, "joint", groups=(STLGO, KCN), title="Joint Meetup")
    stl = await announce(rsvp_app, sessions, event_id, STLGO, "Joint Meetup")
    kcn = await announce(rsvp_app, sessions, event_id, KCN, "Joint Meetup")
    alice, bob, carol = reactor.id("alice"), reactor.id("bob"), reactor.id("carol")

    await reactor.react("alice", stl, "✅")
    await wait_for_async(lambda: _is(sessions, event_id, {alice: "going"}), what="alice going")
    await reactor.react("alice", kcn, "✅", group=KCN)
    await reactor.react("bob", stl, "🤔")
    await reactor.react("carol", kcn, "✅", group=KCN)
    await wait_for_async(
        lambda: _is(sessions, event_id, {alice: "going", bob: "maybe", carol: "going"}), what="three answers"
    )
    await wait_for(lambda: alice not in reactor.reactions(stl).get("✅", []), what="alice's StLGo ✅ removed")
    async with sessions() as session:
        counts = await rsvp_counts(session, event_id)
    assert (counts.going, counts.maybe) == (2, 1)
    assert counts.by_group[KCN]["going"] == 2 and counts.by_group[STLGO]["maybe"] == 1


async def test_reactions_after_the_end_are_removed_and_not_counted(
    rsvp_app: Application, sessions: async_sessionmaker[AsyncSession], reactor: Reactor, clock: ManualClock
) -> None:
    event_id = await insert_event(sessions, "over", title="Over Talk")
    message = await announce(rsvp_app, sessions, event_id, STLGO, "Over Talk")
    clock.advance(timedelta(days=8))  # the event ended
    await reactor.react("alice", message, "✅")
    await wait_for(lambda: reactor.reactions(message).get("✅") in ([], None), what="the late ✅ removed")
    assert await statuses(sessions, event_id) == {}


async def test_reactions_while_the_bot_was_stopped_are_reconciled_at_start(
    start_app: StartApp, sessions: async_sessionmaker[AsyncSession], reactor: Reactor
) -> None:
    first: Application = await start_app()
    event_id = await insert_event(sessions, "later", title="Later Talk")
    message = await announce(first, sessions, event_id, STLGO, "Later Talk")
    alice, bob, carol = reactor.id("alice"), reactor.id("bob"), reactor.id("carol")
    await reactor.react("alice", message, "✅")
    await reactor.react("bob", message, "🤔")
    await wait_for_async(lambda: _is(sessions, event_id, {alice: "going", bob: "maybe"}), what="two answers")
    await first.close()

    await reactor.react("alice", message, "✅", action="remove")
    await reactor.react("carol", message, "✅")
    await reactor.react("bob", message, "🤔", action="remove")
    await reactor.react("bob", message, "❌")

    second: Application = await start_app()
    await wait_for(lambda: cog(second).reconciled, timeout=20, what="reconciliation at start-up")
    assert await statuses(sessions, event_id) == {carol: "going", bob: "not_going"}
    (summary,) = cog(second).reconciled[0]
    assert (summary.added, summary.removed, summary.changed) == (1, 1, 1)
    await wait_for_async(lambda: _dm_count(reactor, carol, 1), what="carol told she is going")


async def test_gateway_drop_mid_burst_loses_nothing(
    rsvp_app: Application,
    sessions: async_sessionmaker[AsyncSession],
    reactor: Reactor,
    sandbox: SandboxServer,
) -> None:
    event_id = await insert_event(sessions, "burst", capacity=10, title="Burst Talk")
    message = await announce(rsvp_app, sessions, event_id, STLGO, "Burst Talk")
    members = [await reactor.member(f"m{i:02d}") for i in range(30)]
    for user in members[:15]:
        await reactor.react(user, message, "✅")
    sandbox.gateway.accepting.clear()  # the bot cannot reconnect until we let it
    await sandbox.drop_gateway(resumable=True)
    for user in members[15:]:
        await reactor.react(user, message, "✅")
    sandbox.gateway.accepting.set()
    await wait_for_async(lambda: _count(sessions, event_id, 30), timeout=10, what="all 30 RSVPs after RESUME")
    found = await statuses(sessions, event_id)
    assert sorted(u for u, s in found.items() if s == "going") == sorted(members[:10])
    async with sessions() as session:
        waitlist = (
            await session.scalars(
                select(Rsvp.user_id)
                .where(Rsvp.event_id == event_id, Rsvp.status == "waitlist")
                .order_by(Rsvp.queue_seq)
            )
        ).all()
    assert list(waitlist) == members[10:]  # in the order the reactions were made, across the drop


async def test_a_burst_gives_few_edits_and_the_last_shows_exact_counts(
    rsvp_app: Application,
    sessions: async_sessionmaker[AsyncSession],
    reactor: Reactor,
    sandbox: SandboxServer,
) -> None:
    edits: list[str] = []
    sandbox.on_feed(lambda line: edits.append(line) if " edited: " in line else None)
    event_id = await insert_event(sessions, "crowd", capacity=20, title="Crowd Talk")
    message = await announce(rsvp_app, sessions, event_id, STLGO, "Crowd Talk")
    members = [await reactor.member(f"c{i:02d}") for i in range(40)]
    for i, user in enumerate(members):
        await reactor.react(user, message, "✅" if i % 4 else "🤔")
    # 30 ✅ on 20 places and 10 🤔, as the publisher's announcement shows them
    expected = rsvp_line(RsvpCounts(going=20, maybe=10, waitlist=10), RsvpEmojis(), 20)

    def shown() -> str:
        fields = sandbox.state.messages[message].embeds[0].get("fields", [])
        return next((f["value"] for f in fields if f["name"] == "RSVP"), "")

    await wait_for(lambda: shown() == expected, timeout=10, what="the exact final counts")
    await cog(rsvp_app).coalescer.idle()
    runs = cog(rsvp_app).coalescer.runs(event_id)
    assert len(edits) == len(runs) < 40 / 4  # a few edits, never one per reaction
    gaps = [b - a for a, b in itertools.pairwise(runs)]
    assert all(gap >= 0.3 - 0.01 for gap in gaps), gaps
    assert shown() == expected


async def _is(sessions: async_sessionmaker[AsyncSession], event_id: int, expected: dict[int, str]) -> bool:
    return await statuses(sessions, event_id) == expected


async def _count(sessions: async_sessionmaker[AsyncSession], event_id: int, n: int) -> bool:
    return len(await statuses(sessions, event_id)) == n


async def _dm_count(reactor: Reactor, user_id: int, n: int) -> bool:
    return len(await reactor.dms(user_id)) >= n


async def _dm_failed(sessions: async_sessionmaker[AsyncSession], event_id: int, user_id: int) -> bool:
    async with sessions() as session:
        row = (
            await session.scalars(select(Rsvp).where(Rsvp.event_id == event_id, Rsvp.user_id == user_id))
        ).first()
    return row is not None and row.dm_failed
