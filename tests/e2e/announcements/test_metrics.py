"""GET /metrics: what the bot did, counted as it happens (posts, their lag, RSVP reactions, reconciliation)."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.application import Application
from bot.clock import ManualClock
from bot.config import Config, HttpConfig
from bot.discord_app.services import Services
from bot.sandbox import SandboxServer
from tests.e2e.announcements.conftest import STLGO_CHANNEL, Publish, bot_messages, day_after
from tests.waiting import wait_for_async


def served_bot(
    config: Config, sessions: async_sessionmaker[AsyncSession], sandbox: SandboxServer, clock: ManualClock
) -> Application:
    """A bot whose HTTP server (/metrics) listens on a free port; scheduled posting only when a test asks."""
    served = config.model_copy(update={"http": HttpConfig(listen="127.0.0.1:0"), "events_repo": None})
    return Application(
        Services(served, sessions, clock),
        "test-token",
        api_base_url=sandbox.api_base_url,
        guild_ready_timeout=0.05,
        scheduled_posting=False,
    )


async def scrape(
    http: aiohttp.ClientSession, app: Application
) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics by (name, labels)."""
    assert app.web is not None and app.web.url is not None
    async with http.get(f"{app.web.url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_posts_lag_and_reactions_are_counted_on_metrics(
    config: Config,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxServer,
    clock: ManualClock,
    publish: Publish,
    http: aiohttp.ClientSession,
) -> None:
    start = (await publish("profiling", when=day_after(10))).starts_at
    app = served_bot(config, sessions, sandbox, clock)
    await app.start()
    try:
        await app.wait_ready(timeout=15)
        before = await scrape(http, app)
        assert value(before, "meetup_bot_posts_total", kind="announcement", outcome="sent") == 0
        # the announcement was due a week before the start; the bot runs its pass 90 s after that
        clock.set(start - timedelta(days=7) + timedelta(seconds=90))
        report = await app.scheduler.run_due()
        assert f"profiling announcement #{STLGO_CHANNEL}" in report.sent
        after = await scrape(http, app)
        assert value(after, "meetup_bot_posts_total", kind="announcement", outcome="sent") == 1
        assert value(after, "meetup_bot_scheduler_lag_seconds_count", kind="announcement") == 1
        assert value(after, "meetup_bot_scheduler_lag_seconds_sum", kind="announcement") >= 90
        assert value(after, "meetup_bot_scheduler_lag_seconds_bucket", kind="announcement", le="60.0") == 0
        assert value(after, "meetup_bot_scheduler_lag_seconds_bucket", kind="announcement", le="300.0") == 1

        (announcement,) = bot_messages(sandbox, STLGO_CHANNEL)
        alice = sandbox.state.find_user("alice")
        assert alice is not None
        react = {
            "channel_id": str(STLGO_CHANNEL),
            "message_id": str(announcement.id),
            "user_id": str(alice.id),
            "emoji": "✅",
            "action": "add",
        }
        async with http.post(f"{sandbox.url}/sandbox/reactions", json=react) as response:
            assert response.status == 200

        async def stored() -> bool:
            samples = await scrape(http, app)
            return value(samples, "meetup_bot_rsvp_reactions_total", action="add", result="stored") == 1

        await wait_for_async(stored, timeout=10, what="the reaction counted on /metrics")
        samples = await scrape(http, app)
        assert value(samples, "meetup_bot_rsvp_reaction_handling_seconds_count") == 1
        assert ("meetup_bot_gateway_latency_seconds", frozenset()) in samples
        assert value(samples, "meetup_bot_rsvp_reconciliation_changes_total", change="added") == 0
    finally:
        await app.close()


async def test_gateway_reconnects_are_counted_by_how(
    config: Config,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxServer,
    clock: ManualClock,
    http: aiohttp.ClientSession,
) -> None:
    app = served_bot(config, sessions, sandbox, clock)
    await app.start()
    try:
        await app.wait_ready(timeout=15)

        async def reconnects(how: str, expected: float) -> None:
            async def seen() -> bool:
                return (
                    value(await scrape(http, app), "meetup_bot_gateway_reconnects_total", how=how) == expected
                )

            await wait_for_async(seen, timeout=15, what=f"{expected:g} {how} reconnect(s) on /metrics")

        async with http.post(f"{sandbox.url}/sandbox/gateway/drop", json={"resumable": True}) as response:
            assert response.status == 200
        await reconnects("resumed", 1)
        async with http.post(
            f"{sandbox.url}/sandbox/gateway/invalidate", json={"resumable": False}
        ) as response:
            assert response.status == 200
        await reconnects("new_session", 1)
        assert value(await scrape(http, app), "meetup_bot_gateway_reconnects_total", how="resumed") == 1
    finally:
        await app.close()


async def test_reactions_made_while_the_bot_was_away_count_as_reconciliation_changes(
    config: Config,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxServer,
    clock: ManualClock,
    publish: Publish,
    http: aiohttp.ClientSession,
) -> None:
    start = (await publish("profiling", when=day_after(10))).starts_at
    first = served_bot(config, sessions, sandbox, clock)
    await first.start()
    try:
        await first.wait_ready(timeout=15)
        clock.set(start - timedelta(days=7))
        assert f"profiling announcement #{STLGO_CHANNEL}" in (await first.scheduler.run_due()).sent
    finally:
        await first.close()
    (announcement,) = bot_messages(sandbox, STLGO_CHANNEL)
    for name in ("alice", "bob"):  # while no bot is connected
        user = sandbox.state.find_user(name)
        assert user is not None
        react = {
            "channel_id": str(STLGO_CHANNEL),
            "message_id": str(announcement.id),
            "user_id": str(user.id),
            "emoji": "✅",
            "action": "add",
        }
        async with http.post(f"{sandbox.url}/sandbox/reactions", json=react) as response:
            assert response.status == 200
    second = served_bot(config, sessions, sandbox, clock)
    await second.start()
    try:
        await second.wait_ready(timeout=15)

        async def reconciled() -> bool:
            samples = await scrape(http, second)
            return value(samples, "meetup_bot_rsvp_reconciliation_changes_total", change="added") == 2

        await wait_for_async(reconciled, timeout=15, what="two RSVPs added by reconciliation on /metrics")
        samples = await scrape(http, second)
        assert value(samples, "meetup_bot_rsvp_reactions_total", action="add", result="stored") == 0
    finally:
        await second.close()
