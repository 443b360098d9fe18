"""The turnout forecast: the group prior, members' own history, the interval, and the backtest."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.checkin import service
from bot.checkin.forecast import (
    Prior,
    backtest,
    combine,
    fit_prior,
    forecast_event,
    forecast_message,
    member_probability,
)
from bot.db.models import Event
from bot.when import when_text
from tests.checkin.conftest import NOW, add_rsvps, insert_event
from tests.conftest import CORPUS

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.checkin_forecast_backtest import history


def test_prior_from_group_history() -> None:
    assert fit_prior([]) == Prior(1.0, 1.0)
    assert fit_prior([(10, 5), (10, 5), (10, 5)]) == Prior(25.0, 25.0)  # no spread: the strongest prior
    wide = fit_prior([(10, 2), (10, 8), (10, 5)])
    assert wide == Prior(1.0, 1.0)  # spread so wide the strength is clamped at 2
    assert fit_prior([(23, 4), (10, 40)]).mean == pytest.approx((4 + 10 + 1) / (33 + 2))  # capped at RSVPs


def test_member_probability_and_interval() -> None:
    prior = Prior(2.0, 2.0)
    assert member_probability(prior, going=6, came=6) == 0.8
    assert member_probability(prior, going=0, came=0) == 0.5
    f = combine([0.5, 0.5], [], Prior(25.0, 25.0))
    assert (f.expected, f.low, f.high, f.text()) == (1.0, 0, 2, "expect 1 person (0-2)")
    assert combine([0.8] * 5, [], Prior(25.0, 25.0)).text() == "expect 4 people (2-6)"


async def test_forecast_weights_each_member_by_their_history(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    for i in range(3):
        await insert_event(
            sessions,
            f"old{i}",
            starts_at=NOW - timedelta(days=90 - i),
            reported_rsvps=20,
            reported_attendance=10,
        )
    past = await insert_event(sessions, "past", starts_at=NOW - timedelta(days=30))
    await add_rsvps(sessions, past, [(1, "A", "going"), (2, "B", "going")])
    async with sessions.begin() as session:
        event = await session.get(Event, past)
        assert event is not None
        await service.check_in(session, event, 1, "", by=9, now=NOW - timedelta(days=30))
    upcoming = await insert_event(sessions, "next", starts_at=NOW + timedelta(days=1), title="Next Talk")
    await add_rsvps(
        sessions, upcoming, [(1, "A", "going"), (2, "B", "going"), (3, "C", "going"), (4, "D", "maybe")]
    )
    async with sessions() as session:
        event = await session.get(Event, upcoming)
        assert event is not None
        f = await forecast_event(session, event, NOW)
        message = await forecast_message(session, upcoming, NOW)
    assert f.prior == Prior(25.0, 25.0)
    # A came once: 26/51; B did not: 25/51; C is new: 0.5; D maybe: 0.3 * 0.5
    assert f.expected == pytest.approx(26 / 51 + 25 / 51 + 0.5 + 0.15)
    assert (f.going, f.maybe, f.people, f.low, f.high) == (3, 1, 2, 0, 3)
    assert message.startswith("**Next Talk** tomorrow: 3 going, 1 maybe: expect 2 people (0-3).")


async def test_forecast_is_never_below_the_people_already_present(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The issue: "expect 1 (0-2)" with 3 people already in. Who is in is certain; only the rest is forecast."""
    event_id = await insert_event(sessions, "door", starts_at=NOW + timedelta(minutes=30))
    await add_rsvps(sessions, event_id, [(1, "A", "going"), (2, "B", "going")])
    async with sessions() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        empty = await forecast_event(session, event, NOW)
    assert (empty.present, empty.people, empty.low) == (0, 1, 0)
    async with sessions.begin() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        await service.check_in(session, event, 7, "Walk", by=9, now=NOW)  # a walk-in, no RSVP
        await service.add_guests(session, event, 2, by=9, now=NOW)
    async with sessions() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        three_in = await forecast_event(session, event, NOW)
    assert three_in.present == 3
    assert (three_in.expected, three_in.low, three_in.high) == (
        empty.expected + 3,
        empty.low + 3,
        empty.high + 3,
    )
    async with sessions.begin() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        await service.check_in(session, event, 1, "", by=9, now=NOW)  # A came: no longer a maybe-comes
    async with sessions() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        running = await forecast_event(session, event, event.starts_at + timedelta(hours=1))
    assert running.present == 4 and running.low >= 4 and running.expected == pytest.approx(4.5)
    assert (running.going, running.maybe) == (2, 0)  # the RSVP counts are everybody's, in or not
    assert running.text() == f"expect {running.people} people ({running.low}-{running.high})"


async def test_a_late_forecast_post_says_when_the_event_is(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    start = NOW + timedelta(hours=5)
    event_id = await insert_event(sessions, "soon", starts_at=start, title="Soon Talk")
    async with sessions() as session:
        late = await forecast_message(session, event_id, NOW)  # posted on the day, after downtime
        on_time = await forecast_message(session, event_id, start - timedelta(days=1))
    assert late.startswith(f"**Soon Talk** {when_text(start, 'America/Chicago', NOW)}: 0 going")
    assert late.startswith("**Soon Talk** today at ")
    assert on_time.startswith("**Soon Talk** tomorrow: 0 going, 0 maybe: expect 0 people (0-0).")


def test_backtest_on_synthetic_history_knows_the_answer() -> None:
    events = [(f"e{i}", 10, 5) for i in range(6)]
    result = backtest(events)
    assert [r.slug for r in result.rows] == ["e3", "e4", "e5"]
    assert result.mae == pytest.approx(0.0, abs=0.2) and result.naive_mae == 5.0


@pytest.mark.skipif(
    not CORPUS.is_dir(), reason="../shared/corpus/stlgo-presentations is absent; the backtest needs it"
)
def test_backtest_on_the_real_history_beats_expecting_everyone() -> None:
    result = backtest(history(CORPUS))
    assert len(result.rows) == 23
    assert result.mae == pytest.approx(3.19, abs=0.01)  # the figure in BENCHMARKS.md
    assert result.naive_mae == pytest.approx(12.65, abs=0.01)
    assert result.coverage == pytest.approx(18 / 23)
    failure = next(r for r in result.rows if r.slug == "2022-11-16-FailureIsNotAnOption")
    assert (failure.rsvps, failure.attendance, failure.low, failure.high) == (23, 4, 4, 15)
