"""A bot in a process of its own, on a manual clock, for the tests that SIGKILL it (no cleanup runs).

    python -m tests.e2e.bot_process run-due CONFIG NOW_ISO API_BASE_URL   # one scheduler pass, then exit
    python -m tests.e2e.bot_process serve CONFIG NOW_ISO API_BASE_URL     # "ready" once reconciled, until killed

The tests start it with `spawn_bot`; the sandbox stays in the test's process, so the test sees (and can
intercept) every request the bot makes.
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

ROOT = Path(__file__).resolve().parents[2]


async def spawn_bot(
    mode: str, config: Path, now: datetime, api_base_url: str, *, stderr: int = asyncio.subprocess.PIPE
) -> asyncio.subprocess.Process:
    """Starts `python -m tests.e2e.bot_process MODE ...` from the project root, stdout piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.e2e.bot_process",
        mode,
        str(config),
        now.isoformat(),
        api_base_url,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
    )


async def main(mode: str, config_path: str, now: str, api_base_url: str) -> None:
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
        if mode == "run-due":
            await app.scheduler.run_due()
            print("run_due returned without being killed", flush=True)
            await app.close()
            return
        rsvp = app.bot.get_cog("RsvpCog")
        await wait_for(lambda: getattr(rsvp, "reconciled", None), timeout=30, what="start-up reconciliation")
        print("ready", flush=True)
        await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
