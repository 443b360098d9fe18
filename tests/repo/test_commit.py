"""`meetup-bot export markdown SLUG --write --commit`: the totals as a commit in the bot's clone of a real
git repository (a bare remote and an organizer's clone, file:// URLs), pushed when `push: true`, rebased
when the branch moved, never forced, kept when the remote cannot be reached."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.checkin import service
from bot.cli.main import main
from bot.clock import ManualClock
from bot.config import Config, load_config
from bot.db.engine import open_database
from bot.repo.sync import sync_repository
from tests.checkin.conftest import add_rsvps, insert_event
from tests.conftest import BASE_CONFIG
from tests.factories import NOW
from tests.repo.conftest import REPO_CONFIG, Remote, event_file, events_by_slug
from tests.repo.event_repo import run_git

AUTHOR_NAME, AUTHOR_EMAIL = "Totals Bot", "totals@example.org"
TOTAL_ROWS = "| **Total RSVPs:** | ??? |\n| **Total Attendance:** | ??? |\n"
FILLED_ROWS = "| **Total RSVPs:** | 2 |\n| **Total Attendance:** | 3 |\n"
SLUG = "past-talk"
FILE = f"events/{SLUG}.md"
MESSAGE = f"Totals for Past Talk ({SLUG}): 2 RSVPs, 3 attended"


def bot_config(config_file: Path, remote: Remote, *, push: bool = False) -> Config:
    """BASE_CONFIG with events_repo on `remote`, a configured author, and `push`."""
    config_file.write_text(
        BASE_CONFIG
        + REPO_CONFIG.format(url=remote.url)
        + f"  author: {AUTHOR_NAME} <{AUTHOR_EMAIL}>\n  push: {'true' if push else 'false'}\n"
    )
    return load_config(config_file, environ={})


async def ended_talk(remote: Remote, config: Config) -> Path:
    """A talk that ended two days before NOW, pushed by an organizer and synced into the bot's clone, with
    two going RSVPs, a check-in and two guests recorded: totals 2 RSVPs, 3 attended."""
    remote.publish({FILE: event_file("Past Talk", -2, extra_rows=TOTAL_ROWS)}, "Add the past talk")
    async with open_database(config.database.url) as sessions:
        report = await sync_repository(config, sessions, ManualClock(NOW))
        assert report.error is None and report.added == [SLUG]
        event = (await events_by_slug(sessions))[SLUG]
        await add_rsvps(sessions, event.id, [(1, "Alice", "going"), (2, "Bob", "going")])
        async with sessions.begin() as session:
            await service.check_in(session, event, 1, "", by=9, now=event.starts_at, group="StLGo")
            await service.add_guests(session, event, 2, by=9, now=event.starts_at, group="StLGo")
    return config.events_dir / f"{SLUG}.md"


async def export(config_file: Path, *flags: str, now: datetime = NOW) -> int:
    """The CLI in a thread (it runs its own event loop) on a clock at `now`."""
    argv = ["--config", str(config_file), "export", "markdown", SLUG, *flags]
    return await asyncio.to_thread(main, argv, ManualClock(now))


def clone_of(config: Config) -> Path:
    assert config.events_repo is not None
    return config.events_repo.clone_dir


def head(path: Path, rev: str = "HEAD") -> str:
    return run_git(path, "rev-parse", rev).strip()


def status(path: Path) -> str:
    return run_git(path, "status", "--porcelain")


async def test_the_commit_holds_only_the_file_with_the_configured_author_and_what_changed(
    config_file: Path, remote: Remote, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = bot_config(config_file, remote)
    path = await ended_talk(remote, config)
    clone = clone_of(config)
    synced = head(clone)
    # changes lying around in the clone: one staged, one not; neither may go into the totals commit
    (clone / "README.md").write_text("# Edited on the server\n")
    (clone / "events" / "other.md").write_text("# Someone's draft\n")
    run_git(clone, "add", "events/other.md")
    # the machine's own identity and git config must not be the commit's, nor sign it (no key on a server)
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Somebody Else")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "someone@else.example")
    machine = config_file.parent / "machine.gitconfig"
    machine.write_text(
        "[user]\n\tname = Machine\n\temail = root@machine\n[commit]\n\tgpgsign = true\n[gpg]\n\tprogram = false\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(machine))
    assert await export(config_file, "--write", "--commit") == 0
    sha = head(clone)
    out, err = capsys.readouterr()
    assert err == ""
    assert out == f"{path}: updated, committed {sha[:7]} ({MESSAGE})\n"
    assert run_git(clone, "rev-parse", "HEAD~1").strip() == synced
    assert run_git(clone, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%s").strip() == (
        f"{AUTHOR_NAME} <{AUTHOR_EMAIL}>|{AUTHOR_NAME} <{AUTHOR_EMAIL}>|{MESSAGE}"
    )
    assert run_git(clone, "show", "--name-only", "--format=", "HEAD").split() == [FILE]
    committed = run_git(clone, "show", f"HEAD:{FILE}")
    assert committed == event_file("Past Talk", -2, extra_rows=FILLED_ROWS) == path.read_text()
    # what was lying around is exactly as it was: README modified, other.md staged and new
    assert sorted(status(clone).splitlines()) == [" M README.md", "A  events/other.md"]
    # push is off: the remote has not moved
    assert head(remote.bare, "main") == synced
    # again: the file holds the figures already
    assert await export(config_file, "--write", "--commit") == 0
    assert capsys.readouterr().out == f"{path}: unchanged, nothing committed\n"
    assert head(clone) == sha


async def test_with_push_the_commit_lands_in_the_remote(
    config_file: Path, remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    config = bot_config(config_file, remote, push=True)
    path = await ended_talk(remote, config)
    assert await export(config_file, "--write", "--commit") == 0
    sha = head(clone_of(config))
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines() == [
        f"{path}: updated, committed {sha[:7]} ({MESSAGE})",
        f"pushed 1 commit to main of {remote.url}",
    ]
    assert head(remote.bare, "main") == sha
    assert run_git(remote.bare, "log", "-1", "--format=%s", "main").strip() == MESSAGE
    assert status(clone_of(config)) == ""


async def test_a_push_rejected_because_the_branch_moved_is_rebased_and_pushed(
    config_file: Path, remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    config = bot_config(config_file, remote, push=True)
    await ended_talk(remote, config)
    # meanwhile an organizer merges another change (another file): the bot's clone does not have it
    theirs = remote.publish({"events/next.md": event_file("Next Talk", 20)}, "Add the next talk")
    assert await export(config_file, "--write", "--commit") == 0
    out, err = capsys.readouterr()
    assert err == "" and out.splitlines()[-1] == f"pushed 1 commit to main of {remote.url}"
    clone = clone_of(config)
    assert head(remote.bare, "main") == head(clone)
    # both commits in the remote: the bot's rebased on top of the organizer's
    log = run_git(remote.bare, "log", "--format=%H %s", "-2", "main").splitlines()
    assert [line.split(" ", 1)[1] for line in log] == [MESSAGE, "Add the next talk"]
    assert log[1].split()[0] == theirs
    assert run_git(remote.bare, "show", f"main:{FILE}") == event_file("Past Talk", -2, extra_rows=FILLED_ROWS)
    assert status(clone) == ""


async def test_a_conflicting_change_is_reported_nothing_is_forced_and_the_commit_stays_local(
    config_file: Path, remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    config = bot_config(config_file, remote, push=True)
    path = await ended_talk(remote, config)
    # an organizer wrote the same Total rows meanwhile
    theirs = remote.publish(
        {
            FILE: event_file(
                "Past Talk", -2, extra_rows="| **Total RSVPs:** | 30 |\n| **Total Attendance:** | 25 |\n"
            )
        },
        "Totals from the door list",
    )
    assert await export(config_file, "--write", "--commit") == 1
    clone = clone_of(config)
    sha = head(clone)
    out, err = capsys.readouterr()
    assert out == f"{path}: updated, committed {sha[:7]} ({MESSAGE})\n"
    assert err == (
        f"conflict with {theirs[:7]}: {FILE}; the totals commit stays in the bot's clone, unpushed; "
        "nothing was forced\n"
    )
    assert head(remote.bare, "main") == theirs  # the remote's history is as the organizer left it
    assert run_git(clone, "log", "-1", "--format=%s").strip() == MESSAGE  # the commit is kept, locally
    assert run_git(clone, "rev-list", "--count", f"{theirs}..HEAD").strip() == "1"
    assert status(clone) == "" and not (clone / ".git" / "rebase-merge").exists()


async def test_an_unreachable_remote_is_one_line_and_the_commit_is_pushed_later(
    config_file: Path, remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    config = bot_config(config_file, remote, push=True)
    path = await ended_talk(remote, config)
    synced = head(remote.bare, "main")
    away = remote.bare.with_name("remote-away.git")
    remote.bare.rename(away)
    assert await export(config_file, "--write", "--commit") == 1
    clone = clone_of(config)
    sha = head(clone)
    out, err = capsys.readouterr()
    assert out == f"{path}: updated, committed {sha[:7]} ({MESSAGE})\n"
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"push to {remote.url} failed: ")
    assert err.endswith(
        "; the totals commit stays in the bot's clone, unpushed, and is pushed at the next write-back\n"
    )
    away.rename(remote.bare)
    assert head(remote.bare, "main") == synced
    # the next run has nothing new to commit, and pushes what was left
    assert await export(config_file, "--write", "--commit") == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{path}: unchanged, nothing committed",
        f"pushed 1 commit to main of {remote.url}",
    ]
    assert head(remote.bare, "main") == sha


async def test_usage_errors_and_a_file_outside_the_clone(
    config_file: Path, remote: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await export(config_file, "--commit") == 2  # BASE_CONFIG: no events_repo, and no --write
    assert capsys.readouterr().err == (
        "error: --commit commits the written file: add --write (export markdown SLUG --write --commit)\n"
    )
    assert await export(config_file, "--write", "--commit") == 2
    assert capsys.readouterr().err == (
        "error: --commit needs the events repository: set `events_repo` in config.yaml "
        "(url, branch, clone_dir), or leave --commit out\n"
    )
    config = bot_config(config_file, remote)
    await ended_talk(remote, config)
    # an event whose file lives elsewhere (imported from a folder before events_repo was set)
    elsewhere = config_file.parent / "old-events" / "elsewhere.md"
    elsewhere.parent.mkdir()
    elsewhere.write_text(event_file("Elsewhere", -2, extra_rows=TOTAL_ROWS))
    async with open_database(config.database.url) as sessions:
        event_id = await insert_event(
            sessions, "elsewhere", starts_at=NOW - timedelta(days=2), source=str(elsewhere)
        )
        await add_rsvps(sessions, event_id, [(1, "Alice", "going")])
    before = elsewhere.read_bytes()
    argv = ["--config", str(config_file), "export", "markdown", "elsewhere", "--write", "--commit"]
    assert await asyncio.to_thread(main, argv, ManualClock(NOW)) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"error: {elsewhere} is outside the events repository's clone ({clone_of(config)}, "
        "events_repo.clone_dir): only files in the clone are committed; run `meetup-bot sync` so the event "
        "is read from the clone; nothing was changed\n"
    )
    assert elsewhere.read_bytes() == before
