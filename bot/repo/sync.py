"""Sync the database with the group's events repository: fetch, import exactly what the new commits changed.

The clone (events_repo.clone_dir) belongs to the bot: it is cloned on first use, fetched on every sync and
moved to the upstream head, keeping the bot's own unpushed commits (rebased on top, or set aside on a
branch when they conflict; the organizers' repository is the source of truth). The files a diff names
are imported, and the events of deleted files marked removed, in one transaction that also stores the
synced commit: a sync killed half-way leaves the previous state, and the next one redoes the same diff.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.catalog.files import slug_for
from bot.catalog.importer import ImportReport, import_paths
from bot.catalog.removal import RemovalResult, mark_files_removed, mark_removed, refusal_line
from bot.catalog.sources import stored_source
from bot.clock import Clock
from bot.config import Config, EventsRepoConfig
from bot.db.models import Event, EventGroup, RepoSync
from bot.db.transactions import begin_immediate
from bot.errors import UserError
from bot.repo.changes import FileChanges, commit_info, diff_changes, is_ancestor
from bot.repo.git import GitError, git, redact, repo_lock

CLONE_TIMEOUT = 600.0  # seconds: a first clone of a large repository over a slow link
FETCH_TIMEOUT = 60.0  # seconds: a poll that cannot reach the remote gives up and tries on the next interval
UNPUSHED_BRANCH = "meetup-bot/unpushed-"


class CloneError(Exception):
    """The clone cannot be used or updated: `message` is one line (no secret), nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Upstream:
    """Where the clone stands after `update_clone`: `head` is the fetched upstream commit, `local` whether
    the bot's own commits sit on top of it (rebased), `notes` anything the organizers should hear."""

    head: str
    local: bool = False
    notes: list[str] = field(default_factory=list)


def _reason(exc: GitError) -> str:
    """git's own words, without the `git fetch failed: fatal:` framing."""
    reason = exc.message.split(" failed: ", 1)[-1]
    for prefix in ("fatal: ", "error: "):
        reason = reason.removeprefix(prefix)
    return reason


async def _rev(clone: Path, rev: str) -> str | None:
    found = await git("rev-parse", "--verify", "-q", f"{rev}^{{commit}}", cwd=clone, check=False)
    if found.returncode != 0:
        return None
    return found.stdout.strip() or None


async def _clone(repo: EventsRepoConfig) -> None:
    """Clones into a temporary folder beside clone_dir, then renames it: a clone killed half-way leaves
    no half clone behind."""
    clone = repo.clone_dir
    partial = clone.parent / f".{clone.name}.cloning"
    shutil.rmtree(partial, ignore_errors=True)
    clone.parent.mkdir(parents=True, exist_ok=True)
    try:
        await git(
            "clone",
            "-q",
            "--no-tags",
            "--single-branch",
            "--branch",
            repo.branch,
            "--",
            repo.url,
            str(partial),
            timeout=CLONE_TIMEOUT,
        )
        os.replace(partial, clone)  # clone_dir may exist as an empty folder
    except GitError as exc:
        raise CloneError(f"cannot clone {redact(repo.url)}: {_reason(exc)}") from None
    except OSError as exc:
        raise CloneError(
            f"cannot create {clone} ({exc.strerror or exc}); check events_repo.clone_dir"
        ) from None
    finally:
        shutil.rmtree(partial, ignore_errors=True)


async def _check_clone(repo: EventsRepoConfig) -> None:
    """clone_dir must be the bot's clone of `url`; a half-done rebase (a killed sync) is abandoned."""
    clone = repo.clone_dir
    origin = await git("config", "--get", "remote.origin.url", cwd=clone, check=False)
    url = origin.stdout.strip()
    if origin.returncode != 0 or url != repo.url:
        what = f"a clone of {redact(url)}" if url else "not a clone of it"
        raise CloneError(
            f"{clone} is {what}, not the bot's clone of {redact(repo.url)}: nothing was changed; move it "
            "away (the bot clones again) or set events_repo.clone_dir to another folder"
        )
    git_dir = clone / ".git"
    _remove_stale_locks(git_dir)
    if (git_dir / "rebase-merge").exists() or (git_dir / "rebase-apply").exists():
        await git("rebase", "--abort", cwd=clone, check=False)


def _remove_stale_locks(git_dir: Path) -> None:
    """git's own lock files (index.lock, a ref's .lock) left by a git killed with the sync: the caller holds
    repo_lock, so no other git of the bot's runs in the clone, and a lock file now is stale."""
    found = [*git_dir.glob("*.lock"), *(git_dir / "refs").rglob("*.lock")]
    for lock in found:
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()


async def update_clone(repo: EventsRepoConfig) -> Upstream:
    """Clone (first use) or fetch `branch`, then move the working tree to the fetched head. Raises
    CloneError (one line) when the remote cannot be reached or the clone cannot be used; the working
    tree is untouched then."""
    clone = repo.clone_dir
    if not (clone / ".git").exists():
        if clone.exists() and (not clone.is_dir() or any(clone.iterdir())):
            raise CloneError(
                f"{clone} exists and is not a clone of {redact(repo.url)}: nothing was changed; move it "
                "away (the bot clones there) or set events_repo.clone_dir to another folder"
            )
        await _clone(repo)
        head = await _rev(clone, "HEAD")
        if head is None:
            raise CloneError(f"the clone of {redact(repo.url)} in {clone} has no commit on {repo.branch}")
        return Upstream(head)
    await _check_clone(repo)
    tracking = f"refs/remotes/origin/{repo.branch}"
    before = await _rev(clone, tracking)
    try:
        await git(
            "fetch",
            "-q",
            "--no-tags",
            "origin",
            f"+refs/heads/{repo.branch}:{tracking}",
            cwd=clone,
            timeout=FETCH_TIMEOUT,
        )
    except GitError as exc:
        raise CloneError(f"cannot fetch {redact(repo.url)}: {_reason(exc)}") from None
    head = await _rev(clone, tracking)
    if head is None:
        raise CloneError(f"{redact(repo.url)} has no branch {repo.branch} (events_repo.branch)")
    return await _move_to(repo, head, before)


async def _move_to(repo: EventsRepoConfig, head: str, before: str | None) -> Upstream:
    """The working tree at `head`, with the bot's commits made since the previous fetch (`before`)
    rebased on top; when they conflict, they are kept on a branch and the tree follows upstream."""
    clone = repo.clone_dir
    upstream = Upstream(head)
    current = (await git("symbolic-ref", "-q", "--short", "HEAD", cwd=clone, check=False)).stdout.strip()
    if current != repo.branch:  # events_repo.branch changed, or a detached HEAD
        await git("checkout", "-q", "-f", "-B", repo.branch, head, cwd=clone)
        return upstream
    local_head = await _rev(clone, "HEAD")
    if local_head == head:
        await git("reset", "-q", "--hard", head, cwd=clone)  # a tree left dirty by anyone
        return upstream
    exclude = [f"^{head}"] + ([f"^{before}"] if before else [])
    ours = (await git("rev-list", "HEAD", *exclude, "--", cwd=clone)).stdout.split()
    if not ours:
        await git("reset", "-q", "--hard", head, cwd=clone)
        return upstream
    await git("reset", "-q", "--hard", "HEAD", cwd=clone)  # a rebase needs a clean tree
    identity = ["-c", f"user.name={repo.author_name}", "-c", f"user.email={repo.author_email}"]
    rebased = await git(
        *identity, "rebase", "-q", "--onto", head, before or head, repo.branch, cwd=clone, check=False
    )
    if rebased.returncode == 0:
        upstream.local = (await _rev(clone, "HEAD")) != head
        return upstream
    with contextlib.suppress(GitError):
        await git("rebase", "--abort", cwd=clone)
    assert local_head is not None
    saved = f"{UNPUSHED_BRANCH}{local_head[:7]}"
    await git("branch", "-f", saved, local_head, cwd=clone)
    await git("reset", "-q", "--hard", head, cwd=clone)
    count = len(ours)
    upstream.notes.append(
        f"the bot's {count} unpushed commit{'s' if count != 1 else ''} conflicted with {head[:7]}: kept on "
        f"branch {saved} in {clone}; the events follow the repository"
    )
    return upstream


# ---- the report ------------------------------------------------------------------------------------------


@dataclass
class RepoSyncReport:
    """What one sync did: the commit synced, the events it touched, files that failed, or why it could not run."""

    commit: str | None = None  # full sha now synced (None when nothing could be synced)
    previous: str | None = None  # the sha synced before (None on the first sync)
    author: str = ""  # "Name <email>" of `commit`
    subject: str = ""  # its first line
    full: bool = False  # compared every file: first sync, --full, or rewritten history (force-push)
    added: list[str] = field(default_factory=list)
    rescheduled: list[str] = field(default_factory=list)  # start or end time changed
    moved: list[str] = field(default_factory=list)  # place changed (location/online)
    updated: list[str] = field(default_factory=list)  # other changes
    cancelled: list[str] = field(default_factory=list)  # file removed, or the file says cancelled
    restored: list[str] = field(default_factory=list)  # file back, or no longer cancelled
    failed: list[str] = field(default_factory=list)  # "path:line: message", path relative to the repository
    refused: str | None = None  # the removal guard's refusal line, if it refused
    removal: RemovalResult | None = None  # for Scheduler.removals_checked
    error: str | None = None  # the sync could not run: one line; nothing changed
    groups: set[str] = field(default_factory=set)  # configured groups hosting the events touched
    notes: list[str] = field(default_factory=list)  # e.g. the bot's unpushed commits set aside on a branch

    @property
    def changed(self) -> bool:
        """Whether the sync did anything worth telling the organizers."""
        return bool(
            self.added
            or self.rescheduled
            or self.moved
            or self.updated
            or self.cancelled
            or self.restored
            or self.failed
            or self.notes
        )

    def summary(self) -> str:
        """One line for the log channel, `meetup-bot sync` and `/sync`."""
        if self.error is not None:
            return f"could not sync: {self.error}; keeping the events already imported"
        short = (self.commit or "")[:7]
        parts = [
            f"{name} {len(slugs)}"
            for name, slugs in (
                ("added", self.added),
                ("rescheduled", self.rescheduled),
                ("moved", self.moved),
                ("updated", self.updated),
                ("cancelled", self.cancelled),
                ("restored", self.restored),
            )
            if slugs
        ]
        if self.commit == self.previous and not self.full and not self.changed:
            text = f"already at {short}: nothing changed"
        else:
            how = " (every file compared)" if self.full else ""
            by = f" by {self.author}" if self.author else ""
            subject = f' ("{self.subject}")' if self.subject else ""
            text = f"synced {short}{how}{by}{subject}: {', '.join(parts) if parts else 'no event changed'}"
        if self.failed:
            count = len(self.failed)
            shown = "; ".join(self.failed[:3]) + (f"; and {count - 3} more" if count > 3 else "")
            text += f"; {count} file{'s' if count != 1 else ''} failed: {shown}"
        if self.refused:
            text += f"; {self.refused}"
        for note in self.notes:
            text += f"; {note}"
        return text


# ---- the sync --------------------------------------------------------------------------------------------

_CHUNK = 500  # slugs per IN (...) query


@dataclass(frozen=True)
class _State:
    """What the summary compares of an event, before and after the sync."""

    starts_at: datetime
    ends_at: datetime
    location: str
    online: bool
    cancelled: bool
    removed: bool


async def sync_repository(
    config: Config, sessions: async_sessionmaker[AsyncSession], clock: Clock, *, full: bool = False
) -> RepoSyncReport:
    """Fetch events_repo and import what changed since the last synced commit, in one transaction.

    Never raises for git or parse problems (they go into .error / .failed); DB errors may raise.
    """
    repo = config.events_repo
    if repo is None:
        raise UserError(
            f"events_repo is not set in {config.source}; add events_repo.url (the group's git repository "
            "of event files) to sync from it, or use `meetup-bot import` for a folder"
        )
    async with repo_lock(repo.clone_dir):
        previous, recheck = await _stored_commit(sessions, repo)
        clone = repo.clone_dir
        try:
            upstream = await update_clone(repo)
            head = upstream.head
            intact = previous is not None and await is_ancestor(clone, previous, head)
            changes = FileChanges()
            if intact and previous != head:
                changes = await diff_changes(clone, previous or head, head, repo.path)
                if upstream.local:  # the bot's own commits on top: their files as the clone has them
                    changes.merge(await diff_changes(clone, head, "HEAD", repo.path))
            author, subject = await commit_info(clone, head)
        except CloneError as exc:
            return RepoSyncReport(previous=previous, error=exc.message)
        except GitError as exc:
            return RepoSyncReport(previous=previous, error=f"{clone}: {exc.message}")
        compare_all = full or recheck or not intact
        report = RepoSyncReport(
            commit=head,
            previous=previous,
            author=author,
            subject=subject,
            full=compare_all,
            notes=upstream.notes,
        )
        if not compare_all and previous == head:
            return report
        # a recheck after a refusal reports only the failures of files the new commits changed: the others
        # were reported at the commit that broke them
        report_failures = set(changes.changed) if compare_all and intact and not full else None
        await _import(config, sessions, clock, report, None if compare_all else changes, report_failures)
        return report


async def _stored_commit(
    sessions: async_sessionmaker[AsyncSession], repo: EventsRepoConfig
) -> tuple[str | None, bool]:
    """The commit the database holds for this repository, and whether the next sync must compare all."""
    async with sessions() as session:
        row = await session.scalar(_row_query(repo))
        return (row.commit, row.recheck) if row is not None else (None, False)


def _row_query(repo: EventsRepoConfig) -> Select[RepoSync]:
    return select(RepoSync).where(
        RepoSync.url == repo.url, RepoSync.branch == repo.branch, RepoSync.path == repo.path
    )


async def _import(
    config: Config,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    report: RepoSyncReport,
    changes: FileChanges | None,
    report_failures: set[str] | None = None,
) -> None:
    """The changed files (every file when `changes` is None) into the database, the events of gone files
    marked removed, and the synced commit stored: one transaction. `report_failures`: only these files'
    failures are reported (paths relative to the repository root; None: every failure)."""
    repo = config.events_repo
    assert repo is not None
    folder = repo.events_folder
    root = repo.clone_dir
    options = config.parse_options()
    async with sessions.begin() as session:
        await begin_immediate(session)  # reads and writes below under one write lock
        now = clock.now()
        failed: list[str] = []
        if changes is None:
            before = await _states(session, None)
            imported = ImportReport()
            if folder.is_dir():
                imported = await import_paths(session, [folder], options, now)
            removal = await mark_removed(session, folder, now, events_dir=folder, guard=config.removal_guard)
            keys: set[str] | None = None
        else:
            files = [root / relative for relative in changes.changed]
            present = [path for path in files if path.is_file()]
            gone = [os.path.realpath(root / relative) for relative in changes.gone]
            gone += [os.path.realpath(path) for path in files if not path.is_file()]
            keys = {slug_for(path) for path in [*files, *(Path(p) for p in gone)]}
            before = await _states(session, keys)
            present, taken = await _claimed_elsewhere(session, present, set(gone), root)
            failed += taken
            imported = ImportReport()
            if present:
                imported = await import_paths(session, present, options, now)
            removal = await mark_files_removed(
                session,
                folder,
                gone,
                now,
                present=[stored_source(path) for path in present],
                guard=config.removal_guard,
            )
        after = await _states(session, keys)
        _classify(report, before, after, set(imported.updated))
        failed += [
            _relative(str(error), root)
            for error in imported.errors
            if report_failures is None or _relative(error.path, root) in report_failures
        ]
        report.failed = failed
        report.removal = removal
        if removal.refused is not None:
            report.refused = refusal_line(removal.refused)
        report.groups = await _groups(session, config, _touched(report))
        await _store_commit(session, repo, report.commit or "", now, recheck=removal.refused is not None)


def _relative(line: str, root: Path) -> str:
    """A problem line with paths in the clone relative to the repository root, as GitHub shows them."""
    return line.replace(str(root).rstrip(os.sep) + os.sep, "")


async def _claimed_elsewhere(
    session: AsyncSession, files: list[Path], gone: set[str], root: Path
) -> tuple[list[Path], list[str]]:
    """Files whose slug is already an event of another file that is still in the clone: a full walk
    reports the second file of a slug as an error, and so does a diff sync (the first keeps its event)."""
    by_slug = {slug_for(path): path for path in files}
    sources: dict[str, str] = {}
    slugs = list(by_slug)
    for start in range(0, len(slugs), _CHUNK):
        rows = await session.execute(
            select(Event.slug, Event.source).where(Event.slug.in_(slugs[start : start + _CHUNK]))
        )
        sources.update({slug: source for slug, source in rows})
    mine = {stored_source(path) for path in files}
    inside = str(root).rstrip(os.sep) + os.sep
    kept: list[Path] = []
    refused: list[str] = []
    for path in files:
        slug = slug_for(path)
        other = sources.get(slug)
        if (
            other is not None
            and other not in mine
            and other not in gone
            and other.startswith(inside)
            and os.path.isfile(other)
        ):
            refused.append(
                f"{_relative(str(path), root)}: slug {slug!r} is already used by "
                f"{_relative(other, root)}; rename one of the two files"
            )
            continue
        kept.append(path)
    return kept, refused


async def _states(session: AsyncSession, slugs: Iterable[str] | None) -> dict[str, _State]:
    """What the summary compares, for these events (every event when None)."""
    columns = (
        Event.slug,
        Event.starts_at,
        Event.ends_at,
        Event.location,
        Event.online,
        Event.cancelled,
        Event.removed_at,
    )
    found: dict[str, _State] = {}
    chunks: list[list[str] | None] = [None]
    if slugs is not None:
        keys = sorted(slugs)
        chunks = [keys[start : start + _CHUNK] for start in range(0, len(keys), _CHUNK)]
    for chunk in chunks:
        query = select(*columns)
        if chunk is not None:
            query = query.where(Event.slug.in_(chunk))
        for slug, starts_at, ends_at, location, online, cancelled, removed_at in await session.execute(query):
            found[slug] = _State(starts_at, ends_at, location, online, cancelled, removed_at is not None)
    return found


def _classify(
    report: RepoSyncReport, before: dict[str, _State], after: dict[str, _State], updated: set[str]
) -> None:
    """Sort the events whose state the sync changed into the report's lists."""
    for slug in sorted(after):
        new = after[slug]
        old = before.get(slug)
        if old is None:
            if not new.removed:
                report.added.append(slug)
            continue
        if new.removed or old.removed:
            if new.removed and not old.removed:
                report.cancelled.append(slug)
            elif old.removed and not new.removed:
                report.restored.append(slug)
            continue
        if new.cancelled != old.cancelled:
            (report.cancelled if new.cancelled else report.restored).append(slug)
            continue
        placed = (new.location, new.online) != (old.location, old.online)
        timed = (new.starts_at, new.ends_at) != (old.starts_at, old.ends_at)
        if timed:
            report.rescheduled.append(slug)
        if placed:
            report.moved.append(slug)
        if not timed and not placed and slug in updated:
            report.updated.append(slug)


def _touched(report: RepoSyncReport) -> list[str]:
    return list(
        dict.fromkeys(
            [
                *report.added,
                *report.rescheduled,
                *report.moved,
                *report.updated,
                *report.cancelled,
                *report.restored,
            ]
        )
    )


async def _groups(session: AsyncSession, config: Config, slugs: list[str]) -> set[str]:
    """The configured groups hosting these events."""
    names: set[str] = set()
    for start in range(0, len(slugs), _CHUNK):
        rows = await session.scalars(
            select(EventGroup.group_name)
            .join(Event, Event.id == EventGroup.event_id)
            .where(Event.slug.in_(slugs[start : start + _CHUNK]))
            .distinct()
        )
        names.update(name for name in rows if config.group_named(name) is not None)
    return names


async def _store_commit(
    session: AsyncSession, repo: EventsRepoConfig, commit: str, now: datetime, *, recheck: bool
) -> None:
    """The synced commit, in the sync's transaction: it and the imported files are committed together."""
    row = await session.scalar(_row_query(repo))
    if row is None:
        row = RepoSync(url=repo.url, branch=repo.branch, path=repo.path)
        session.add(row)
    row.commit = commit
    row.synced_at = now
    row.recheck = recheck
    await session.flush()
