"""Benchmark: generate N event files in the St. Louis Go format and import them into a fresh SQLite file.

Target (issue 3): 10,000 files in under 2 s of wall time for the whole import (read, parse, one transaction).
Run: `.venv/bin/python benchmarks/import_events.py [--count 10000]` (or `make bench`).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.catalog.importer import parse_paths, store_events
from bot.catalog.record import ParseOptions
from bot.db.engine import open_database

VENUES = [
    ("[Example Coworking](https://example.org/cowork), 100 Market St - St. Louis, MO 63101", True),
    (
        "Object Example (OEX),\n| | 12140 Example Dr. |\n| | St. Louis, MO 63141 |\n| | :round_pushpin: 38.67,-90.45",
        True,
    ),
    ("VIRTUAL EVENT, Zoom/YouTube", False),
]
AGENDAS = [
    "* 5:30 - 6:00 Food and networking\n* 6:00 - 6:10 Announcements\n* 6:15 - 7:00 Main presentation\n"
    "* 7:00 - 7:30 Q&A\n",
    "* 6:00pm: Doors open\n* 6:00pm-6:30pm: Snacks and networking\n* 6:30pm-7:30pm: Feature presentation\n",
    "",
]


def event_text(index: int, day: date, rng: random.Random) -> str:
    venue, in_person = VENUES[index % len(VENUES)]
    agenda = AGENDAS[index % len(AGENDAS)] if in_person else ""
    time_row = "" if agenda else "| **Time:** | 6:00pm - 8:00pm CST |\n"
    rsvps = (
        f"StLGo: {rng.randint(5, 40)}, KCN-STL: {rng.randint(5, 40)}"
        if index % 4 == 0
        else rng.randint(5, 80)
    )
    return (
        f"# Talk number {index}: Go and Things (Rescheduled)\n"
        f"https://www.meetup.com/example/events/{100000 + index}/\n\n"
        "## Meta \n| | |\n| --- | --- |\n"
        f"| **When:** | {day:%A, %B} {day.day}, {day.year} |\n{time_row}"
        f"| **Where:** | {venue} |\n"
        f"| **Presenter:** | Speaker {index}, [@speaker{index}](https://example.org/@s{index}) |\n"
        f"| | Second Speaker {index} |\n"
        f"| **Group Membership:** | {500 + index % 300} (12 in Bevy) |\n"
        f"| **Total RSVPs:** | {rsvps} |\n"
        f"| **Total Attendance:** | {'???' if index % 7 == 0 else f'{index % 9} YouTube, {index % 4} Twitch'} |\n\n"
        "## Presentation\n" + "A talk about Go, concurrency &amp; the things we learned. " * 12 + "\n\n"
        f"## Event\nThe basic agenda follows:\n{agenda}\nPlease RSVP.\n\n"
        "## Sponsors\n* **Food** from [Example Pizza](https://example.org/pizza).\n\n"
        "## Recording\nhttps://www.youtube.com/watch?v=example\n"
    )


def generate(folder: Path, count: int) -> None:
    rng = random.Random(42)
    start = date(2027, 1, 6)
    for index in range(count):
        day = start + timedelta(days=index)
        slug = f"{day:%Y-%m-%d}-Talk{index}"
        (folder / slug).mkdir()
        (folder / slug / "README.md").write_text(event_text(index, day, rng), encoding="utf-8")


async def run(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "events"
        folder.mkdir()
        generate(folder, count)
        options = ParseOptions(group_aliases={"stlgo": "StLGo", "kcn-stl": "Kubernetes & Cloud Native STL"})
        files = sorted(folder.rglob("README.md"))
        started = time.perf_counter()
        for path in files:
            path.read_bytes()
        read_s = time.perf_counter() - started

        async with open_database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}") as sessions:
            started = time.perf_counter()
            batch = parse_paths([folder], options)
            parsed = time.perf_counter()
            async with sessions.begin() as session:
                report = await store_events(session, batch.events, datetime.now(UTC))
            stored = time.perf_counter()
            async with sessions.begin() as session:
                again = await store_events(session, parse_paths([folder], options).events, datetime.now(UTC))
            reimport = time.perf_counter() - stored

    assert not batch.errors, batch.errors[:3]
    assert len(report.created) == count, (len(report.created), batch.errors[:2]) and len(
        again.unchanged
    ) == count
    total = stored - started
    print(f"files: {count}")
    print(f"read only (warm cache): {read_s:.3f} s")
    print(f"parse: {parsed - started:.3f} s ({(parsed - started) / count * 1e6:.0f} µs/file)")
    print(f"store (one transaction): {stored - parsed:.3f} s")
    print(f"import total (parse + store): {total:.3f} s  target < 2 s: {'OK' if total < 2 else 'MISSED'}")
    print(f"re-import of unchanged files: {reimport:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    asyncio.run(run(parser.parse_args().count))


if __name__ == "__main__":
    main()
