"""What a range of commits changed in the events folder, from `git diff --name-status -z -M`: the files to
import again and the files that are gone, as paths relative to the repository root."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from bot.catalog.files import EVENT_SUFFIXES
from bot.repo.git import git


@dataclass
class FileChanges:
    """Event files a diff touched: `changed` to import (added, modified, the new side of a rename or copy),
    `gone` whose events may be removed (deleted, the old side of a rename)."""

    changed: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changed or self.gone)

    def merge(self, other: FileChanges) -> None:
        """Adds another diff's files (the bot's own local commits on top of upstream's)."""
        self.changed = list(dict.fromkeys([*self.changed, *other.changed]))
        self.gone = list(dict.fromkeys([*self.gone, *other.gone]))


def is_event_path(path: str, folder: str) -> bool:
    """Whether `path` (relative to the repository root) is a file the folder walk imports: under the events
    folder, an event file's extension, no hidden file or folder on the way (as bot.catalog.files walks)."""
    pure = PurePosixPath(path)
    base = PurePosixPath(folder)
    if base != PurePosixPath("."):
        try:
            pure = pure.relative_to(base)
        except ValueError:
            return False
    if any(part.startswith(".") for part in pure.parts):
        return False
    return pure.suffix.casefold() in EVENT_SUFFIXES


def parse_name_status(output: str, folder: str) -> FileChanges:
    """The event files of `git diff --name-status -z -M` output: `STATUS\\0path\\0` records, with two paths
    for renames and copies (`R100\\0old\\0new\\0`)."""
    changes = FileChanges()
    fields = output.split("\0")
    index = 0
    while index < len(fields) and fields[index]:
        status = fields[index][0]
        if status in "RC":
            old, new = fields[index + 1], fields[index + 2]
            index += 3
            if status == "R" and is_event_path(old, folder):
                changes.gone.append(old)
            if is_event_path(new, folder):
                changes.changed.append(new)
            continue
        path = fields[index + 1]
        index += 2
        if not is_event_path(path, folder):
            continue
        if status == "D":
            changes.gone.append(path)
        else:  # A, M, T (type changed): import what is there now
            changes.changed.append(path)
    changes.changed = list(dict.fromkeys(changes.changed))
    changes.gone = [p for p in dict.fromkeys(changes.gone) if p not in changes.changed]
    return changes


async def diff_changes(clone: Path, old: str, new: str, folder: str) -> FileChanges:
    """The event files changed between two commits, from git's rename-aware diff of the events folder."""
    done = await git(
        "--literal-pathspecs",
        "diff",
        "--name-status",
        "-z",
        "-M",
        "--no-ext-diff",
        "--no-textconv",
        old,
        new,
        "--",
        folder,
        cwd=clone,
    )
    return parse_name_status(done.stdout, folder)


async def is_ancestor(clone: Path, old: str, new: str) -> bool:
    """Whether `old` is a commit of the clone and in `new`'s history (else history was rewritten)."""
    known = await git("cat-file", "-e", f"{old}^{{commit}}", cwd=clone, check=False)
    if known.returncode != 0:
        return False
    done = await git("merge-base", "--is-ancestor", old, new, cwd=clone, check=False)
    return done.returncode == 0


async def commit_info(clone: Path, rev: str) -> tuple[str, str]:
    """The author (`Name <email>`) and subject of a commit."""
    done = await git("log", "-1", "--no-show-signature", "--format=%an <%ae>%x00%s", rev, "--", cwd=clone)
    author, _, subject = done.stdout.rstrip("\n").partition("\0")
    return author, subject
