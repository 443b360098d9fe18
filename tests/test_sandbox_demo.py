"""The sandbox run's [DEMO] event: added whenever nothing is announced within minutes, read off the plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.catalog import queries
from bot.catalog.importer import import_paths, parse_paths
from bot.config import Config
from bot.sandbox_mode import DEMO_SLUG, prepare_sandbox, with_demo_reminder
from bot.schedule.plan import before

EXAMPLES = Path(__file__).resolve().parents[1] / "events"


def example_starts(config: Config) -> dict[str, datetime]:
    """The shipped example events' starts (UTC), read by the importer: tests move the clock around them."""
    batch = parse_paths([EXAMPLES], config.parse_options())
    assert batch.events and not batch.errors
    return {e.slug: e.row["starts_at"].replace(tzinfo=UTC) for e in batch.events}


async def import_examples(sessions: async_sessionmaker[AsyncSession], config: Config, now: datetime) -> None:
    async with sessions.begin() as session:
        await import_paths(session, [EXAMPLES], config.parse_options(), now)


async def test_demo_is_added_when_the_next_event_is_not_announced_within_minutes(
    config: Config, sessions: async_sessionmaker[AsyncSession]
) -> None:
    config = with_demo_reminder(config)
    now = min(example_starts(config).values()) - timedelta(days=30)  # upcoming, announced in 23 days
    await import_examples(sessions, config, now)
    async with sessions() as session:
        upcoming = await queries.next_event(session, now)
    assert upcoming is not None and upcoming.slug != DEMO_SLUG

    start = await prepare_sandbox(config, sessions, now)

    assert start.demo is not None and start.example_slug == DEMO_SLUG
    async with sessions() as session:
        first = await queries.next_event(session, now)
    assert first is not None and first.slug == DEMO_SLUG  # it comes first: it starts in minutes
    assert start.lines[0].startswith("sandbox: no announcement is due in the next few minutes")
    again = await prepare_sandbox(config, sessions, now)  # its announcement is due now: no second demo
    assert again.demo is None and again.example_slug == DEMO_SLUG


@pytest.mark.parametrize("due_in", [timedelta(days=-5), timedelta(minutes=3)])
async def test_no_demo_when_an_announcement_is_due_within_minutes(
    config: Config, sessions: async_sessionmaker[AsyncSession], due_in: timedelta
) -> None:
    config = with_demo_reminder(config)
    starts = example_starts(config)
    slug = sorted(starts, key=starts.__getitem__)[1]
    lead = config.announcements_for(config.groups[0]).lead_time
    # five days into its lead time (announced at once on import), or three minutes before it
    now = before(starts[slug], lead, ZoneInfo(config.timezone)) - due_in
    await import_examples(sessions, config, now)

    start = await prepare_sandbox(config, sessions, now)

    assert start.demo is None and start.lines == []
    assert start.example_slug == slug  # what `help` suggests for `/event slug:` exists
