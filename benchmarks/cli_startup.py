"""Benchmark: start-up cost of the quick commands (`check-config`, `events`, `lint`).

Target (issue 12): at most 0.4 s of interpreter time before a command's work begins, and none of the heavy
modules a quick command does not use (discord.py, Alembic, aiohttp, matplotlib, the sandbox) imported.
For each command it runs `python -X importtime -m bot ...` in a fresh process and sums the cumulative times
of the top-level imports up to and including the command's own module (`bot.cli.catalog`, `bot.cli.lint`,
imported when the command is dispatched): that is the start-up before the command's work. It also shows all
the process's imports (with those the work itself needs: SQLAlchemy's ORM for `events`), and times the whole
command (`meetup-bot ...`, wall clock). Figures are medians of the runs.
`events` runs against a database already at the newest schema (made by an `import` first), as it would be.
The processes may cache bytecode (in a temporary PYTHONPYCACHEPREFIX, even where PYTHONDONTWRITEBYTECODE is
set), as an installed bot does; `--no-bytecode-cache` leaves the environment as it is (every module compiled).
Run: `.venv/bin/python benchmarks/cli_startup.py [--runs 5] [--no-bytecode-cache]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = Path(sys.executable)
MEETUP_BOT = PYTHON.with_name("meetup-bot")
TARGET_S = 0.4
# top-level packages a quick command must not import; `bot.sandbox` is ours
HEAVY = ("discord", "alembic", "aiohttp", "matplotlib", "bot.sandbox", "mako", "apscheduler")

CONFIG = """\
timezone: America/Chicago
database:
  url: sqlite+aiosqlite:///meetup.db
events_dir: events/
groups:
  - name: StLGo
    aliases: [St. Louis Go]
    guild_id: 100000000000000001
    announce_channel_id: 100000000000000002
    organizer_role_id: 100000000000000003
"""

EVENT = """\
# Go and Things
## Meta
| | |
| --- | --- |
| **When:** | {day} |
| **Time:** | 6:00pm - 8:00pm CST |
| **Where:** | Example Coworking, 100 Market St - St. Louis, MO 63101 |
"""

# each command's arguments, and the module dispatch imports for it (its work starts once it is imported)
COMMANDS: dict[str, tuple[list[str], str]] = {
    "check-config": (["check-config"], "bot.cli.catalog"),
    "events": (["events", "--all"], "bot.cli.catalog"),
    "lint": (["lint", "events"], "bot.cli.lint"),
}


@dataclass
class Figures:
    before_s: float  # imports up to the command's module: the start-up before its work
    import_s: float  # every import of the process
    wall_s: float
    heavy: list[str]
    skipped: str | None = None


def import_times(stderr: str, command_module: str) -> tuple[float, float, set[str]]:
    """From `-X importtime` output: seconds of top-level imports up to `command_module`, seconds of all
    top-level imports (each line's cumulative time covers what it imported), and every module's name."""
    before_us = total_us = 0
    reached = False
    names: set[str] = set()
    for line in stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        _, cumulative, name = line.split("|")
        if not cumulative.strip().isdigit():
            continue  # the header
        names.add(name.strip())
        if not name.startswith("  "):  # one space after the bar: a top-level import
            total_us += int(cumulative)
            if not reached:
                before_us += int(cumulative)
                reached = name.strip() == command_module
    return before_us / 1e6, total_us / 1e6, names


def heavy_in(names: set[str]) -> list[str]:
    return sorted(h for h in HEAVY if any(n == h or n.startswith(h + ".") for n in names))


def prepare(folder: Path, env: dict[str, str]) -> None:
    from datetime import date, timedelta

    (folder / "config.yaml").write_text(CONFIG)
    events = folder / "events"
    events.mkdir()
    day = date.today() + timedelta(days=10)
    (events / "go-and-things.md").write_text(EVENT.format(day=f"{day:%A, %B} {day.day}, {day.year}"))
    subprocess.run(
        [str(MEETUP_BOT), "--config", "config.yaml", "import", "events"],
        cwd=folder,
        env=env,
        check=True,
        capture_output=True,
    )


def environment(folder: Path, bytecode_cache: bool) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DISCORD_TOKEN", None)
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    return env


def measure(folder: Path, args: list[str], command_module: str, runs: int, env: dict[str, str]) -> Figures:
    befores: list[float] = []
    imports: list[float] = []
    walls: list[float] = []
    heavy: set[str] = set()
    for _ in range(runs):
        done = subprocess.run(
            [str(PYTHON), "-X", "importtime", "-m", "bot", "--config", "config.yaml", *args],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
        )
        if f"No module named '{command_module}'" in done.stderr or "invalid choice" in done.stderr:
            return Figures(0, 0, 0, [], skipped=f"`{args[0]}` is not there yet ({command_module})")
        before, seconds, names = import_times(done.stderr, command_module)
        befores.append(before)
        imports.append(seconds)
        heavy.update(heavy_in(names))
        started = time.perf_counter()
        subprocess.run(
            [str(MEETUP_BOT), "--config", "config.yaml", *args], cwd=folder, env=env, capture_output=True
        )
        walls.append(time.perf_counter() - started)
    return Figures(
        statistics.median(befores), statistics.median(imports), statistics.median(walls), sorted(heavy)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs per command; figures are their median")
    parser.add_argument("--no-bytecode-cache", action="store_true", help="compile every module in every run")
    args = parser.parse_args()
    bare = []
    for _ in range(args.runs):
        started = time.perf_counter()
        subprocess.run([str(PYTHON), "-c", "pass"], check=True)
        bare.append(time.perf_counter() - started)
    print(f"python -c pass (the interpreter alone): {statistics.median(bare):.3f} s wall")
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = environment(folder, not args.no_bytecode_cache)
        print(
            "bytecode cache:",
            "off (every module compiled)" if args.no_bytecode_cache else "on (as installed)",
        )
        prepare(folder, env)  # also fills the bytecode cache
        for name, (command, module) in COMMANDS.items():
            figures = measure(folder, command, module, args.runs, env)
            if figures.skipped:
                print(f"{name}: skipped ({figures.skipped})")
                continue
            ok = figures.before_s <= TARGET_S and not figures.heavy
            failed |= not ok
            heavy = ", ".join(figures.heavy) or "none"
            print(
                f"{name}: start-up before the work {figures.before_s:.3f} s (target <= {TARGET_S} s), "
                f"all imports {figures.import_s:.3f} s, whole command {figures.wall_s:.3f} s wall; "
                f"heavy modules imported: {heavy}  {'OK' if ok else 'MISSED'}"
            )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
