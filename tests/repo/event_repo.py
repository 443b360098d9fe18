"""A real git repository of event files for tests: a `main` branch, a pull-request branch, and event files
written from dates relative to the test's clock (never calendar literals)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

# the CI machine has no global git identity
IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Organizer",
    "GIT_AUTHOR_EMAIL": "organizer@example.org",
    "GIT_COMMITTER_NAME": "Test Organizer",
    "GIT_COMMITTER_EMAIL": "organizer@example.org",
}


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return {**env, **IDENTITY, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def run_git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=git_env(), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def clock_text(moment: datetime) -> str:
    """`6:00pm`, `10:30am`: always with am/pm (a bare time in a file is read as evening)."""
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment:%M}{'am' if moment.hour < 12 else 'pm'}"


def event_text(
    title: str,
    start: datetime,
    *,
    zone: str = "America/Chicago",
    hours: int = 2,
    where: str = "Example Hall, 1 Main St",
    group: str = "StLGo",
    agenda: Sequence[tuple[timedelta, timedelta, str]] = (),
    presentation: str = "",
    extra_rows: str = "",
) -> str:
    """A markdown event file starting at `start` (shown in `zone`, named in a Timezone row); `agenda` holds
    (offset from the start, length, title) items."""
    local = start.astimezone(ZoneInfo(zone))
    end = local + timedelta(hours=hours)
    text = (
        f"# {title}\n\n## Meta\n| | |\n| --- | --- |\n"
        f"| **When:** | {local:%A, %B} {local.day}, {local.year} |\n"
        f"| **Time:** | {clock_text(local)} - {clock_text(end)} |\n"
        f"| **Timezone:** | {zone} |\n"
        f"| **Where:** | {where} |\n"
        f"| **Hosting Group:** | {group} |\n"
        f"{extra_rows}"
    )
    if presentation:
        text += f"\n## Presentation\n{presentation}\n"
    if agenda:
        text += "\n## Event\n"
        for offset, length, item in agenda:
            begin = local + offset
            text += f"* {clock_text(begin)} - {clock_text(begin + length)} {item}\n"
    return text


class EventRepo:
    """A working repository on `main` (optionally with a bare `origin` it pushes to)."""

    def __init__(self, path: Path, *, origin: Path | None = None) -> None:
        self.path = path
        if origin is not None:
            run_git(path.parent, "init", "-q", "--bare", "-b", "main", str(origin))
            run_git(path.parent, "clone", "-q", origin.as_uri(), str(path))
        else:
            run_git(path.parent, "init", "-q", "-b", "main", str(path))
        self.origin = origin

    def write(self, relative: str, text: str) -> Path:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def remove(self, relative: str) -> None:
        run_git(self.path, "rm", "-q", relative)

    def move(self, old: str, new: str) -> None:
        (self.path / new).parent.mkdir(parents=True, exist_ok=True)
        run_git(self.path, "mv", old, new)

    def commit(self, message: str) -> str:
        run_git(self.path, "add", "-A")
        run_git(self.path, "commit", "-q", "--allow-empty", "-m", message)
        return run_git(self.path, "rev-parse", "HEAD").strip()

    def branch(self, name: str) -> None:
        run_git(self.path, "checkout", "-q", "-b", name)

    def checkout(self, name: str) -> None:
        run_git(self.path, "checkout", "-q", name)

    def push(self, *refs: str) -> None:
        run_git(self.path, "push", "-q", "origin", *refs)
