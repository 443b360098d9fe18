"""The event files a change of the events repository touches, read at both revisions without a checkout.

A pull request's change is what its head adds to the merge base with the target branch (`base...head`),
so commits that landed on the target branch since it branched are not counted as its doing. The "before"
side is the file as the target branch has it now (what the bot serves), the "after" side as the head has
it: for a file only the pull request changed, that is what the target branch holds once it is merged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bot.catalog.files import MAX_BYTES, parse_event_text
from bot.catalog.record import EventFileError, EventRecord, NotAnEvent, ParseOptions, unexpected_error
from bot.errors import UserError
from bot.repo.changes import is_event_path
from bot.repo.git import GitError, git

# git modes of files a checkout makes regular files (a symlink or a submodule is no event file)
_REGULAR_MODES = ("100644", "100755")
_READERS = 8  # `git cat-file` processes at once


class PreviewError(UserError):
    """The change cannot be previewed (no repository, an unknown revision): one line saying what to fix."""


@dataclass(frozen=True)
class FileVersion:
    """One event file at one revision: its parsed record, or why it is none (an error, or not an event)."""

    path: str  # relative to the repository's top folder, as a pull request shows it
    record: EventRecord | None = None
    error: EventFileError | None = None
    skipped: NotAnEvent | None = None


@dataclass(frozen=True)
class Revisions:
    top: Path  # the repository's top folder
    base: str  # commit ids
    head: str
    merge_base: str


async def resolve(repo: Path, base: str, head: str) -> Revisions:
    """The repository's top folder and the commits `base`, `head` and their merge base; PreviewError if any
    cannot be had."""
    if not repo.is_dir():
        raise PreviewError(f"--repo {repo}: no such folder")
    try:
        top = Path((await git("rev-parse", "--show-toplevel", cwd=repo)).stdout.strip())
    except GitError:
        raise PreviewError(f"--repo {repo} is not a git repository (or git cannot read it)") from None
    base_id = await _commit(top, base, "--base")
    head_id = await _commit(top, head, "--head")
    found = await git("merge-base", base_id, head_id, cwd=top, check=False)
    if found.returncode != 0 or not found.stdout.strip():
        raise PreviewError(
            f"--base {base} and --head {head} have no common history; "
            "pass the branch the change is to be merged into"
        )
    return Revisions(top, base_id, head_id, found.stdout.strip())


async def _commit(top: Path, rev: str, option: str) -> str:
    if rev.startswith("-"):
        raise PreviewError(f"{option} {rev}: a revision cannot start with '-'")
    found = await git(
        "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", cwd=top, check=False
    )
    if found.returncode != 0 or not found.stdout.strip():
        hint = " (in CI, check out with fetch-depth: 0 so the target branch is there)" if "/" in rev else ""
        raise PreviewError(f"{option} {rev} is not a commit in {top}{hint}")
    return found.stdout.strip()


async def changed_paths(revisions: Revisions, folder: str) -> list[str]:
    """Event files under `folder` that the change adds, modifies, renames (both names) or removes."""
    result = await git(
        "diff",
        "--name-status",
        "-z",
        "-M",
        "--no-ext-diff",
        revisions.merge_base,
        revisions.head,
        "--",
        folder,
        cwd=revisions.top,
    )
    fields = result.stdout.split("\0")
    paths: list[str] = []
    index = 0
    while index < len(fields) and fields[index]:
        status = fields[index]
        count = 2 if status[:1] in ("R", "C") else 1
        paths.extend(fields[index + 1 : index + 1 + count])
        index += 1 + count
    clean = PurePosixPath(folder)
    return sorted({p for p in paths if is_event_path(p, str(clean))})


async def read_versions(
    top: Path, commit: str, paths: Iterable[str], options: ParseOptions
) -> dict[str, FileVersion]:
    """The given files as they are at `commit` (those that exist there), parsed like the importer does."""
    wanted = list(paths)
    if not wanted:
        return {}
    listing = await git("ls-tree", "-z", "-l", "--full-tree", commit, "--", *wanted, cwd=top)
    entries: dict[str, tuple[str, str, str, str]] = {}
    for line in listing.stdout.split("\0"):
        if not line:
            continue
        meta, _, path = line.partition("\t")
        mode, kind, oid, size = meta.split()
        entries[path] = (mode, kind, oid, size)
    gate = asyncio.Semaphore(_READERS)

    async def one(path: str) -> FileVersion:
        async with gate:
            return await _version(top, path, entries[path], options)

    found = await asyncio.gather(*(one(path) for path in wanted if path in entries))
    return {version.path: version for version in found}


async def _version(
    top: Path, path: str, entry: tuple[str, str, str, str], options: ParseOptions
) -> FileVersion:
    mode, kind, oid, size = entry
    if kind == "tree":
        return FileVersion(path, error=EventFileError(path, None, "is a folder, not an event file"))
    if kind != "blob" or mode not in _REGULAR_MODES:
        return FileVersion(
            path, error=EventFileError(path, None, "is not a regular file (a link or a submodule)")
        )
    if size.isdigit() and int(size) > MAX_BYTES:
        return FileVersion(
            path, error=EventFileError(path, None, "is over 1 MiB; event files are at most 1 MiB")
        )
    text = (await git("cat-file", "blob", oid, cwd=top)).stdout
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        return FileVersion(
            path,
            error=EventFileError(
                path, line, "is a binary file (it contains NUL bytes), not a text event file"
            ),
        )
    text = text.removeprefix("\ufeff")
    try:
        return FileVersion(path, record=parse_event_text(Path(path), text, options))
    except EventFileError as exc:
        return FileVersion(path, error=exc)
    except NotAnEvent as exc:
        return FileVersion(path, skipped=exc)
    except Exception as exc:  # a file nobody foresaw must not stop the preview of the others
        return FileVersion(path, error=unexpected_error(path, exc, "cannot be read"))
