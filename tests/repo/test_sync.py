"""sync_repository against real git repositories (a bare remote and an organizer's clone, file:// URLs)
and a real SQLite file: what each kind of commit does to the events, and what a sync never does."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import ManualClock
from bot.config import Config, load_config
from bot.db.engine import open_database
from bot.errors import UserError
from bot.repo.sync import RepoSyncReport, sync_repository
from tests.conftest import BASE_CONFIG
from tests.factories import NOW
from tests.repo.conftest import (
    REPO_CONFIG,
    Remote,
    event_file,
    event_start,
    events_by_slug,
    stored_commit,
)
from tests.repo.event_repo import run_git

Sessions = async_sessionmaker[AsyncSession]


async def sync(config: Config, sessions: Sessions, *, full: bool = False) -> RepoSyncReport:
    return await sync_repository(config, sessions, ManualClock(NOW), full=full)


def clone_head(config: Config) -> str:
    assert config.events_repo is not None
    return run_git(config.events_repo.clone_dir, "rev-parse", "HEAD").strip()


async def test_the_first_sync_clones_and_imports_every_event_file(
    remote: Remote, repo_config: Config, repo_sessions: Sessions
) -> None:
    sha = remote.publish(
        {
            "events/2026-12-08-Generics/README.md": event_file("Generics", 7),
            "events/fuzzing.md": event_file("Fuzzing", 14, group="KCN-STL"),
            ".github/workflows/lint.yml": "on: pull_request\n",  # not under events/
        },
        "Add two talks",
    )
    report = await sync(repo_config, repo_sessions)
    assert report.error is None and report.full
    assert (report.commit, report.previous) == (sha, None)
    assert sorted(report.added) == ["2026-12-08-Generics", "fuzzing"]
    assert report.author == "Olivia Organizer <olivia@example.org>" and report.subject == "Add two talks"
    assert report.groups == {"StLGo", "Kubernetes & Cloud Native STL"}
    assert report.summary().startswith(f"synced {sha[:7]} (every file compared) by Olivia Organizer")
    assert report.summary().endswith(": added 2")
    assert clone_head(repo_config) == sha
    events = await events_by_slug(repo_sessions)
    assert set(events) == {"2026-12-08-Generics", "fuzzing"}
    assert events["fuzzing"].starts_at == event_start(14)
    assert events["fuzzing"].source == str(repo_config.events_dir / "fuzzing.md")
    assert await stored_commit(repo_sessions) == sha


async def test_changes_are_classified_rescheduled_moved_updated_added(
    remote: Remote, repo_config: Config, repo_sessions: Sessions
) -> None:
    remote.publish(
        {
            "events/a.md": event_file("A", 7),
            "events/b.md": event_file("B", 8),
            "events/c.md": event_file("C", 9),
        },
        "Three talks",
    )
    await sync(repo_config, repo_sessions)
    sha = remote.publish(
        {
            "events/a.md": event_file("A", 7, hour=19),  # an hour later
            "events/b.md": event_file("B", 8, where="Other Hall, 2 Side St"),
            "events/c.md": event_file("C, with a better title", 9),
            "events/d.md": event_file("D", 10, group="KCN-STL"),
            "events/.drafts/e.md": event_file("E", 11),  # hidden: the folder walk skips it, so does a diff
        },
        "Reschedule A, move B, retitle C, add D",
    )
    report = await sync(repo_config, repo_sessions)
    assert not report.full and report.commit == sha and report.previous is not None
    assert (report.added, report.rescheduled, report.moved, report.updated) == (["d"], ["a"], ["b"], ["c"])
    assert report.cancelled == [] and report.failed == []
    assert report.groups == {"StLGo", "Kubernetes & Cloud Native STL"}
    assert report.summary().endswith(": added 1, rescheduled 1, moved 1, updated 1")
    events = await events_by_slug(repo_sessions)
    assert events["a"].starts_at == event_start(7, hour=19)
    assert events["b"].location.startswith("Other Hall")
    assert events["c"].title == "C, with a better title"


async def test_a_sync_with_no_new_commit_and_a_restart_change_nothing(
    remote: Remote, repo_config: Config, repo_sessions: Sessions, repo_config_file: Path
) -> None:
    sha = remote.publish({"events/a.md": event_file("A", 7), "events/b.md": event_file("B", 8)}, "Two")
    await sync(repo_config, repo_sessions)
    before = {
        slug: (e.id, e.updated_at, e.content_hash)
        for slug, e in (await events_by_slug(repo_sessions)).items()
    }

    again = await sync(repo_config, repo_sessions)
    assert again.summary() == f"already at {sha[:7]}: nothing changed" and not again.changed

    # a restart: a new config, a new engine, a new call
    config = load_config(repo_config_file, environ={})
    async with open_database(config.database.url) as sessions:
        restarted = await sync_repository(config, sessions, ManualClock(NOW + timedelta(hours=1)))
        after = {
            slug: (e.id, e.updated_at, e.content_hash) for slug, e in (await events_by_slug(sessions)).items()
        }
        assert await stored_commit(sessions) == sha
    assert (restarted.commit, restarted.previous, restarted.full) == (sha, sha, False)
    assert not restarted.changed
    assert after == before


async def test_a_rename_keeps_identity_when_the_slug_stays_and_replaces_the_event_when_not(
    remote: Remote, repo_config: Config, repo_sessions: Sessions
) -> None:
    remote.publish(
        {
            "events/2026-12-08-Generics/README.md": event_file("Generics", 7),
            "events/fuzzing.yaml": "",
            "events/old-name.md": event_file("Old name", 9),
        },
        "Start",
    )
    remote.remove("events/fuzzing.yaml")
    remote.write("events/fuzzing.md", event_file("Fuzzing", 8))
    remote.commit("Fuzzing as markdown")
    remote.push()
    await sync(repo_config, repo_sessions)
    first = await events_by_slug(repo_sessions)

    remote.rename("events/2026-12-08-Generics", "events/2026/2026-12-08-Generics")  # same slug
    remote.rename("events/fuzzing.md", "events/fuzzing.markdown")  # same slug
    remote.rename("events/old-name.md", "events/new-name.md")  # another slug
    remote.commit("Reorganise")
    remote.push()
    report = await sync(repo_config, repo_sessions)
    assert report.error is None and not report.full
    assert (report.added, report.cancelled, report.updated) == (["new-name"], ["old-name"], [])
    events = await events_by_slug(repo_sessions)
    folder = repo_config.events_dir
    generics, fuzzing = events["2026-12-08-Generics"], events["fuzzing"]
    assert generics.id == first["2026-12-08-Generics"].id and generics.removed_at is None
    assert generics.source == str(folder / "2026" / "2026-12-08-Generics" / "README.md")
    assert fuzzing.id == first["fuzzing"].id and fuzzing.removed_at is None
    assert fuzzing.source == str(folder / "fuzzing.markdown")
    assert events["old-name"].removed_at == NOW
    assert events["new-name"].removed_at is None


async def test_a_removed_file_cancels_its_event_and_a_file_put_back_restores_it(
    remote: Remote, repo_config: Config, repo_sessions: Sessions
) -> None:
    text = event_file("A", 7)
    remote.publish({"events/a.md": text, "events/b.md": event_file("B", 8)}, "Two")
    await sync(repo_config, repo_sessions)

    remote.remove("events/a.md")
    remote.commit("Cancel A")
    remote.push()
    report = await sync(repo_config, repo_sessions)
    assert report.cancelled == ["a"] and report.removal is not None
    assert [(r.slug, r.upcoming) for r in report.removal.removed] == [("a", True)]
    assert report.summary().endswith(": cancelled 1")
    assert (await events_by_slug(repo_sessions))["a"].removed_at == NOW

    remote.publish({"events/a.md": text}, "A is on after all")  # the same text: not even re-parsed
    back = await sync(repo_config, repo_sessions)
    assert back.restored == ["a"] and back.removal is not None and back.removal.restored == ["a"]
    assert (await events_by_slug(repo_sessions))["a"].removed_at is None


async def test_the_removal_guard_refuses_when_most_files_vanish_then_acts_once_allowed(
    remote: Remote, repo_config_file: Path, repo_config: Config, repo_sessions: Sessions
) -> None:
    files = {f"events/e{n}.md": event_file(f"E{n}", 7 + n) for n in range(4)}
    remote.publish({**files, "events/broken.md": "# Broken\n\n## Meta\n| **When:** | Blursday |\n"}, "Four")
    assert len((await sync(repo_config, repo_sessions)).failed) == 1
    for n in range(3):
        remote.remove(f"events/e{n}.md")
    sha = remote.commit("Oops: most of the folder")
    remote.push()

    report = await sync(repo_config, repo_sessions)
    assert report.cancelled == [] and report.refused is not None
    assert "lost 3 of its 4 event files at once" in report.refused
    assert report.removal is not None and report.removal.refused is not None
    assert report.removal.refused.slugs == ("e0", "e1", "e2")
    assert all(e.removed_at is None for e in (await events_by_slug(repo_sessions)).values())
    assert await stored_commit(repo_sessions) == sha

    # the guard holds while nothing changes (each sync compares the folder again, as an import would);
    # the broken file was reported at its commit, not again
    still = await sync(repo_config, repo_sessions)
    assert still.refused is not None and still.cancelled == [] and still.failed == []

    # the organizers meant it: they raise the limit, and the next sync cancels the three
    repo_config_file.write_text(repo_config_file.read_text() + "removal_guard:\n  max_share: 0.9\n")
    raised = load_config(repo_config_file, environ={})
    done = await sync(raised, repo_sessions)
    assert done.refused is None and sorted(done.cancelled) == ["e0", "e1", "e2"] and done.failed == []
    assert (await sync(raised, repo_sessions)).summary() == f"already at {sha[:7]}: nothing changed"


async def test_a_force_push_falls_back_to_comparing_every_file(
    remote: Remote, repo_config: Config, repo_sessions: Sessions
) -> None:
    base = remote.publish({"events/a.md": event_file("A", 7)}, "A")
    remote.publish({"events/b.md": event_file("B", 8)}, "B")
    await sync(repo_config, repo_sessions)

    remote.force_push_reset(base)  # B's commit is gone from history
    remote.publish({"events/a.md": event_file("A", 7, hour=19)}, "A an hour later")
    report = await sync(repo_config, repo_sessions)
    assert report.full and report.error is None
    assert (report.rescheduled, report.cancelled) == (["a"], ["b"])
    assert "(every file compared)" in report.summary()
    assert clone_head(repo_config) == remote.head()
    assert await stored_commit(repo_sessions) == remote.head()


async def test_full_compares_every_file_and_finds_what_the_database_lost(
    remote: Remote, repo_config: Config, repo_sessions: Sessions
) -> None:
    remote.publish({"events/a.md": event_file("A", 7), "events/b.md": event_file("B", 8)}, "Two")
    await sync(repo_config, repo_sessions)
    async with repo_sessions.begin() as session:  # someone deleted a row by hand
        event = (await events_by_slug(repo_sessions))["b"]
        await session.delete(await session.get(type(event), event.id))
    assert (await sync(repo_config, repo_sessions)).added == []  # a diff sync does not walk the tree
    report = await sync(repo_config, repo_sessions, full=True)
    assert report.full and report.added == ["b"]


async def test_one_broken_file_among_good_ones_fails_alone_and_is_reported_once(
    remote: Remote, repo_config: Config, repo_sessions: Sessions
) -> None:
    remote.publish({"events/a.md": event_file("A", 7), "events/b.md": event_file("B", 8)}, "Two")
    await sync(repo_config, repo_sessions)
    broken = event_file("B", 8).replace("| **When:** |", "| **When:** | Blursday |\n| **Was:** |")
    sha = remote.publish(
        {
            "events/a.md": event_file("A", 7, hour=19),
            "events/b.md": broken,
            "events/c.md": event_file("C", 9),
        },
        "Three edits, one broken",
    )
    report = await sync(repo_config, repo_sessions)
    assert (report.added, report.rescheduled, report.updated) == (["c"], ["a"], [])
    assert len(report.failed) == 1
    assert report.failed[0].startswith("events/b.md:6: When: ")  # relative to the repository root
    assert "Blursday" in report.failed[0]
    assert report.summary().endswith(f"; 1 file failed: {report.failed[0]}")
    events = await events_by_slug(repo_sessions)
    assert events["b"].starts_at == event_start(8) and events["b"].removed_at is None  # kept as it was
    assert await stored_commit(repo_sessions) == sha

    again = await sync(repo_config, repo_sessions)  # the next poll: no new commit, nothing reported
    assert again.failed == [] and not again.changed

    other = remote.publish({"events/c.md": event_file("C", 9, hour=17)}, "C earlier")
    later = await sync(repo_config, repo_sessions)  # a later commit that leaves b.md alone
    assert later.commit == other and later.failed == [] and later.rescheduled == ["c"]


async def test_a_second_file_with_a_slug_already_used_fails_and_the_first_keeps_its_event(
    remote: Remote, repo_config: Config, repo_sessions: Sessions
) -> None:
    remote.publish({"events/talk.md": event_file("First", 7)}, "First")
    await sync(repo_config, repo_sessions)
    remote.publish({"events/2027/talk.md": event_file("Second", 9)}, "Second, same slug")
    report = await sync(repo_config, repo_sessions)
    assert report.failed == [
        "events/2027/talk.md: slug 'talk' is already used by events/talk.md; rename one of the two files"
    ]
    event = (await events_by_slug(repo_sessions))["talk"]
    assert event.title == "First" and event.source == str(repo_config.events_dir / "talk.md")


async def test_an_unreachable_remote_is_one_line_and_changes_nothing_until_it_is_back(
    remote: Remote, repo_config: Config, repo_sessions: Sessions
) -> None:
    sha = remote.publish({"events/a.md": event_file("A", 7)}, "A")
    await sync(repo_config, repo_sessions)
    remote.publish({"events/b.md": event_file("B", 8)}, "B")
    hidden = remote.bare.with_name("away.git")
    remote.bare.rename(hidden)  # the remote is gone for a while

    report = await sync(repo_config, repo_sessions)
    assert report.error is not None and "\n" not in report.error
    assert report.error.startswith(f"cannot fetch {remote.url}: ")
    assert report.commit is None and report.previous == sha and not report.changed
    assert report.summary() == f"could not sync: {report.error}; keeping the events already imported"
    assert set(await events_by_slug(repo_sessions)) == {"a"}
    assert await stored_commit(repo_sessions) == sha and clone_head(repo_config) == sha

    hidden.rename(remote.bare)
    back = await sync(repo_config, repo_sessions)
    assert back.error is None and back.added == ["b"] and back.commit == remote.head()


async def test_a_first_clone_that_fails_leaves_nothing_behind(
    tmp_path: Path, config_file: Path, sessions: Sessions
) -> None:
    config_file.write_text(BASE_CONFIG + REPO_CONFIG.format(url=(tmp_path / "nowhere.git").as_uri()))
    config = load_config(config_file, environ={})
    report = await sync(config, sessions)
    assert report.error is not None and report.error.startswith("cannot clone file://")
    assert config.events_repo is not None and not config.events_repo.clone_dir.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".clone")] == [".clone.lock"]


async def test_a_clone_dir_that_is_not_a_clone_of_the_url_is_left_alone(
    remote: Remote, repo_config: Config, repo_sessions: Sessions, tmp_path: Path
) -> None:
    assert repo_config.events_repo is not None
    clone = repo_config.events_repo.clone_dir
    clone.mkdir()
    (clone / "notes.txt").write_text("mine\n")
    report = await sync(repo_config, repo_sessions)
    assert report.error is not None and f"{clone} exists and is not a clone of {remote.url}" in report.error
    assert [p.name for p in clone.iterdir()] == ["notes.txt"]

    shutil.rmtree(clone)
    other = Remote(tmp_path / "other")
    other.commit("Another repository")
    other.push()
    run_git(tmp_path, "clone", "-q", other.url, str(clone))
    report = await sync(repo_config, repo_sessions)
    assert report.error is not None and f"is a clone of {other.url}, not the bot's clone" in report.error
    assert await stored_commit(repo_sessions) is None


async def test_unpushed_local_commits_are_rebased_onto_the_new_head(
    remote: Remote, repo_config: Config, repo_sessions: Sessions
) -> None:
    remote.publish({"events/a.md": event_file("A", 7), "events/b.md": event_file("B", 8)}, "Two")
    await sync(repo_config, repo_sessions)
    assert repo_config.events_repo is not None
    clone = repo_config.events_repo.clone_dir
    # the bot's write-back commit (push: false), made in its clone
    (clone / "events" / "a.md").write_text(event_file("A", 7) + "| **Total RSVPs:** | 12 |\n")
    run_git(clone, "commit", "-q", "-am", "Totals for A")
    upstream = remote.publish({"events/b.md": event_file("B", 8, hour=19)}, "B an hour later")

    report = await sync(repo_config, repo_sessions)
    assert report.error is None and report.notes == [] and report.commit == upstream
    assert report.rescheduled == ["b"] and report.updated == ["a"]
    log = run_git(clone, "log", "--format=%s", "-3").split("\n")
    assert log[:3] == ["Totals for A", "B an hour later", "Two"]
    assert "Total RSVPs" in (clone / "events" / "a.md").read_text()
    assert (await events_by_slug(repo_sessions))["a"].reported_rsvps == 12


async def test_unpushed_commits_that_conflict_are_kept_on_a_branch_and_upstream_wins(
    remote: Remote, repo_config: Config, repo_sessions: Sessions
) -> None:
    remote.publish({"events/a.md": event_file("A", 7)}, "A")
    await sync(repo_config, repo_sessions)
    assert repo_config.events_repo is not None
    clone = repo_config.events_repo.clone_dir
    (clone / "events" / "a.md").write_text(event_file("A", 7) + "| **Total RSVPs:** | 12 |\n")
    run_git(clone, "commit", "-q", "-am", "Totals for A")
    mine = run_git(clone, "rev-parse", "HEAD").strip()
    upstream = remote.publish({"events/a.md": event_file("A", 7) + "| **Total RSVPs:** | 30 |\n"}, "Totals")

    report = await sync(repo_config, repo_sessions)
    saved = f"meetup-bot/unpushed-{mine[:7]}"
    assert report.error is None and report.commit == upstream and report.changed
    assert len(report.notes) == 1 and f"kept on branch {saved}" in report.notes[0]
    assert report.notes[0] in report.summary()
    assert clone_head(repo_config) == upstream
    assert run_git(clone, "rev-parse", saved).strip() == mine
    assert not (clone / ".git" / "rebase-merge").exists()
    assert (await events_by_slug(repo_sessions))["a"].reported_rsvps == 30


async def test_without_events_repo_the_sync_refuses_naming_the_key(
    config: Config, sessions: Sessions
) -> None:
    with pytest.raises(UserError, match="events_repo is not set"):
        await sync(config, sessions)


async def test_git_lock_files_left_by_a_killed_sync_do_not_block_the_next(
    remote: Remote, repo_config: Config, repo_sessions: Sessions
) -> None:
    remote.publish({"events/a.md": event_file("A", 7)}, "A")
    await sync(repo_config, repo_sessions)
    assert repo_config.events_repo is not None
    git_dir = repo_config.events_repo.clone_dir / ".git"
    (git_dir / "index.lock").write_text("")  # a `git reset` killed half-way leaves these
    (git_dir / "refs" / "heads" / "main.lock").write_text("")
    remote.publish({"events/b.md": event_file("B", 8)}, "B")
    report = await sync(repo_config, repo_sessions)
    assert report.error is None and report.added == ["b"]
