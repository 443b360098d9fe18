"""docs/events-repo-workflow.yml: its lint and preview steps, run with bash exactly as GitHub Actions would
run them for a pull request into `main`, in a real repository (a bare `origin`, `main` and a PR branch),
with `meetup-bot` from .venv/bin on PATH. The processes read the real clock, so the events are dated from it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot.clock import SystemClock
from tests.repo.event_repo import EventRepo, event_text, git_env
from tests.repo.test_preview import shown

PROJECT = Path(__file__).resolve().parents[2]
WORKFLOW = PROJECT / "docs" / "events-repo-workflow.yml"
ZONE = "America/Chicago"
# what GitHub puts in ${{ ... }} for a pull request into main
CONTEXT = {"github.base_ref": "main", "github.event.pull_request.number": "7", "github.token": "not-used"}


def workflow() -> dict[Any, Any]:
    loaded = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(loaded, dict)
    return loaded


def step(name_part: str) -> dict[str, Any]:
    (job,) = workflow()["jobs"].values()
    found = [s for s in job["steps"] if name_part in s.get("name", "")]
    assert len(found) == 1, f"one step named like {name_part!r}"
    return dict(found[0])


def expand(command: str) -> str:
    """`${{ expr }}` as GitHub substitutes it before the shell sees the command."""

    def one(match: re.Match[str]) -> str:
        return CONTEXT[match[1].strip()]

    return re.sub(r"\$\{\{(.*?)\}\}", one, command)


def run_step(name_part: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The step's `run:` with bash -e (GitHub's default shell), the workflow's env and meetup-bot on PATH."""
    env = {k: v for k, v in git_env().items() if not k.startswith(("MEETUP_BOT", "DISCORD_TOKEN"))}
    env.update({k: str(v) for k, v in workflow().get("env", {}).items()})
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["CI"] = "true"
    env["GITHUB_ACTIONS"] = "true"
    command = expand(step(name_part)["run"])
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def evening(now: datetime, days: int) -> datetime:
    """6:00 PM in ZONE, `days` after today there."""
    zone = ZoneInfo(ZONE)
    return datetime.combine((now + timedelta(days=days)).astimezone(zone).date(), time(18, 0), tzinfo=zone)


def test_the_workflow_checks_out_the_history_and_may_comment() -> None:
    flow = workflow()
    triggers = flow["on"] if "on" in flow else flow[True]  # YAML 1.1 reads a bare `on` as True
    assert "pull_request" in triggers
    assert flow["permissions"]["pull-requests"] == "write"
    (job,) = flow["jobs"].values()
    checkout = next(s for s in job["steps"] if "actions/checkout" in s.get("uses", ""))
    assert checkout["with"]["fetch-depth"] == 0
    assert "gh pr comment" in step("Post the preview")["run"]


def test_lint_and_preview_steps_on_a_pull_request(tmp_path: Path) -> None:
    now = SystemClock().now()
    repo = EventRepo(tmp_path / "presentations", origin=tmp_path / "origin.git")
    talk_start = evening(now, 3)
    repo.write("README.md", "# Our meetups\n\nOne folder per event.\n")
    repo.write("2099-talk/README.md", event_text("Talk", talk_start, zone=ZONE))
    repo.write("2099-broken/README.md", event_text("Soon broken", talk_start + timedelta(days=20), zone=ZONE))
    repo.commit("events")
    repo.push("main")
    repo.branch("pr")
    new_start = evening(now, 10)
    repo.write("2099-new/README.md", event_text("New night", new_start, zone=ZONE))
    moved = talk_start + timedelta(days=1)
    repo.write("2099-talk/README.md", event_text("Talk", moved, zone=ZONE))
    broken = re.sub(
        r"\| \*\*When:\*\* \|.*",
        "| **When:** | Smarch 40 |",
        event_text("Soon broken", talk_start, zone=ZONE),
    )
    repo.write("2099-broken/README.md", broken)
    repo.commit("a new event, a later talk, a typo")
    repo.push("pr")
    subprocess.run(["git", "fetch", "-q", "origin"], cwd=repo.path, env=git_env(), check=True, timeout=60)

    lint = run_step("Lint", repo.path)
    assert lint.returncode == 1, lint.stdout + lint.stderr  # an error fails the check
    assert re.search(r"^::error file=2099-broken/README\.md,line=6[,:].*Smarch 40", lint.stdout, re.M), (
        lint.stdout
    )
    assert "2099-new" not in "".join(line for line in lint.stdout.splitlines() if line.startswith("::error"))

    done = run_step("Preview", repo.path)
    assert done.returncode == 0, done.stderr
    preview = (repo.path / "preview.md").read_text()
    assert preview.startswith("## meetup-bot preview")
    assert "**3 events: 1 new, 1 rescheduled, 1 failed to parse**" in preview
    new_part = preview.split("(`2099-new`)", 1)[1].split("\n### ", 1)[0]
    assert f"Announcement will be posted **{shown(new_start - timedelta(days=7), ZONE)}**" in new_part
    assert f"> 📣 New meetup: **New night**, {shown(new_start, ZONE)}" in new_part
    talk_part = preview.split("(`2099-talk`)", 1)[1].split("\n### ", 1)[0]
    assert f"> 📅 Rescheduled: **Talk** is now {shown(moved, ZONE)}" in talk_part
    assert f"Reminder (1 day before) will be posted **{shown(moved - timedelta(days=1), ZONE)}**" in talk_part
    broken_part = preview.split("(`2099-broken`)", 1)[1].split("\n### ", 1)[0]
    assert '2099-broken/README.md:6: When: "Smarch 40" is not a date' in broken_part
    assert "the event stays as it is" in broken_part
