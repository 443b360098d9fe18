"""`meetup-bot rsvps SLUG [--json]` as a real process on the same SQLite file the bot writes."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.rsvp.service import set_rsvp
from tests.rsvp.conftest import NOW, MakeEvent
from tests.test_cli import cli


async def test_rsvps_json_lists_statuses_and_waitlist_positions(
    config_file: Path, sessions: async_sessionmaker[AsyncSession], make_event: MakeEvent
) -> None:
    event_id = await make_event("full-house", capacity=1)
    async with sessions.begin() as session:
        for user, name, status in [
            (1, "Ada", "going"),
            (2, "Bo", "going"),
            (3, "Cy", "going"),
            (4, "Di", "maybe"),
        ]:
            await set_rsvp(session, event_id, user, name, status, "StLGo", NOW)  # type: ignore[arg-type]

    listed = cli(config_file, "rsvps", "full-house", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == [
        {"user_id": 1, "name": "Ada", "status": "going", "position": None},
        {"user_id": 2, "name": "Bo", "status": "waitlist", "position": 1},
        {"user_id": 3, "name": "Cy", "status": "waitlist", "position": 2},
        {"user_id": 4, "name": "Di", "status": "maybe", "position": None},
    ]
    table = cli(config_file, "rsvps", "full-house")
    assert "1 going · 1 maybe · 2 waitlist · capacity 1" in table.stdout
    assert "waitlist #2" in table.stdout

    unknown = cli(config_file, "rsvps", "nope")
    assert unknown.returncode == 1
    assert "No event is called `nope`" in unknown.stderr and "Traceback" not in unknown.stderr
