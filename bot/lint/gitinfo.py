"""`lint --base REV`: which of the files linted are new since REV (a pull request's base), through git.

"New" is "not in REV's tree and not a file renamed from one that was": the past-date check is meant for an
event someone just added, not for a history page moved to another folder.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.repo.git import GitError, git

__all__ = ["BaseError", "NewFiles", "new_files"]


class BaseError(Exception):
    """`--base` cannot be used (not a revision, not in a git repository, no git): one line for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class _Repository:
    root: str  # resolved, without a trailing separator
    present: frozenset[str]  # paths (relative to root, "/"-separated) in the base or renamed from it


@dataclass(frozen=True)
class NewFiles:
    """Answers "is this file new since the base?" for the repositories the linted paths are in.

    A file is placed in its repository by its PATH argument, resolved once (`given` -> real folder): no
    system call per file, and a symlinked event file counts as the link git tracks, not its target.
    """

    repositories: tuple[_Repository, ...]  # the deepest root first: a nested repository wins
    folders: tuple[tuple[str, str], ...]  # (absolute PATH argument folder, the same resolved), longest first

    def is_new(self, path: Path) -> bool:
        full = self._real(os.path.abspath(path))
        for repo in self.repositories:
            if full.startswith(repo.root + os.sep):
                return full[len(repo.root) + 1 :].replace(os.sep, "/") not in repo.present
        return False

    def _real(self, absolute: str) -> str:
        for given, real in self.folders:
            if absolute.startswith(given + os.sep):
                return real + absolute[len(given) :]
        head, name = os.path.split(absolute)
        return os.path.join(os.path.realpath(head), name)


def new_files(paths: Sequence[Path], base: str) -> NewFiles:
    """What `--base REV` needs to know, found once per repository (one `git ls-tree` of REV, one rename
    detection against the working tree), so that linting 10,000 files costs a few git calls, not 10,000.

    Raises BaseError when REV is no revision, a path is not in a git repository or git cannot run.
    """
    if not base or base.startswith("-"):
        raise BaseError(f'--base "{base}" is not a git revision; expected e.g. origin/main')
    return asyncio.run(_collect(paths, base))


async def _collect(paths: Sequence[Path], base: str) -> NewFiles:
    roots: list[str] = []
    folders: dict[str, str] = {}
    for path in paths:
        folder = path if path.is_dir() else path.parent
        folders[os.path.abspath(folder).rstrip(os.sep)] = os.path.realpath(folder).rstrip(os.sep)
        root = await _root(path, folder)
        if root not in roots:
            roots.append(root)
    repositories = [await _repository(root, base) for root in roots]
    repositories.sort(key=lambda repo: len(repo.root), reverse=True)
    by_length = sorted(folders.items(), key=lambda item: len(item[0]), reverse=True)
    return NewFiles(tuple(repositories), tuple(by_length))


async def _root(path: Path, folder: Path) -> str:
    try:
        found = await git("rev-parse", "--show-toplevel", cwd=folder.resolve())
    except GitError as exc:
        if exc.returncode is None:  # git missing, or it hung
            raise BaseError(f"--base: {exc.message}") from None
        raise BaseError(f"--base: {path} is not in a git repository") from None
    return os.path.realpath(found.stdout.strip()).rstrip(os.sep)


async def _repository(root: str, base: str) -> _Repository:
    cwd = Path(root)
    try:
        commit = await git("rev-parse", "--verify", "--quiet", f"{base}^{{commit}}", cwd=cwd)
    except GitError as exc:
        if exc.returncode is None:
            raise BaseError(f"--base: {exc.message}") from None
        raise BaseError(
            f'--base "{base}" is not a revision in {root}; expected e.g. origin/main '
            "(in a workflow, fetch it first: actions/checkout with fetch-depth: 0)"
        ) from None
    rev = commit.stdout.strip()
    try:
        tree = await git("ls-tree", "-r", "-z", "--name-only", "--full-tree", rev, cwd=cwd)
        renames = await git("diff", "-z", "--name-status", "-M", "--diff-filter=R", rev, "--", cwd=cwd)
    except GitError as exc:
        raise BaseError(f"--base: {exc.message}") from None
    present = {name for name in tree.stdout.split("\0") if name}
    fields = renames.stdout.split("\0")
    # -z --name-status with renames: "R100", old path, new path, ...
    present.update(
        fields[index + 2] for index in range(0, len(fields) - 2, 3) if fields[index].startswith("R")
    )
    return _Repository(root, frozenset(present))
