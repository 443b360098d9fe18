"""Run the test suite with the machine's clock moved, so nothing in it can depend on today's date.

Every test injects its own clock (bot/clock.py); code that reads the real clock instead, or a test whose
"upcoming" event is upcoming only until some calendar date, fails here. libfaketime (Debian's `faketime`
package) moves the clock of the whole pytest process and of every process it starts: a year and three years
ahead, and to the minute before each of the next two daylight-saving changes in the config's zone, so those
runs cross the change.

    .venv/bin/python tests/run_on_other_dates.py [pytest arguments]     # `make test-dates`
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT = Path(__file__).resolve().parents[1]
# the kill storms and process races are about faults, not dates, and take a third of the suite's time;
# the sandbox's protocol tests, the schema and migration checks, the import-time and Dockerfile checks
# know no date either (the sandbox's own time rules are exercised by the e2e tests, which do run)
DATELESS = (
    "tests/sandbox",
    "tests/test_migrations.py",
    "tests/test_fresh_schema.py",
    "tests/test_startup_imports.py",
    "tests/test_docker_files.py",
)
DEFAULT_ARGS = ["-m", "not faults", *(f"--ignore={path}" for path in DATELESS)]
SITE = PROJECT / "tests" / "faketime_site"  # its sitecustomize.py works around a libfaketime bug
ZONE = "America/Chicago"  # the zone of config.yaml and of the test events
LIBRARY_GLOBS = (
    "/usr/lib/*/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
    "/usr/local/lib/faketime/libfaketime.so.1",
)


def dst_changes(after: datetime, zone: ZoneInfo, count: int = 2) -> list[datetime]:
    """The next `count` moments (UTC) where the zone's offset changes, found hour by hour."""
    found: list[datetime] = []
    moment = after.replace(minute=0, second=0, microsecond=0)
    offset = moment.astimezone(zone).utcoffset()
    while len(found) < count and moment < after + timedelta(days=800):
        moment += timedelta(hours=1)
        now_offset = moment.astimezone(zone).utcoffset()
        if now_offset != offset:
            found.append(moment)
            offset = now_offset
    return found


def settings(today: datetime) -> list[tuple[str, str]]:
    """(label, FAKETIME value) pairs: relative offsets, and absolute starts just before each DST change."""
    runs = [("a year from now", "+365d"), ("three years from now", "+1096d")]
    for change in dst_changes(today, ZoneInfo(ZONE)):
        start = change - timedelta(minutes=1)
        runs.append((f"across the DST change of {change:%Y-%m-%d} ({ZONE})", f"@{start:%Y-%m-%d %H:%M:%S}"))
    return runs


def library() -> str | None:
    for pattern in LIBRARY_GLOBS:
        for path in sorted(glob.glob(pattern)):
            return path
    return None


def environment(lib: str, value: str) -> dict[str, str]:
    """The environment of a moved-clock run: this one, with the clock moved for every process."""
    env = {**os.environ, "LD_PRELOAD": lib, "FAKETIME": value, "TZ": "UTC"}
    # only the wall clock moves: a faked monotonic clock breaks timed waits in threads (discord.py's
    # heartbeat thread stalls), and monotonic time has no date to depend on
    env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
    env.pop("FAKETIME_NO_CACHE", None)
    # time.sleep fails under that setting (libfaketime#426): every Python process loads a fix
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SITE), os.environ.get("PYTHONPATH")]))
    return env


def main(pytest_args: list[str]) -> int:
    lib = library()
    if lib is None:
        print(
            "run_on_other_dates: libfaketime is not installed; install it (Debian: apt-get install faketime) "
            "and run again.",
            file=sys.stderr,
        )
        return 2
    failed: list[str] = []
    for label, value in settings(datetime.now(UTC)):
        print(f"== tests {label} (FAKETIME={value!r})", flush=True)
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *(pytest_args or DEFAULT_ARGS)],
            cwd=PROJECT,
            env=environment(lib, value),
            check=False,
        )
        if result.returncode != 0:
            failed.append(label)
    if failed:
        print(f"run_on_other_dates: failed {'; '.join(failed)}", file=sys.stderr)
        return 1
    print("run_on_other_dates: the suite passed on every date", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
