"""The running bot follows the group's git repository: polls, the signed webhook, /sync, and the summaries.

The real bot against the sandbox, a real SQLite file, a real bare repository pushed to by an organizer's
clone (file:// URL). Times are the test clock's; the poll runs in real time (1 s here)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.application import Application
from bot.cli.run import _serve
from bot.clock import ManualClock
from bot.config import Config, DiscordConfig
from bot.discord_app.services import Services
from bot.repo.git import repo_lock
from bot.sandbox import SandboxServer
from bot.schedule.service import NO_EVENTS_REPO
from tests.e2e.announcements.conftest import LOG_CHANNEL, STLGO_CHANNEL, STLGO_GUILD, StartBot, texts
from tests.e2e.conftest import Member
from tests.e2e.repo.conftest import START, event_row, post_push, slugs
from tests.repo.event_repo import EventRepo, event_text, run_git
from tests.waiting import wait_for, wait_for_async

LATER = {"later-0", "later-1", "later-2"}
DEADLINE = 30.0  # generous: two cores shared by several test runs


async def imported(sessions: async_sessionmaker[AsyncSession], expected: set[str]) -> None:
    async def probe() -> bool:
        return await slugs(sessions) == expected

    await wait_for_async(probe, timeout=DEADLINE, what=f"the events {sorted(expected)} imported")


def posted(sandbox: SandboxServer, channel: int, needle: str) -> list[str]:
    return [t for t in texts(sandbox, channel) if needle in t]


async def wait_posted(sandbox: SandboxServer, channel: int, needle: str) -> list[str]:
    return await wait_for(
        lambda: posted(sandbox, channel, needle), timeout=DEADLINE, what=f"a post with {needle!r}"
    )


async def answered(member: Member, command: str) -> dict[str, Any] | None:
    """The bot's answer to `command` in StLGo's channel, or None while the bot is not connected yet."""
    body = {
        "guild_id": str(STLGO_GUILD),
        "channel_id": str(STLGO_CHANNEL),
        "user_id": str(member.id),
        "name": command,
        "options": {},
    }
    async with member.http.post(f"{member.server.url}/sandbox/commands", json=body) as response:
        answer: dict[str, Any] = await response.json()
        return answer if response.status == 200 else None


def head(repo: EventRepo) -> str:
    return run_git(repo.path, "rev-parse", "HEAD").strip()


async def test_added_rescheduled_renamed_and_removed_files_are_acted_on_within_the_poll_interval(
    start_bot: StartBot,
    organizer: EventRepo,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await start_bot()
    await imported(sessions, LATER)  # the first poll clones the repository

    organizer.write("go-talk.md", event_text("Go talk", START))
    organizer.commit("Add the Go talk")
    organizer.push("main")
    await wait_posted(sandbox, STLGO_CHANNEL, "📣 New meetup: **Go talk**")
    (summary,) = await wait_posted(sandbox, LOG_CHANNEL, "Add the Go talk")
    assert head(organizer)[:7] in summary and "Test Organizer" in summary and "added 1" in summary

    organizer.write("go-talk.md", event_text("Go talk", START + timedelta(hours=1)))
    organizer.commit("Go talk starts an hour later")
    organizer.push("main")
    await wait_posted(sandbox, STLGO_CHANNEL, "📅 Rescheduled: **Go talk**")
    (summary,) = await wait_posted(sandbox, LOG_CHANNEL, "Go talk starts an hour later")
    assert "rescheduled 1" in summary

    organizer.move("go-talk.md", "2026/go-talk.md")  # the same slug: the same event, nothing to tell
    organizer.commit("File the Go talk under its year")
    organizer.push("main")

    async def moved() -> bool:
        event = await event_row(sessions, "go-talk")
        return event is not None and event.source.endswith("2026/go-talk.md")

    await wait_for_async(moved, timeout=DEADLINE, what="the event's source to follow the rename")

    organizer.remove("2026/go-talk.md")
    organizer.commit("The Go talk is off")
    organizer.push("main")
    (cancellation,) = await wait_posted(sandbox, STLGO_CHANNEL, "was removed from the schedule")
    assert cancellation.startswith("❌ **Go talk**")
    assert await slugs(sessions, removed=True) == {"go-talk"}
    # one announcement, one notice, one cancellation: the rename posted nothing, no poll repeated a post
    assert len(texts(sandbox, STLGO_CHANNEL)) == 3
    (summary,) = await wait_posted(sandbox, LOG_CHANNEL, "The Go talk is off")
    assert "cancelled 1" in summary
    assert all(t.startswith("🔄 meetup-bot: ") for t in texts(sandbox, LOG_CHANNEL))


@pytest.mark.parametrize("poll", ["1h"])  # only the webhook can explain a sync
async def test_a_signed_push_webhook_syncs_at_once_and_anything_else_changes_nothing(
    start_bot: StartBot,
    organizer: EventRepo,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
    http: aiohttp.ClientSession,
    secret: str,
    clock: ManualClock,
) -> None:
    app = await start_bot()
    organizer.write("go-talk.md", event_text("Go talk", START))
    organizer.commit("Add the Go talk")
    organizer.push("main")

    assert await post_push(http, app, key="not the secret") == (
        401,
        "bad or missing X-Hub-Signature-256 (sha256 HMAC of the body)",
    )
    assert not app.timer.resync_pending and app.scheduler.repo_syncs == 0
    assert await post_push(http, app, ref="refs/heads/feature") == (
        202,
        "ignored: push to refs/heads/feature",
    )
    assert not app.timer.resync_pending and app.scheduler.repo_syncs == 0
    assert await slugs(sessions) == set()

    assert await post_push(http, app) == (202, "sync started: push to refs/heads/main")
    await imported(sessions, LATER | {"go-talk"})
    await wait_posted(sandbox, STLGO_CHANNEL, "📣 New meetup: **Go talk**")
    await wait_posted(sandbox, LOG_CHANNEL, "Add the Go talk")
    assert app.scheduler.repo_syncs == 1
    assert app.web is not None and app.web.url is not None
    async with http.get(f"{app.web.url}/metrics") as response:
        metrics = await response.text()
    samples = {s.name: s.value for f in text_string_to_metric_families(metrics) for s in f.samples}
    assert samples["meetup_bot_repo_last_sync_timestamp_seconds"] == clock.now().timestamp()
    assert samples["meetup_bot_repo_sync_failures_total"] == 0


@pytest.mark.parametrize("poll", ["1h"])
async def test_pushes_arriving_during_a_sync_make_one_more_sync(
    start_bot: StartBot,
    organizer: EventRepo,
    sessions: async_sessionmaker[AsyncSession],
    http: aiohttp.ClientSession,
    config: Config,
    secret: str,
) -> None:
    app = await start_bot()
    assert config.events_repo is not None
    async with repo_lock(config.events_repo.clone_dir):  # another writer holds the clone: the sync waits
        assert (await post_push(http, app))[0] == 202
        await wait_for(lambda: app.scheduler.repo_syncs == 1, timeout=DEADLINE, what="the first sync")
        for n in range(4):  # organizers merging one pull request after another
            organizer.write(f"talk-{n}.md", event_text(f"Talk {n}", START + timedelta(days=n)))
            organizer.commit(f"Add talk {n}")
            organizer.push("main")
            assert (await post_push(http, app))[0] == 202
    await wait_for(lambda: not app.timer.resync_pending, timeout=DEADLINE, what="the syncs to finish")
    assert app.scheduler.repo_syncs == 2
    assert await slugs(sessions) == LATER | {f"talk-{n}" for n in range(4)}


async def test_an_unreachable_remote_is_one_warning_the_bot_keeps_serving_and_catches_up(
    start_bot: StartBot,
    organizer: EventRepo,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
    alice: Member,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    app = await start_bot()
    await imported(sessions, LATER)
    assert organizer.origin is not None
    away = organizer.origin.with_name("moved-away.git")
    organizer.origin.rename(away)
    count = app.scheduler.repo_syncs
    await wait_for(
        lambda: app.scheduler.repo_syncs >= count + 4, timeout=DEADLINE, what="polls of the lost remote"
    )
    outage = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.getMessage().startswith("events repository:")
    ]
    assert len(outage) == 1 and "\n" not in outage[0], outage
    answer = await alice.command("next-event", STLGO_GUILD, STLGO_CHANNEL)
    assert answer["embeds"][0]["title"] == "Later talk 0"  # served from the database meanwhile

    away.rename(organizer.origin)
    organizer.write("go-talk.md", event_text("Go talk", START))
    organizer.commit("Add the Go talk")
    organizer.push("main")
    await wait_posted(sandbox, STLGO_CHANNEL, "📣 New meetup: **Go talk**")
    back = [r.getMessage() for r in caplog.records if "reachable again" in r.getMessage()]
    assert len(back) == 1
    assert not posted(sandbox, LOG_CHANNEL, "could not sync")  # an outage is the bot's log's business


async def test_a_broken_file_is_reported_once_for_its_commit(
    start_bot: StartBot,
    organizer: EventRepo,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    app = await start_bot()
    await imported(sessions, LATER)
    organizer.write("go-talk.md", event_text("Go talk", START))
    organizer.write("broken.md", "# Broken talk\n\n## Meta\n| | |\n| --- | --- |\n| **When:** | someday |\n")
    organizer.commit("Two talks, one of them broken")
    organizer.push("main")
    (summary,) = await wait_posted(sandbox, LOG_CHANNEL, "Two talks, one of them broken")
    assert "broken.md" in summary and "added 1" in summary
    count = app.scheduler.repo_syncs
    await wait_for(lambda: app.scheduler.repo_syncs >= count + 3, timeout=DEADLINE, what="more polls")
    assert len(posted(sandbox, LOG_CHANNEL, "broken.md")) == 1


@pytest.mark.parametrize("poll", ["1h"])
async def test_sync_by_an_organizer_answers_the_summary_and_is_refused_to_members(
    start_bot: StartBot,
    organizer: EventRepo,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
    alice: Member,
) -> None:
    app = await start_bot()
    refused = await alice.command("sync", STLGO_GUILD, STLGO_CHANNEL)
    assert refused["ephemeral"] is True
    assert refused["content"] == "Only StLGo organizers can use /sync. Nothing was changed."
    assert app.scheduler.repo_syncs == 0

    olivia = Member(alice.http, sandbox, "olivia")
    answer = await olivia.command("sync", STLGO_GUILD, STLGO_CHANNEL)
    assert answer["ephemeral"] is True
    assert head(organizer)[:7] in answer["content"] and "added 3" in answer["content"]
    assert await slugs(sessions) == LATER
    again = await olivia.command("sync", STLGO_GUILD, STLGO_CHANNEL)
    assert "nothing changed" in again["content"]

    assert organizer.origin is not None
    organizer.origin.rename(organizer.origin.with_name("gone.git"))
    lost = await olivia.command("sync", STLGO_GUILD, STLGO_CHANNEL)
    assert "could not sync" in lost["content"] and "Traceback" not in lost["content"]
    assert await slugs(sessions) == LATER


async def test_sync_without_events_repo_says_how_to_set_it(
    config: Config,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxServer,
    clock: ManualClock,
    http: aiohttp.ClientSession,
) -> None:
    plain = config.model_copy(update={"events_repo": None, "http": None})
    app = Application(
        Services(plain, sessions, clock),
        "test-token",
        api_base_url=sandbox.api_base_url,
        guild_ready_timeout=0.05,
    )
    await app.start()
    try:
        await app.wait_ready(timeout=15)
        answer = await Member(http, sandbox, "olivia").command("sync", STLGO_GUILD, STLGO_CHANNEL)
    finally:
        await app.close()
    assert answer["ephemeral"] is True and answer["content"] == NO_EVENTS_REPO


async def serve(
    config: Config, sandbox: SandboxServer, clock: ManualClock
) -> tuple[asyncio.Task[int], asyncio.Event]:
    """`meetup-bot run` with a token, against the sandbox: the start-up sync, then the bot."""
    serving = config.model_copy(update={"discord": DiscordConfig(api_base_url=sandbox.api_base_url)})
    stop = asyncio.Event()
    return asyncio.create_task(_serve(serving, "test-token", clock, stop, ())), stop


async def test_run_clones_at_start_and_the_summary_reaches_the_log_channel_once_connected(
    organizer: EventRepo,
    config: Config,
    sandbox: SandboxServer,
    clock: ManualClock,
    sessions: async_sessionmaker[AsyncSession],
    capsys: pytest.CaptureFixture[str],
) -> None:
    organizer.write("go-talk.md", event_text("Go talk", START))
    organizer.commit("Add the Go talk")
    organizer.push("main")
    bot, stop = await serve(config, sandbox, clock)
    try:
        await wait_posted(sandbox, STLGO_CHANNEL, "📣 New meetup: **Go talk**")
        (summary,) = await wait_posted(sandbox, LOG_CHANNEL, "Add the Go talk")
    finally:
        stop.set()
        assert await asyncio.wait_for(bot, DEADLINE) == 0
    assert "added 4" in summary
    assert config.events_repo is not None and (config.events_repo.clone_dir / "go-talk.md").is_file()
    assert "added 4" in capsys.readouterr().out


async def test_run_with_the_remote_unreachable_starts_on_the_database_and_syncs_when_it_is_back(
    organizer: EventRepo,
    config: Config,
    sandbox: SandboxServer,
    clock: ManualClock,
    sessions: async_sessionmaker[AsyncSession],
    alice: Member,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    assert organizer.origin is not None
    away: Path = organizer.origin.with_name("elsewhere.git")
    organizer.origin.rename(away)
    bot, stop = await serve(config, sandbox, clock)
    try:
        answer = await wait_for_async(
            lambda: answered(alice, "next-event"), timeout=DEADLINE, what="the bot answering /next-event"
        )
        assert "StLGo has no upcoming event yet" in answer["content"]
        start_warning = [
            r for r in caplog.records if r.name == "bot.cli.run" and r.levelno == logging.WARNING
        ]
        assert len(start_warning) == 1 and "trying again every poll_interval" in start_warning[0].getMessage()
        away.rename(organizer.origin)
        await imported(sessions, LATER)
    finally:
        stop.set()
        assert await asyncio.wait_for(bot, DEADLINE) == 0
