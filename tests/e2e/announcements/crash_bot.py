"""A bot process for the crash test: runs the scheduler at a given clock time, until the test kills it.

Usage: python -m tests.e2e.announcements.crash_bot CONFIG NOW_ISO API_BASE_URL
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
        await app.scheduler.run_due()
        print("run_due returned without being killed", flush=True)
        await app.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
