"""The bot's write-back commits in its clone of the events repository: one file per commit, and the push.

Callers hold `repo_lock(clone_dir)` around writing the file, `commit_file` and `push_pending`, so a sync
never moves the clone under them. A commit holds only the file it is about (other changes lying in the
clone stay as they were), authored and committed by `events_repo.author`. A push that is rejected because
the branch moved is rebased onto the new upstream and tried again; a rebase that conflicts is aborted and
the commit stays local; nothing is ever force-pushed. Commits not pushed yet (an unreachable remote) are
pushed by the next `push_pending`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.checkin.writeback import LABELS, Kept, Merged, Totals, write_back
from bot.config import EventsRepoConfig
from bot.repo.git import GitError, GitResult, git, redact

PUSH_TRIES = 3  # pushes rejected because the branch moved, each followed by a fetch and a rebase
PUSH_TIMEOUT = 60.0  # seconds: a remote that does not answer gives up until the next write-back
_FIGURES = {"rsvps": "RSVPs", "attendance": "attended"}


class OutsideClone(Exception):
    """The event's file is not inside the bot's clone: `message` is one line saying what to do."""

    def __init__(self, path: Path, clone: Path) -> None:
        self.message = (
            f"{path} is outside the events repository's clone ({clone}, events_repo.clone_dir): only files "
            "in the clone are committed; run `meetup-bot sync` so the event is read from the clone"
        )
        super().__init__(self.message)


@dataclass(frozen=True)
class PushReport:
    """What `push_pending` did: `state` is "nothing" (no local commits), "pushed", "conflict" (a rebase
    conflicted: the commits stay local), or "failed" (the remote refused or was not reached); `line` says
    it in one line for an organizer ("" when there was nothing to push); `commits` counts the local
    commits it was about."""

    state: str
    line: str
    commits: int = 0

    @property
    def ok(self) -> bool:
        return self.state in ("nothing", "pushed")


def in_clone(repo: EventsRepoConfig, path: Path) -> str:
    """`path` relative to the clone (posix), or OutsideClone."""
    clone = repo.clone_dir.resolve()
    try:
        return path.resolve().relative_to(clone).as_posix()
    except ValueError:
        raise OutsideClone(path, clone) from None


def _single_line(text: str) -> str:
    return " ".join(text.split())


def totals_message(title: str, slug: str, values: Mapping[str, Totals], kept: Sequence[Kept] = ()) -> str:
    """The commit message: `Totals for Go Night (go-night): 24 RSVPs, 15 attended`, naming only the figures
    the bot wrote; figures the file kept (it would have lowered them) are listed in the body."""
    kept_labels = {k.label for k in kept}
    figures = [
        f"{totals.total} {_FIGURES[key]}"
        for key, totals in values.items()
        if not any(label.startswith(LABELS[key]) for label in kept_labels)
    ]
    subject = f"Totals for {_single_line(title)} ({slug})"
    if figures:
        subject += ": " + ", ".join(figures)
    body = [f"{k.label}: kept {k.written} (the bot recorded {k.recorded})" for k in kept]
    return subject + ("\n\n" + "\n".join(body) if body else "") + "\n"


def _identity(repo: EventsRepoConfig) -> tuple[list[str], dict[str, str]]:
    """`-c` options and environment that make `events_repo.author` both author and committer, whatever
    the machine's git config or environment says (the variables win over any config), and never sign
    (no key on a server)."""
    options = ["-c", "commit.gpgsign=false"]
    environ = {
        **os.environ,
        "GIT_AUTHOR_NAME": repo.author_name,
        "GIT_AUTHOR_EMAIL": repo.author_email,
        "GIT_COMMITTER_NAME": repo.author_name,
        "GIT_COMMITTER_EMAIL": repo.author_email,
    }
    return options, environ


async def commit_file(repo: EventsRepoConfig, path: Path, message: str) -> str | None:
    """Commits `path` alone (with its changes since HEAD) in the clone; None when it is as committed.

    Other changes in the clone, staged or not, are left out of the commit and stay as they were."""
    clone = repo.clone_dir
    relative = in_clone(repo, path)
    paths = ["--literal-pathspecs"]
    tracked = await git(*paths, "ls-files", "--error-unmatch", "--", relative, cwd=clone, check=False)
    if tracked.returncode != 0:
        await git(*paths, "add", "--", relative, cwd=clone)
    differs = await git(*paths, "diff", "--quiet", "HEAD", "--", relative, cwd=clone, check=False)
    if differs.returncode == 0:
        return None
    options, environ = _identity(repo)
    await git(
        *paths,
        *options,
        "commit",
        "-q",
        "--no-verify",
        "--only",
        "-F",
        "-",
        "--",
        relative,
        cwd=clone,
        input=message,
        environ=environ,
    )
    return (await git("rev-parse", "HEAD", cwd=clone)).stdout.strip()


def _tracking(repo: EventsRepoConfig) -> str:
    return f"refs/remotes/origin/{repo.branch}"


async def ahead(repo: EventsRepoConfig) -> int:
    """How many local commits the clone holds that upstream (as last fetched) does not."""
    found = await git("rev-list", "--count", f"{_tracking(repo)}..HEAD", cwd=repo.clone_dir, check=False)
    return int(found.stdout.strip() or 0) if found.returncode == 0 else 0


def _moved(result: GitResult) -> bool:
    """The push was refused only because the branch has commits the clone lacks."""
    text = result.stderr
    return "[rejected]" in text and ("non-fast-forward" in text or "fetch first" in text)


def _reason(stderr: str) -> str:
    lines = [line.strip() for line in redact(stderr).splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("fatal:", "error:", "remote: error:", "! [")):
            return line.removeprefix("fatal: ").removeprefix("error: ")
    return lines[-1] if lines else "no message"


def _commits(n: int) -> str:
    return f"{n} commit{'s' if n != 1 else ''}"


def _stay(n: int) -> str:
    return "the totals commit stays" if n == 1 else f"the {n} totals commits stay"


def _later(n: int) -> str:
    """The end of a line about a push that did not happen: what becomes of the commits."""
    return f"{_stay(n)} in the bot's clone, unpushed, and {'is' if n == 1 else 'are'} pushed at the next write-back"


async def _rebase(repo: EventsRepoConfig) -> PushReport | None:
    """Fetches the branch and rebases the local commits onto it; a PushReport when that cannot be done
    (unreachable, or a conflict: aborted, the commits stay as they were), else None."""
    clone = repo.clone_dir
    url = redact(repo.url)
    count = await ahead(repo)
    fetched = await git(
        "fetch",
        "-q",
        "--no-tags",
        "origin",
        f"+refs/heads/{repo.branch}:{_tracking(repo)}",
        cwd=clone,
        check=False,
        timeout=PUSH_TIMEOUT,
    )
    if fetched.returncode != 0:
        return PushReport(
            "failed",
            f"cannot fetch {url} after a rejected push: {_reason(fetched.stderr)}; {_later(count)}",
            count,
        )
    upstream = (await git("rev-parse", _tracking(repo), cwd=clone)).stdout.strip()
    options, environ = _identity(repo)
    rebased = await git(
        *options,
        "rebase",
        "-q",
        "--autostash",
        _tracking(repo),
        cwd=clone,
        check=False,
        environ=environ,
    )
    if rebased.returncode == 0:
        return None
    conflicts = await git("diff", "--name-only", "--diff-filter=U", cwd=clone, check=False)
    files = ", ".join(conflicts.stdout.split()) or "the totals commit"
    await git("rebase", "--abort", cwd=clone, check=False)
    count = await ahead(repo)
    return PushReport(
        "conflict",
        f"conflict with {upstream[:7]}: {files}; {_stay(count)} in the bot's clone, "
        "unpushed; nothing was forced",
        count,
    )


async def push_pending(repo: EventsRepoConfig, *, tries: int = PUSH_TRIES) -> PushReport:
    """Pushes the clone's local commits to `branch` of `url`, never forced: a rejection because the
    branch moved fetches, rebases and tries again (up to `tries` pushes). Caller holds repo_lock."""
    clone = repo.clone_dir
    url = redact(repo.url)
    count = await ahead(repo)
    if count == 0:
        return PushReport("nothing", "")
    pushed = None
    for _ in range(tries):
        try:
            pushed = await git(
                "push",
                "-q",
                "origin",
                f"HEAD:refs/heads/{repo.branch}",
                cwd=clone,
                check=False,
                timeout=PUSH_TIMEOUT,
            )
        except GitError as exc:  # a timeout
            return PushReport(
                "failed",
                f"push to {url} failed: {exc.message}; {_later(count)}",
                count,
            )
        if pushed.returncode == 0:
            # the tracking ref is what `ahead` and the next sync compare with: it is the pushed commit now
            head = (await git("rev-parse", "HEAD", cwd=clone)).stdout.strip()
            await git("update-ref", _tracking(repo), head, cwd=clone)
            return PushReport("pushed", f"pushed {_commits(count)} to {repo.branch} of {url}", count)
        if not _moved(pushed):
            break
        problem = await _rebase(repo)
        if problem is not None:
            return problem
        count = await ahead(repo)
        if count == 0:  # upstream already holds the same change
            return PushReport("pushed", f"{repo.branch} of {url} already has the totals", 0)
    assert pushed is not None
    reason = _reason(pushed.stderr)
    if _moved(pushed):
        reason = f"the branch kept moving ({tries} tries)"
    return PushReport(
        "failed",
        f"push to {url} failed: {reason}; {_later(count)}",
        count,
    )


@dataclass(frozen=True)
class Written:
    """A write-back in the clone: the merge (figures written and kept), and the commit made, if any."""

    merged: Merged
    commit: str | None
    message: str


async def write_and_commit(
    repo: EventsRepoConfig,
    path: Path,
    values: Mapping[str, Totals],
    canonical: Callable[[str], str],
    *,
    title: str,
    slug: str,
    force: bool = False,
) -> Written:
    """`write_back` (its rules unchanged) then `commit_file`; caller holds repo_lock. A commit that fails
    puts the file back as it was, so the clone is left clean. Raises OutsideClone (before touching the
    file), the errors of `write_back` (OSError, UnicodeDecodeError, WriteBackError) and GitError."""
    in_clone(repo, path)
    original = path.read_bytes()
    merged = write_back(path, values, canonical, force=force)
    message = totals_message(title, slug, values, merged.kept)
    try:
        sha = await commit_file(repo, path, message)
    except GitError:
        if merged.changed:
            path.write_bytes(original)
        raise
    return Written(merged, sha, message)
