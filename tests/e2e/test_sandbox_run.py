"""`meetup-bot run` without a token, in-process with an injected clock: the shipped examples never go stale."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli.run import _sandbox_session
from bot.clock import ManualClock
from bot.config import Config
from tests.test_sandbox_demo import EXAMPLES, example_starts
from tests.waiting import wait_for

# the feed line, with the time in the config's zone naming the day (the demo starts ten minutes later)
ANNOUNCED = re.compile(
    r"📣 New meetup: \*\*\[DEMO\] Sandbox meetup \(not a real event\)\*\*, (today|tomorrow) at \d"
)


@pytest.mark.parametrize("years", [1, 3])
async def test_a_run_long_after_the_examples_still_announces_at_once(
    config: Config, config_file: Path, years: int
) -> None:
    shutil.copytree(EXAMPLES, config.events_dir, dirs_exist_ok=True)
    clock = ManualClock(max(example_starts(config).values()) + timedelta(days=365 * years))
    stop = asyncio.Event()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        run = asyncio.create_task(_sandbox_session(config, 0, clock, stop))
        try:
            await wait_for(
                lambda: (
                    "📣 New meetup: **[DEMO] Sandbox meetup (not a real event)**, today at" in out.getvalue()
                ),
                timeout=20,
                what="the demo's announcement",
            )
        finally:
            stop.set()
            assert await asyncio.wait_for(run, 20) == 0
    printed = out.getvalue()
    assert "imported 3 new" in printed
    assert re.search(r"^sandbox: it is announced now and reminded (today|tomorrow) at \d", printed, re.M)
    assert "<t:" not in printed and "+00:00" not in printed  # times as people read them
    assert not (config_file.parent / "meetup.db").exists()  # the sandbox's database is a temporary one
