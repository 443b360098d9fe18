"""A bot process for the kill test of RSVP counts: runs until the test kills it (SIGKILL, no cleanup).

Usage: python -m tests.e2e.rsvp.rsvp_bot CONFIG NOW_ISO API_BASE_URL
Prints "ready" once the start-up reconciliation is done, so the test knows reactions now reach a running bot.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path

from bot.application import Application
from bot.clock import ManualClock
from bot.config import load_config
from bot.db.engine import open_database
from bot.discord_app.services import Services
from tests.waiting import wait_for


async def main(config_path: str, now: str, api_base_url: str) -> None:
    config = load_config(Path(config_path), environ={})
    async with open_database(config.database.url) as sessions:
        app = Application(
            Services(config, sessions, ManualClock(datetime.fromisoformat(now))),
            "test-token",
            api_base_url=api_base_url,
            guild_ready_timeout=0.05,
        )
        await app.start()
        await app.wait_ready(timeout=30)
        rsvp = app.bot.get_cog("RsvpCog")
        await wait_for(lambda: getattr(rsvp, "reconciled", None), timeout=30, what="start-up reconciliation")
        print("ready", flush=True)
        await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
