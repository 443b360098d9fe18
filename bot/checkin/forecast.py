"""Turnout forecasts: each going RSVP weighted by that member's own history of showing up.

Model (Beta-Binomial): the group's show-up rate has a Beta(alpha, beta) prior fitted by the method of
moments to past events' attendance/RSVP ratios (the imported Total RSVPs / Total Attendance figures and
events with recorded check-ins). A member's probability of coming is the posterior mean
(alpha + came) / (alpha + beta + going RSVPs) over their own recorded events, so members with little
history get about the group's rate. Expected turnout = sum of going members' probabilities, plus a
share of the maybes and the usual walk-ins and guests. The 80% interval uses the Beta-Binomial variance,
which is wider than independent coin flips because whole evenings go well or badly together.

Once people are checked in they are certain: the forecast counts them as they are and forecasts only the
members not in yet (and the walk-ins and guests still to come), so it is never below who is already there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from statistics import mean, median
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkin.attendance import history
from bot.db.models import CheckIn, Event, Rsvp
from bot.when import plural, when_text

MAYBE_SHARE = 0.3
Z80 = 1.2816
MIN_STRENGTH, MAX_STRENGTH = 2.0, 50.0
UNINFORMED = (0.5, 2.0)  # mean, strength when a group has no history at all


@dataclass(frozen=True)
class Prior:
    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def strength(self) -> float:
        return self.alpha + self.beta

    @classmethod
    def of(cls, mean_rate: float, strength: float) -> Prior:
        return cls(mean_rate * strength, (1 - mean_rate) * strength)


def fit_prior(pairs: Sequence[tuple[int, int]]) -> Prior:
    """Beta prior from (RSVPs, attendance) pairs; attendance above RSVPs counts as everyone came."""
    usable = [(r, min(a, r)) for r, a in pairs if r > 0 and a >= 0]
    if not usable:
        return Prior.of(*UNINFORMED)
    pooled = (sum(a for _, a in usable) + 1) / (sum(r for r, _ in usable) + 2)
    rates = [a / r for r, a in usable]
    if len(rates) < 3:
        return Prior.of(pooled, MIN_STRENGTH)
    spread = sum((x - pooled) ** 2 for x in rates) / (len(rates) - 1)
    strength = pooled * (1 - pooled) / spread - 1 if spread > 0 else MAX_STRENGTH
    return Prior.of(pooled, min(max(strength, MIN_STRENGTH), MAX_STRENGTH))


def member_probability(prior: Prior, going: int, came: int) -> float:
    return (prior.alpha + came) / (prior.strength + going)


@dataclass(frozen=True)
class Forecast:
    expected: float
    low: int
    high: int
    going: int
    maybe: int
    prior: Prior
    present: int = 0  # already checked in (members, walk-ins and guests): counted as certain

    @property
    def people(self) -> int:
        return round(self.expected)

    def text(self) -> str:
        return f"expect {plural(self.people, 'person', 'people')} ({self.low}-{self.high})"


def combine(
    going: Sequence[float],
    maybe: Sequence[float],
    prior: Prior,
    extras: float = 0.0,
    present: int = 0,
) -> Forecast:
    """The forecast from each going and maybe member's probability of coming, on top of the `present`
    people already in (so expected, low and high are never below them)."""
    weights = [*going, *(MAYBE_SHARE * p for p in maybe)]
    expected = sum(weights) + extras
    n = len(weights)
    variance = sum(p * (1 - p) for p in weights) * (prior.strength + n) / (prior.strength + 1) + extras
    sigma = math.sqrt(variance)
    low = max(0, math.floor(expected - Z80 * sigma))
    high = max(math.ceil(expected + Z80 * sigma), low)
    return Forecast(expected + present, low + present, high + present, len(going), len(maybe), prior, present)


def forecast_totals(rsvps: int, prior: Prior) -> Forecast:
    """For an event known only by its RSVP total (the imported history): everybody at the group's rate."""
    return combine([prior.mean] * rsvps, [], prior)


async def forecast_event(session: AsyncSession, event: Event, now: datetime) -> Forecast:
    """The turnout of `event` as it looks at `now`: who is in counts as certain, the rest is forecast."""
    group = event.hosting_groups[0] if event.hosting_groups else None
    past = await history(session, group, now)
    prior = fit_prior([(p.rsvps, p.attendance) for p in past if p.rsvps and p.attendance is not None])
    recorded = [p.event_id for p in past if p.recorded]
    answers = (
        await session.execute(select(Rsvp.user_id, Rsvp.status).where(Rsvp.event_id == event.id))
    ).all()
    users = [u for u, s in answers if s in ("going", "maybe")]
    went: dict[int, int] = {}
    came: dict[int, int] = {}
    extras = 0.0
    if recorded and users:
        for (user_id,) in await session.execute(
            select(Rsvp.user_id).where(
                Rsvp.event_id.in_(recorded), Rsvp.status == "going", Rsvp.user_id.in_(users)
            )
        ):
            went[user_id] = went.get(user_id, 0) + 1
        for (checked,) in await session.execute(
            select(CheckIn.user_id).where(
                CheckIn.event_id.in_(recorded), CheckIn.kind == "member", CheckIn.user_id.in_(users)
            )
        ):
            if checked is not None:
                came[checked] = came.get(checked, 0) + 1
    if recorded:
        rows = (
            await session.execute(
                select(CheckIn.kind, CheckIn.guests).where(
                    CheckIn.event_id.in_(recorded), CheckIn.kind.in_(("walk_in", "guests"))
                )
            )
        ).all()
        extras = sum(1 if kind == "walk_in" else guests for kind, guests in rows) / len(recorded)

    def p(user_id: int) -> float:
        return member_probability(
            prior, went.get(user_id, 0), min(came.get(user_id, 0), went.get(user_id, 0))
        )

    here = (
        await session.execute(
            select(CheckIn.user_id, CheckIn.kind, CheckIn.guests).where(CheckIn.event_id == event.id)
        )
    ).all()
    arrived = {user_id for user_id, _, _ in here if user_id is not None}
    extras_in = sum(1 if kind == "walk_in" else guests for _, kind, guests in here if kind != "member")
    present = sum(1 for _, kind, _ in here if kind == "member") + extras_in
    going = [p(u) for u, s in answers if s == "going" and u not in arrived]
    maybe = [p(u) for u, s in answers if s == "maybe" and u not in arrived]
    forecast = combine(going, maybe, prior, max(extras - extras_in, 0.0), present)
    # the RSVP counts are everybody's, in or not
    return replace(
        forecast,
        going=sum(1 for _, s in answers if s == "going"),
        maybe=sum(1 for _, s in answers if s == "maybe"),
    )


async def forecast_message(session: AsyncSession, event_id: int, now: datetime) -> str:
    """The day-before note for the organizers' channel."""
    event = await session.get(Event, event_id)
    if event is None:
        raise LookupError(f"no event {event_id}")
    f = await forecast_event(session, event, now)
    zone = ZoneInfo(event.timezone)
    days_ahead = (event.starts_at.astimezone(zone).date() - now.astimezone(zone).date()).days
    # posted the day before; one posted late (after downtime) says when the event is instead
    when = "tomorrow" if days_ahead == 1 else when_text(event.starts_at, zone, now)
    return (
        f"**{event.title}** {when}: {f.going} going, {f.maybe} maybe: {f.text()}. "
        f"(Each RSVP weighted by that member's show-up history; group rate {f.prior.mean:.0%}.)"
    )


@dataclass(frozen=True)
class BacktestRow:
    slug: str
    rsvps: int
    attendance: int
    expected: float
    low: int
    high: int


@dataclass(frozen=True)
class Backtest:
    rows: list[BacktestRow]

    @property
    def mae(self) -> float:
        return mean(abs(r.expected - r.attendance) for r in self.rows)

    @property
    def median_error(self) -> float:
        return median(abs(r.expected - r.attendance) for r in self.rows)

    @property
    def coverage(self) -> float:
        return mean(1.0 if r.low <= r.attendance <= r.high else 0.0 for r in self.rows)

    @property
    def naive_mae(self) -> float:
        """The error of expecting everybody who RSVP'd, for comparison."""
        return mean(abs(r.rsvps - r.attendance) for r in self.rows)


def backtest(events: Sequence[tuple[str, int, int]], *, min_history: int = 3) -> Backtest:
    """Rolling-origin backtest over (slug, RSVPs, attendance) in date order: each event is forecast
    from the events before it only, once `min_history` of them exist."""
    rows = []
    for i, (slug, rsvps, came) in enumerate(events):
        if i < min_history or rsvps <= 0:
            continue
        prior = fit_prior([(r, a) for _, r, a in events[:i]])
        f = forecast_totals(rsvps, prior)
        rows.append(BacktestRow(slug, rsvps, came, f.expected, f.low, f.high))
    return Backtest(rows)
