"""The day-before turnout forecast, posted to the organizers' channel with the RSVPs as they are then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import ManualClock
from bot.db.models import Rsvp
from bot.sandbox import SandboxServer
from tests.conftest import BASE_CONFIG
from tests.e2e.announcements.conftest import STLGO_CHANNEL, Publish, StartBot, texts

ORGANIZERS = 100000000000000008


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    (tmp_path / "events").mkdir()
    path = tmp_path / "config.yaml"
    path.write_text(
        BASE_CONFIG.replace(
            "    organizer_role_id: 100000000000000003\n",
            f"    organizer_role_id: 100000000000000003\n    organizer_channel_id: {ORGANIZERS}\n",
        )
    )
    return path


async def test_forecast_is_posted_once_the_day_before(
    start_bot: StartBot,
    publish: Publish,
    clock: ManualClock,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    event = await publish("profiling", when="Thursday, December 10, 2026")
    async with sessions.begin() as session:
        for n in range(6):
            session.add(
                Rsvp(
                    event_id=event.id,
                    user_id=500 + n,
                    user_name=f"member{n}",
                    status="going" if n < 5 else "maybe",
                    group_name="StLGo",
                    queued_at=datetime(2026, 12, 1, tzinfo=UTC),
                    updated_at=datetime(2026, 12, 1, tzinfo=UTC),
                )
            )
    app = await start_bot()
    clock.set(event.starts_at - timedelta(days=1, seconds=1))
    await app.scheduler.run_due()
    assert texts(sandbox, ORGANIZERS) == []

    clock.set(event.starts_at - timedelta(days=1))
    await app.scheduler.run_due()
    await app.scheduler.run_due()  # a second run does not post it again
    (forecast,) = texts(sandbox, ORGANIZERS)
    assert "**Profiling Go** tomorrow: 5 going, 1 maybe: expect " in forecast
    assert " people (" in forecast
    assert not any("expect" in text for text in texts(sandbox, STLGO_CHANNEL))  # members don't see it
