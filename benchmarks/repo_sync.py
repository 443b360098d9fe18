"""Benchmark: sync of a 10,000-file events repository (issue 12).

Target: a sync of one changed file in a 10,000-file repository in well under 0.5 s: the whole
`sync_repository` call, fetch from a local file:// remote included (the working tree is not walked).
Also reported: the first sync (clone and import of every file), a poll with no new commit, and
`meetup-bot sync` of one change as a whole process (interpreter start-up included).

Run: `.venv/bin/python benchmarks/repo_sync.py [--count 10000] [--runs 5]`
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.import_events import CONFIG, generate
from bot.clock import SystemClock
from bot.config import load_config
from bot.db.engine import open_database
from bot.repo.sync import sync_repository

MEETUP_BOT = Path(sys.executable).with_name("meetup-bot")
IDENTITY = {
    "GIT_AUTHOR_NAME": "Bench Organizer",
    "GIT_AUTHOR_EMAIL": "bench@example.org",
    "GIT_COMMITTER_NAME": "Bench Organizer",
    "GIT_COMMITTER_EMAIL": "bench@example.org",
}
REPO = """\
events_repo:
  url: {url}
  branch: main
  path: events
  clone_dir: clone/
"""


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **IDENTITY}, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def make_remote(tmp: Path, count: int) -> tuple[Path, Path]:
    """A bare remote and an organizer's clone holding `count` generated event files, pushed."""
    bare, work = tmp / "remote.git", tmp / "organizer"
    git(tmp, "init", "-q", "--bare", "-b", "main", str(bare))
    git(tmp, "clone", "-q", bare.as_uri(), str(work))
    (work / "events").mkdir()
    generate(work / "events", count)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", f"{count} events")
    git(work, "push", "-q", "origin", "HEAD:main")
    return bare, work


def change_one(work: Path, run: int) -> None:
    """One organizer's edit: a new title for one event, committed and pushed."""
    target = sorted((work / "events").iterdir())[run * 7 + 3] / "README.md"
    lines = target.read_text(encoding="utf-8").split("\n", 1)
    target.write_text(f"# Retitled talk, take {run}\n{lines[1]}", encoding="utf-8")
    git(work, "commit", "-q", "-am", f"Retitle, take {run}")
    git(work, "push", "-q", "origin", "HEAD:main")


async def run(count: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        started = time.perf_counter()
        bare, work = make_remote(tmp, count)
        print(f"files: {count}; repository made in {time.perf_counter() - started:.1f} s")
        config_file = tmp / "config.yaml"
        config_file.write_text(CONFIG.format(database=tmp / "bench.db") + REPO.format(url=bare.as_uri()))
        config = load_config(config_file, environ={})
        clock = SystemClock()
        async with open_database(config.database.url) as sessions:
            started = time.perf_counter()
            first = await sync_repository(config, sessions, clock)
            first_s = time.perf_counter() - started
            assert first.error is None and len(first.added) == count, first.summary()[:300]
            print(f"first sync (clone + import of every file): {first_s:.3f} s")

            one: list[float] = []
            for index in range(runs):
                change_one(work, index)
                started = time.perf_counter()
                report = await sync_repository(config, sessions, clock)
                one.append(time.perf_counter() - started)
                assert report.updated and not report.full and not report.failed, report.summary()
            median = statistics.median(one)
            verdict = "OK" if median < 0.5 else "MISSED"
            print(
                f"sync of one changed file (fetch included), median of {runs}: {median:.3f} s  "
                f"[{', '.join(f'{s:.3f}' for s in one)}]  target < 0.5 s: {verdict}"
            )

            idle: list[float] = []
            for _ in range(runs):
                started = time.perf_counter()
                report = await sync_repository(config, sessions, clock)
                idle.append(time.perf_counter() - started)
                assert not report.changed and report.commit == report.previous
            print(f"poll with no new commit, median of {runs}: {statistics.median(idle):.3f} s")

        whole: list[float] = []
        for index in range(runs, runs + 3):
            change_one(work, index)
            started = time.perf_counter()
            done = subprocess.run(
                [str(MEETUP_BOT), "--config", str(config_file), "sync"], capture_output=True, text=True
            )
            whole.append(time.perf_counter() - started)
            assert done.returncode == 0 and "updated 1" in done.stdout, (done.stdout, done.stderr[-1000:])
        print(
            f"`meetup-bot sync` of one change, whole process, median of 3: {statistics.median(whole):.3f} s  "
            f"[{', '.join(f'{s:.3f}' for s in whole)}]"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.count, args.runs))


if __name__ == "__main__":
    main()
