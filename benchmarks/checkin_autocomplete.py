"""Benchmark: the /checkin member autocomplete query with 500 RSVPs (the work done inside Discord's 3 s).

Run: `.venv/bin/python benchmarks/checkin_autocomplete.py [--rsvps 500] [--runs 200]`; prints the median
and 95th percentile of `candidates()` (one indexed query, limit 25) on a fresh, migrated SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.checkin.service import candidates
from bot.db.engine import open_database
from bot.db.models import Event, EventGroup, Rsvp

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
QUERIES = ["", "m", "member 4", "member 49", "ember 12", "zzz"]


async def run(rsvps: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with open_database(f"sqlite+aiosqlite:///{folder}/bench.db") as sessions:
            async with sessions.begin() as session:
                event = Event(
                    slug="bench",
                    title="Bench",
                    starts_at=NOW,
                    ends_at=NOW + timedelta(hours=2),
                    timezone="America/Chicago",
                    source="bench.md",
                    content_hash="0" * 64,
                    created_at=NOW,
                    updated_at=NOW,
                    groups=[EventGroup(group_name="StLGo", position=0)],
                )
                session.add(event)
                await session.flush()
                statuses = ["going", "going", "maybe", "waitlist", "not_going"]
                session.add_all(
                    Rsvp(
                        event_id=event.id,
                        user_id=10_000 + i,
                        user_name=f"Member {i:03d}",
                        status=statuses[i % 5],
                        queued_at=NOW,
                        updated_at=NOW,
                        queue_seq=i,
                    )
                    for i in range(rsvps)
                )
                event_id = event.id
            timings = []
            for i in range(runs):
                started = time.perf_counter()
                async with sessions() as session:
                    await candidates(session, event_id, QUERIES[i % len(QUERIES)])
                timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    print(
        f"{rsvps} RSVPs, {runs} autocomplete queries: median {statistics.median(timings):.2f} ms, "
        f"p95 {timings[int(len(timings) * 0.95) - 1]:.2f} ms, max {timings[-1]:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rsvps", type=int, default=500)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(run(args.rsvps, args.runs))


if __name__ == "__main__":
    main()
