"""Helpers for the lint tests: event pages dated relative to NOW, and lint run through the real entry point."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli.main import main
from bot.clock import ManualClock
from tests.factories import NOW

CHICAGO = ZoneInfo("America/Chicago")
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Organizer",
    "GIT_AUTHOR_EMAIL": "organizer@example.org",
    "GIT_COMMITTER_NAME": "Test Organizer",
    "GIT_COMMITTER_EMAIL": "organizer@example.org",
}


def day_in(days: int) -> date:
    """The calendar day `days` after NOW's, in Chicago."""
    return (NOW + timedelta(days=days)).astimezone(CHICAGO).date()


def written_date(day: date, weekday: str | None = None) -> str:
    """ "Thursday, December 10, 2026" (with another weekday name when given)."""
    return f"{weekday or f'{day:%A}'}, {day:%B} {day.day}, {day.year}"


def page(
    days: int = 10,
    *,
    title: str = "Profiling Go",
    time: str | None = "6:00pm - 8:00pm",
    weekday: str | None = None,
    rows: Sequence[str] = (),
    agenda: Sequence[str] = (),
) -> str:
    """A markdown event page `days` after NOW. Lines: 1 title, 6 When, 7 Time (when given), then `rows`."""
    meta = [f"| **When:** | {written_date(day_in(days), weekday)} |"]
    if time is not None:
        meta.append(f"| **Time:** | {time} |")
    meta += [f"| {row} |" if not row.startswith("|") else row for row in rows]
    text = (
        f"# {title}\n\n## Meta\n| | |\n| --- | --- |\n" + "\n".join(meta) + "\n\n## Presentation\nA talk.\n"
    )
    if agenda:
        text += "\n## Event\n" + "".join(f"* {item}\n" for item in agenda)
    return text


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class Run:
    code: int
    out: list[str]
    err: str


LintRunner = Callable[..., Run]


@pytest.fixture
def lint(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> LintRunner:
    """Runs `meetup-bot [--config C] lint ARGS...` in `cwd` at NOW; returns the status and the output lines."""
    monkeypatch.delenv("MEETUP_BOT_CONFIG", raising=False)

    def run(*args: str, cwd: Path, config: Path | None = None) -> Run:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        head = ["--config", str(config)] if config is not None else []
        code = main([*head, "lint", *args], ManualClock(NOW))
        captured = capsys.readouterr()
        return Run(code, captured.out.splitlines(), captured.err)

    return run


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_IDENTITY}
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout
