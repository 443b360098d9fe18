"""Reconciliation of a member who left several RSVP reactions while the bot was away (issue 11, item 3).

Discord does not say in which order reactions were made. The rule (bot.rsvp.service.choose_observed): a reaction
that differs from the stored answer is the newer intent; with several such (or no stored answer) the most cautious
answer counts; where the bot cannot remove reactions, a stored answer that is present is kept. Real SQLite file.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.rsvp.service import (
    Answer,
    Notice,
    Observed,
    choose_observed,
    list_rsvps,
    mark_dm_failed,
    reconcile,
    set_rsvp,
)
from bot.rsvp.texts import notice_text
from tests.factories import NOW
from tests.rsvp.conftest import MakeEvent

STLGO, KCN = "StLGo", "Kubernetes & Cloud Native STL"


def seen(*statuses: Answer, group: str = STLGO, removable: bool = True) -> list[Observed]:
    return [Observed(s, group, "alice", removable, 1, 2) for s in statuses]


def test_one_reaction_differing_from_the_stored_answer_is_the_newer_intent() -> None:
    choice = choose_observed(seen("going", "not_going"), "going")
    assert (choice.kept.status, choice.rule) == ("not_going", "newer")
    assert [s.status for s in choice.superseded] == ["going"]
    # the other way round too: a stored "no" and a new ✅ means going
    assert choose_observed(seen("going", "not_going"), "not_going").kept.status == "going"
    # a waitlisted member counts as having answered ✅
    assert choose_observed(seen("going", "maybe"), "waitlist").kept.status == "maybe"


def test_several_reactions_of_unknown_order_keep_the_most_cautious_answer() -> None:
    for current in (None, "going", "maybe", "not_going"):
        choice = choose_observed(seen("going", "maybe", "not_going"), current)
        expected = {None: "not_going", "going": "not_going", "maybe": "not_going", "not_going": "maybe"}
        assert (choice.kept.status, choice.rule) == (expected[current], "cautious"), current
        assert len(choice.superseded) == 2
    assert choose_observed(seen("going", "maybe"), None).kept.status == "maybe"
    # the stored answer's reaction is gone and two others are there: both are newer, order unknown
    assert choose_observed(seen("going", "maybe"), "not_going").kept.status == "maybe"


def test_a_single_answer_is_kept_and_its_copy_on_another_announcement_is_superseded() -> None:
    choice = choose_observed([*seen("going", group=STLGO), *seen("going", group=KCN)], "going", KCN)
    assert (choice.kept.group_name, choice.rule, choice.conflict) == (KCN, "only", False)
    assert [s.group_name for s in choice.superseded] == [STLGO]


def test_where_the_bot_cannot_remove_reactions_the_stored_answer_stands() -> None:
    """Leftovers of earlier answers are normal there (the bot could not take them off), so they tell nothing."""
    choice = choose_observed(seen("going", "not_going", removable=False), "going")
    assert (choice.kept.status, choice.rule, choice.superseded, choice.conflict) == (
        "going",
        "stored",
        (),
        False,
    )
    assert choose_observed(seen("going", "not_going", removable=False), None).kept.status == "not_going"


async def test_reconcile_applies_the_rule_promotes_the_waitlist_and_explains_once(
    sessions: async_sessionmaker[AsyncSession], make_event: MakeEvent
) -> None:
    event_id = await make_event(capacity=1, title="Full Room")
    async with sessions.begin() as session:
        await set_rsvp(session, event_id, 1, "alice", "going", STLGO, NOW)
        await set_rsvp(session, event_id, 2, "bob", "going", STLGO, NOW)  # waitlisted
    observed = {1: seen("going", "not_going"), 2: seen("going")}  # alice added ❌ while the bot was away
    async with sessions.begin() as session:
        summary = await reconcile(session, event_id, observed, NOW)
    async with sessions() as session:
        rows = {r.user_id: r.status for r in await list_rsvps(session, event_id)}
    assert rows == {1: "not_going", 2: "going"}
    assert (summary.changed, summary.promoted) == (1, 1)
    (conflict,) = summary.conflicts
    assert (conflict.user_id, conflict.status) == (1, "not_going")
    assert [s.status for s in conflict.choice.superseded] == ["going"]
    kinds = sorted((n.user_id, n.kind) for n in summary.notices)
    assert kinds == [(1, "reconciled"), (2, "promoted")]
    text = notice_text(next(n for n in summary.notices if n.kind == "reconciled"))
    assert text == (
        "You had reacted ✅ and ❌ on **Full Room** while the bot was offline; we recorded ❌ not going (the "
        "reaction that differs from your earlier answer is the newer one). React again to change it."
    )


async def test_no_stored_answer_and_both_reactions_records_not_going(
    sessions: async_sessionmaker[AsyncSession], make_event: MakeEvent
) -> None:
    event_id = await make_event(capacity=5)
    async with sessions.begin() as session:
        summary = await reconcile(session, event_id, {1: seen("going", "not_going")}, NOW)
    async with sessions() as session:
        assert {r.user_id: r.status for r in await list_rsvps(session, event_id)} == {1: "not_going"}
    (notice,) = summary.notices
    assert (notice.kind, notice.recorded, notice.rule) == ("reconciled", "not_going", "cautious")
    assert "so the more cautious answer counts" in notice_text(notice)


async def test_a_newer_going_on_a_full_event_is_one_dm_with_the_waitlist_place(
    sessions: async_sessionmaker[AsyncSession], make_event: MakeEvent
) -> None:
    event_id = await make_event(capacity=1, title="Full Room")
    async with sessions.begin() as session:
        await set_rsvp(session, event_id, 1, "alice", "not_going", STLGO, NOW)
        await set_rsvp(session, event_id, 2, "bob", "going", STLGO, NOW)
    observed = {1: seen("going", "not_going"), 2: seen("going")}
    async with sessions.begin() as session:
        summary = await reconcile(session, event_id, observed, NOW)
    (notice,) = summary.notices  # not also "you're on the waitlist": one DM says it all
    assert (notice.recorded, notice.position) == ("waitlist", 1)
    assert "we recorded ✅ going, but it is full, so you're on the waitlist at place 1" in notice_text(notice)


async def test_closed_dms_and_dm_members_off_send_no_explanation(
    sessions: async_sessionmaker[AsyncSession], make_event: MakeEvent
) -> None:
    event_id = await make_event()
    async with sessions.begin() as session:
        await set_rsvp(session, event_id, 1, "alice", "going", STLGO, NOW)
        await set_rsvp(session, event_id, 2, "bob", "going", STLGO, NOW)
        await mark_dm_failed(session, event_id, 1)
    observed = {1: seen("going", "maybe"), 2: seen("going")}
    async with sessions.begin() as session:
        summary = await reconcile(session, event_id, observed, NOW)
    assert summary.notices == [] and len(summary.conflicts) == 1
    async with sessions.begin() as session:
        quiet = await reconcile(session, event_id, {2: seen("going", "maybe")}, NOW, notify=False)
    assert quiet.notices == [] and [c.status for c in quiet.conflicts] == ["maybe"]


def test_three_reactions_are_listed_in_the_dm() -> None:
    notice = Notice(1, "reconciled", 7, "Talk", None, ("going", "maybe", "not_going"), "maybe", "cautious")
    assert notice_text(notice).startswith(
        "You had reacted ✅, 🤔 and ❌ on **Talk** while the bot was offline;"
    )
