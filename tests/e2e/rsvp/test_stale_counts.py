"""Announcement counts never stay stale (issue 11, item 4): a failed edit is retried, and a restart after a kill
between an RSVP's commit and its coalesced edit brings every announcement in line with the database.

Real parts: 5xx faults injected through the sandbox control API, and a bot in a subprocess killed with SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.application import Application
from bot.clock import ManualClock
from bot.config import Config, RsvpEmojis
from bot.discord_app.embeds import rsvp_line
from bot.rsvp.counts import RsvpCounts
from bot.sandbox import SandboxServer
from tests.conftest import BASE_CONFIG
from tests.e2e.bot_process import spawn_bot
from tests.e2e.rsvp.conftest import STLGO, Reactor, StartApp, announce, statuses
from tests.rsvp.conftest import insert_event
from tests.waiting import wait_for, wait_for_async

pytestmark = pytest.mark.faults

EDIT = "PATCH /channels/{channel_id}/messages/{message_id}"


def shown(sandbox: SandboxServer, message_id: int) -> str:
    """The RSVP line the announcement shows now."""
    embeds = sandbox.state.messages[message_id].embeds
    fields = embeds[0].get("fields", []) if embeds else []
    return next((f["value"] for f in fields if f["name"] == "RSVP"), "")


def line(going: int, capacity: int) -> str:
    return rsvp_line(RsvpCounts(going=going), RsvpEmojis(), capacity)


async def test_an_edit_that_failed_with_a_5xx_is_retried_until_the_counts_show(
    rsvp_app: Application,
    sessions: async_sessionmaker[AsyncSession],
    reactor: Reactor,
    sandbox: SandboxServer,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    event_id = await insert_event(sessions, "retry", capacity=10, title="Retry Talk")
    message = await announce(rsvp_app, sessions, event_id, STLGO, "Retry Talk")
    fault = {"route": EDIT, "status": 503, "times": 2}
    async with http.post(f"{sandbox.url}/sandbox/faults", json=fault) as response:
        assert response.status == 200, await response.text()

    await reactor.react("alice", message, "✅")  # the only RSVP: nothing else will poke the announcement

    await wait_for(lambda: shown(sandbox, message) == line(1, 10), timeout=20, what="the count after retries")
    retries = [r for r in caplog.records if r.name == "bot.rsvp.coalesce" and "trying again" in r.message]
    assert len(retries) == 2  # both injected failures happened: the third edit landed


async def test_a_kill_between_the_rsvp_commit_and_its_edit_is_repaired_at_the_next_start(
    start_app: StartApp,
    sessions: async_sessionmaker[AsyncSession],
    reactor: Reactor,
    sandbox: SandboxServer,
    config: Config,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    first: Application = await start_app()
    event_id = await insert_event(sessions, "killed", capacity=10, title="Kill Talk")
    message = await announce(first, sessions, event_id, STLGO, "Kill Talk")
    await reactor.react("alice", message, "✅")
    await wait_for(lambda: shown(sandbox, message) == line(1, 10), timeout=10, what="1 going shown")
    await first.close()

    # a bot process whose coalesced edits wait a minute: after a first edit, the next change is committed
    # at once but shown only a minute later, so a kill right after the commit lands before the edit
    slow = tmp_path / "slow-edits.yaml"  # beside config.yaml: the same database file
    slow.write_text(BASE_CONFIG + "rsvp:\n  edit_interval_seconds: 60\n")
    assert slow.parent == config.source.parent
    process = await spawn_bot(
        "serve", slow, clock.now(), sandbox.api_base_url, stderr=asyncio.subprocess.STDOUT
    )
    output: list[str] = []

    async def read() -> None:  # drained all along, so the bot never blocks on a full pipe
        assert process.stdout is not None
        async for raw in process.stdout:
            output.append(raw.decode(errors="replace"))

    reader = asyncio.create_task(read())
    try:
        await wait_for(
            lambda: "ready\n" in output or process.returncode is not None, timeout=60, what="the bot"
        )
        assert "ready\n" in output, "".join(output)[-2000:]
        bob, carol = reactor.id("bob"), reactor.id("carol")
        await reactor.react("bob", message, "✅")
        await wait_for(lambda: shown(sandbox, message) == line(2, 10), timeout=10, what="2 going shown")
        await reactor.react("carol", message, "✅")
        await wait_for_async(
            lambda: _has(sessions, event_id, carol), timeout=10, what="carol's RSVP committed"
        )
        process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(process.wait(), timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        await asyncio.wait_for(reader, timeout=10)
    assert process.returncode == -signal.SIGKILL, "".join(output)[-2000:]
    assert "Traceback" not in "".join(output)
    assert (await statuses(sessions, event_id))[bob] == "going"
    assert shown(sandbox, message) == line(2, 10)  # the kill landed between the commit and the edit

    await start_app()
    await wait_for(lambda: shown(sandbox, message) == line(3, 10), timeout=15, what="the database's 3 going")


async def _has(sessions: async_sessionmaker[AsyncSession], event_id: int, user_id: int) -> bool:
    return (await statuses(sessions, event_id)).get(user_id) == "going"
