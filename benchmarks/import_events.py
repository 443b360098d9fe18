"""Benchmark: generate N event files in the St. Louis Go format and import them into a fresh SQLite file.

Target (issue 3): 10,000 files in under 2 s of wall time for the whole import (read, parse, one transaction).
Target (issue 12): `meetup-bot import` of the 10,000 files into a fresh database in under 2 s for the whole
process (interpreter start-up, imports, schema creation, parse, store, commit): measured by running
`.venv/bin/meetup-bot --config ... import FOLDER` as a subprocess, each time into a fresh database.
Run: `.venv/bin/python benchmarks/import_events.py [--count 10000] [--runs 3]` (or `make bench`); it
prints the median of the runs (each run imports into a fresh database), then re-imports the unchanged files.
`--whole-process-only` skips the in-process figures. The subprocesses may cache bytecode (in a temporary
PYTHONPYCACHEPREFIX, even where PYTHONDONTWRITEBYTECODE is set, after one warm-up run), as an installed bot
does; `--no-bytecode-cache` leaves the environment as it is (every process compiles every module).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.catalog.importer import import_paths, parse_paths, store_events
from bot.catalog.record import ParseOptions
from bot.db.engine import open_database

MEETUP_BOT = Path(sys.executable).with_name("meetup-bot")
CONFIG = """\
timezone: America/Chicago
database:
  url: sqlite+aiosqlite:///{database}
events_dir: events/
groups:
  - name: StLGo
    aliases: [St. Louis Go, StLGo]
    guild_id: 100000000000000001
    announce_channel_id: 100000000000000002
    organizer_role_id: 100000000000000003
  - name: Kubernetes & Cloud Native STL
    aliases: [KCN-STL]
    guild_id: 100000000000000011
    announce_channel_id: 100000000000000012
    organizer_role_id: 100000000000000013
"""

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


@dataclass
class Timing:
    read: float
    parse: float
    store: float
    pipelined: float
    reimport: float

    @property
    def total(self) -> float:
        return self.parse + self.store


async def run_once(folder: Path, database: Path, options: ParseOptions, count: int) -> Timing:
    """Every file imported into a fresh database, as parse_paths + store_events and as import_paths,
    then re-imported unchanged."""
    files = sorted(folder.rglob("README.md"))
    started = time.perf_counter()
    for path in files:
        path.read_bytes()
    read_s = time.perf_counter() - started

    async with open_database(f"sqlite+aiosqlite:///{database}") as sessions:
        started = time.perf_counter()
        batch = parse_paths([folder], options)
        parsed = time.perf_counter()
        async with sessions.begin() as session:
            report = await store_events(session, batch.events, datetime.now(UTC))
        stored = time.perf_counter()
    parse_s, store_s = parsed - started, stored - parsed
    async with open_database(f"sqlite+aiosqlite:///{database}.2") as sessions:
        started = time.perf_counter()
        async with sessions.begin() as session:  # the real path: each chunk stored while the next is parsed
            fresh = await import_paths(session, [folder], options, datetime.now(UTC))
        pipelined = time.perf_counter() - started
        async with sessions.begin() as session:  # unchanged files are not parsed again
            again = await import_paths(session, [folder], options, datetime.now(UTC))
        reimport = time.perf_counter() - started - pipelined

    assert not batch.errors, batch.errors[:3]
    assert len(report.created) == count, (len(report.created), batch.errors[:2])
    assert len(fresh.created) == count and fresh.ok, fresh.summary()
    assert len(again.unchanged) == count and again.ok, again.summary()
    return Timing(read_s, parse_s, store_s, pipelined, reimport)


def whole_process(tmp: Path, count: int, run: int, bytecode_cache: bool) -> float:
    """`meetup-bot import` of the folder into a fresh database, as a separate process: wall seconds."""
    env = dict(os.environ)
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    config = tmp / f"config{run}.yaml"
    config.write_text(CONFIG.format(database=tmp / f"whole{run}.db"))
    started = time.perf_counter()
    done = subprocess.run(
        [str(MEETUP_BOT), "--config", str(config), "import", str(tmp / "events")],
        capture_output=True,
        text=True,
        env=env,
    )
    seconds = time.perf_counter() - started
    expected = f"imported {count} new, 0 updated, 0 unchanged; 0 skipped, 0 failed"
    assert done.returncode == 0 and expected in done.stdout, (
        done.returncode,
        done.stdout,
        done.stderr[-2000:],
    )
    return seconds


async def run(count: int, runs: int, whole_only: bool, bytecode_cache: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "events"
        folder.mkdir()
        generate(folder, count)
        if bytecode_cache:
            whole_process(Path(tmp), count, -1, bytecode_cache)  # warm-up: fills the bytecode cache
        whole = [whole_process(Path(tmp), count, n, bytecode_cache) for n in range(runs)]
        whole_s = statistics.median(whole)
        print(f"files: {count}; median of {runs} runs")
        print("bytecode cache:", "on (as installed)" if bytecode_cache else "off (every module compiled)")
        print(
            f"whole process (`meetup-bot import`, fresh database): {whole_s:.3f} s  "
            f"[{', '.join(f'{s:.3f}' for s in whole)}]  target < 2 s: {'OK' if whole_s < 2 else 'MISSED'}"
        )
        if whole_only:
            return
        options = ParseOptions(group_aliases={"stlgo": "StLGo", "kcn-stl": "Kubernetes & Cloud Native STL"})
        timings = [await run_once(folder, Path(tmp) / f"bench{n}.db", options, count) for n in range(runs)]

    def median(name: str) -> float:
        return statistics.median(float(getattr(t, name)) for t in timings)

    def each(name: str) -> str:
        return ", ".join(f"{getattr(t, name):.3f}" for t in timings)

    total = median("total")
    parse = median("parse")
    peak_mib = max(
        resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    print(f"in process: median of {runs} runs (each run: [...])")
    print(f"read only (warm cache): {median('read'):.3f} s  [{each('read')}]")
    print(f"parse: {parse:.3f} s ({parse / count * 1e6:.0f} µs/file)  [{each('parse')}]")
    print(f"store (one transaction): {median('store'):.3f} s  [{each('store')}]")
    print(f"parse_paths + store_events: {total:.3f} s  [{each('total')}]  target < 2 s: ", end="")
    print("OK" if total < 2 else "MISSED")
    print(f"import_paths, fresh database (parse and store overlapped): {median('pipelined'):.3f} s  ", end="")
    print(f"[{each('pipelined')}]  target < 2 s: {'OK' if median('pipelined') < 2 else 'MISSED'}")
    print(f"re-import of unchanged files (import_paths): {median('reimport'):.3f} s  [{each('reimport')}]")
    print(f"peak memory (largest process): {peak_mib / 1024:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="imports to run; figures are their median")
    parser.add_argument(
        "--whole-process-only", action="store_true", help="only the `meetup-bot import` figure"
    )
    parser.add_argument("--no-bytecode-cache", action="store_true", help="compile every module in every run")
    args = parser.parse_args()
    asyncio.run(run(args.count, args.runs, args.whole_process_only, not args.no_bytecode_cache))


if __name__ == "__main__":
    main()
