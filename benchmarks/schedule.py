"""Benchmark: the schedule of 10,000 upcoming events, and 100 posts falling due in the same second.

Targets (issue 5): build the schedule (plan minus ledger) of 10,000 upcoming events in under 1 s at start-up,
under 150 MB resident memory, and every post within 1 s of its due time while 100 fall due together, against
the sandbox with Discord's per-channel limit (5 messages per 5 s) on: 20 channels, 5 posts each, all due at once.
The second part runs the production path: Application, APScheduler timer, a real clock, real sockets.

Run: `.venv/bin/python benchmarks/schedule.py [--events 10000]`
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.application import Application
from bot.catalog.importer import store_records
from bot.catalog.record import AgendaItem, EventRecord
from bot.clock import SystemClock
from bot.config import Config
from bot.db.engine import open_database
from bot.discord_app.services import Services
from bot.sandbox import RateLimit, SandboxServer
from bot.sandbox_mode import seed_from_config
from bot.schedule import ledger
from bot.schedule.facts import upcoming_facts
from bot.schedule.service import Scheduler, horizon, planned_posts

CHANNELS = 20
DUE_TOGETHER = 100
ZONE = ZoneInfo("America/Chicago")


def make_config(db: Path) -> Config:
    groups = [
        {
            "name": f"Group {n}",
            "guild_id": 500000000000000000 + n * 10,
            "announce_channel_id": 500000000000000001 + n * 10,
            "organizer_role_id": 500000000000000002 + n * 10,
        }
        for n in range(CHANNELS)
    ]
    return Config.model_validate(
        {
            "database": {"url": f"sqlite+aiosqlite:///{db}"},
            "groups": groups,
            # the burst is made of 1-hour reminders; announcements come at the start, agenda is off
            "announcements": {"lead_time": "0m", "reminders": ["1h"], "scheduled_events": False},
        }
    )


def record(index: int, start: datetime, group: str) -> EventRecord:
    local = start.astimezone(ZONE)
    return EventRecord(
        slug=f"event-{index}",
        title=f"Event {index}",
        starts_at=local,
        ends_at=local + timedelta(hours=2),
        timezone="America/Chicago",
        source=f"bench/event-{index}.md",
        location="Example Hall, 1 Main St",
        hosting_groups=[group],
        agenda=[
            AgendaItem(local, local + timedelta(minutes=30), "Food and networking"),
            AgendaItem(local + timedelta(minutes=45), local + timedelta(minutes=90), "Main presentation"),
        ],
        sections={"Presentation": f"Talk {index}."},
    )


async def measure_build(db: Path, events: int) -> None:
    """In a fresh process: the start-up build, the full plan of every event, and the peak RSS."""
    config = make_config(db)
    async with open_database(config.database.url) as sessions:
        scheduler = Scheduler(config, sessions, SystemClock())
        started = time.perf_counter()
        await scheduler.rebuild()
        build = time.perf_counter() - started
        print(
            f"start-up build: {events + DUE_TOGETHER} upcoming events, {len(scheduler.upcoming())} posts planned "
            f"within the horizon ({horizon(config)}), next wake {scheduler.next_due():%H:%M:%S}: "
            f"{build * 1000:.0f} ms; peak RSS so far {rss_mb():.0f} MB"
        )
        started = time.perf_counter()
        async with sessions() as session:
            facts = await upcoming_facts(session, datetime.now(UTC))
            ids = [f.id for f in facts]
            done = await ledger.keys_for(session, ids)
            generations = await ledger.generations(session, ids)
        plan = [p for p in planned_posts(config, facts, generations) if p.key not in done]
        full = time.perf_counter() - started
        print(f"full plan of every event (as `meetup-bot schedule`): {len(plan)} posts, {full * 1000:.0f} ms")
        print(f"peak RSS of a bot process after both: {rss_mb():.0f} MB")


def rss_mb() -> float:
    """Peak resident memory of this process (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main(events: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        config = make_config(Path(tmp) / "bench.db")
        now = datetime.now(UTC)
        burst_due = (now + timedelta(seconds=20)).replace(microsecond=0)
        async with open_database(config.database.url) as sessions:
            # 10,000 upcoming events over the next ~14 months, none due during the burst
            records = [
                record(i, now + timedelta(days=2, hours=i, minutes=7), config.groups[i % CHANNELS].name)
                for i in range(events)
            ]
            # 100 events whose 1-hour reminder falls due at the same second, 5 per channel
            records += [
                record(events + i, burst_due + timedelta(hours=1), config.groups[i % CHANNELS].name)
                for i in range(DUE_TOGETHER)
            ]
            async with sessions.begin() as session:
                await store_records(session, records, now - timedelta(days=30))
            del records
            # start-up as a fresh bot process sees it: its own interpreter, so its memory is its own
            child = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--measure-build", str(Path(tmp) / "bench.db"), str(events)
            )
            await child.wait()

            sandbox = SandboxServer(
                seed_from_config(config),
                rate_limits={"POST /channels/{channel_id}/messages": RateLimit(limit=5, per=5.0)},
            )
            await sandbox.start()
            app = Application(
                Services(config, sessions, SystemClock()),
                "bench-token",
                api_base_url=sandbox.api_base_url,
                guild_ready_timeout=0.05,
            )
            await app.start()
            await app.wait_ready(timeout=30)
            wanted = {f"Event {events + i}" for i in range(DUE_TOGETHER)}
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                posted = [
                    m for m in sandbox.state.messages.values() if any(f"**{t}**" in m.content for t in wanted)
                ]
                if len(posted) >= DUE_TOGETHER and datetime.now(UTC) > burst_due + timedelta(seconds=2):
                    break
                await asyncio.sleep(0.05)
            await app.close()
            await sandbox.stop()
            lateness = sorted((m.timestamp - burst_due).total_seconds() for m in posted)
            print(
                f"posts due at the same second: {len(posted)} posted (of {DUE_TOGETHER}), {CHANNELS} channels"
            )
            if lateness:
                print(
                    f"lateness after due time: min {lateness[0] * 1000:.0f} ms, "
                    f"median {statistics.median(lateness) * 1000:.0f} ms, max {lateness[-1] * 1000:.0f} ms"
                )
            print(
                f"peak RSS of the benchmark process (generating, importing, sandbox and bot): {rss_mb():.0f} MB"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--measure-build", metavar="DB", help=argparse.SUPPRESS)
    parser.add_argument("count", nargs="?", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_build:
        asyncio.run(measure_build(Path(args.measure_build), args.count))
    else:
        asyncio.run(main(args.events))
