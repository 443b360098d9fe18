"""The README's sample of `make run` is what the program prints, and the README says where sandbox data lives.

The sample shows an evening: the demo starting at 11:37 PM CST, so this test runs the sandbox session (the one
`make run` starts without a token) on a clock at 11:27 PM in the config's zone, ten minutes before that, with the
shipped config.yaml and example events, and plays the sample's console lines as alice.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
import shutil
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.cli.run import _sandbox_session
from bot.clock import ManualClock
from bot.config import load_config
from bot.sandbox_mode import DEMO_REMINDER, DEMO_SLUG, Console
from tests.factories import NOW
from tests.waiting import wait_for

PROJECT = Path(__file__).resolve().parents[2]
README = PROJECT / "README.md"
PORT = re.compile(r"127\.0\.0\.1:\d+")


def sample() -> list[str]:
    """The lines of the README's sample output (the first ```text block after '## Quick start')."""
    text = README.read_text()
    quick_start = text[text.index("## Quick start") :]
    block = quick_start[quick_start.index("```text\n") + len("```text\n") :]
    return block[: block.index("```")].splitlines()


def cut(line: str) -> bool:
    """A `...` line: the sample leaves lines out there."""
    return line.strip() == "..."


def typed(line: str) -> bool:
    """A line the newcomer types at the console (the terminal echoes it; the program does not print it)."""
    return line.startswith("/") or line.startswith("react ")


def the_sample_evening() -> datetime:
    """11:27 PM in America/Chicago on NOW's local day: the demo then starts at 11:37 PM CST, as in the sample."""
    zone = ZoneInfo("America/Chicago")
    return datetime.combine(NOW.astimezone(zone).date(), time(23, 27), tzinfo=zone)


async def test_the_readme_sample_output_is_what_make_run_prints(tmp_path: Path) -> None:
    lines = sample()
    assert lines and any(cut(line) for line in lines)
    reminder = [line for line in lines if "⏰ Reminder:" in line]
    assert len(reminder) == 1  # checked below on its own: it falls due two minutes into the run

    shutil.copy(PROJECT / "config.yaml", tmp_path / "config.yaml")
    shutil.copytree(PROJECT / "events", tmp_path / "events")
    config = load_config(tmp_path / "config.yaml", environ={})
    clock = ManualClock(the_sample_evening())
    stop = asyncio.Event()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        run = asyncio.create_task(_sandbox_session(config, 0, clock, stop))
        try:
            # the run starts its console once the bot is ready; by then or soon after, the demo is announced
            await wait_for(
                lambda: "the bot is ready" in out.getvalue() and "📣 New meetup: **[DEMO]" in out.getvalue(),
                timeout=30,
                what="the bot ready and the demo's announcement",
            )
            url = re.search(r"^sandbox: (http://\S+)$", out.getvalue(), re.M)
            assert url is not None, out.getvalue()
            console = Console(url.group(1), config, clock, out=out, example_slug=DEMO_SLUG)
            reader = asyncio.StreamReader()
            task = asyncio.create_task(console.run(reader))
            for line in (line for line in lines if typed(line)):
                reader.feed_data(f"{line}\n".encode())
            await wait_for(
                lambda: "DM alice  meetup-bot: You're going" in out.getvalue(),
                timeout=30,
                what="the console's answers to the sample's lines",
            )
            reader.feed_data(b"quit\n")
            await asyncio.wait_for(task, 10)
        finally:
            stop.set()
            assert await asyncio.wait_for(run, 30) == 0
    printed = [PORT.sub("127.0.0.1:PORT", line) for line in out.getvalue().splitlines()]

    shown = [PORT.sub("127.0.0.1:PORT", line) for line in lines if not cut(line) and not typed(line)]
    missing = [line for line in shown if line not in reminder and line not in printed]
    assert not missing, "README sample lines the program does not print:\n" + "\n".join(missing)
    # in the README's order; the feed's "commands synced" lines, printed before "the bot is ready", are left out
    position = 0
    for line in shown:
        if line in reminder:
            continue
        assert line in printed[position:], f"printed out of the README's order: {line}"
        position = printed.index(line, position) + 1

    # the reminder line falls due two minutes into the run, after this test has stopped it (tests/e2e/test_console.py
    # checks that it is posted): here only its wording, against the demo's start and DEMO_REMINDER
    (line,) = reminder
    prefix, rest = line.removesuffix("...").split(" · ", 1)
    demo_start = the_sample_evening() + timedelta(minutes=10)
    minutes = int(DEMO_REMINDER.total_seconds() // 60)
    assert f"starts in {minutes} min (today at {demo_start:%-I:%M %p} CST)" in prefix
    assert rest.startswith("The sandbox")


def test_the_readme_says_sandbox_rsvps_live_in_the_sandboxs_temporary_database() -> None:
    text = " ".join(README.read_text().split())
    assert "the RSVPs, check-ins and the `[DEMO]` event live in the sandbox's own temporary database" in text
    assert "`meetup.db` is not touched" in text
