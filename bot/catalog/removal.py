"""Events whose file left an imported folder: marked removed (never deleted), so the bot can post a cancellation.

A cancellation is public and cannot be taken back on Discord, so a folder that looks broken (missing,
unreadable, without any event file, or that lost more than `removal_guard` allows at once) marks nothing
removed: the caller is told why and says so loudly. Files that come back always clear `removed_at`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalog.files import iter_event_files
from bot.catalog.sources import source_file
from bot.config import RemovalGuardConfig
from bot.db.models import Event

log = logging.getLogger(__name__)

_CHUNK = 500  # sources per IN (...) query: well under SQLite's and PostgreSQL's parameter limits

# why a folder's vanished files were not taken for removals
MISSING, UNREADABLE, EMPTY, TOO_MANY = "missing", "unreadable", "empty", "too_many"


@dataclass(frozen=True)
class Removed:
    """An event newly marked removed; `upcoming` when it has not started (so a cancellation can follow)."""

    slug: str
    upcoming: bool


@dataclass(frozen=True)
class Refusal:
    """Files vanished in a way that looks like a broken folder: nothing was marked removed."""

    folder: Path
    reason: str  # MISSING, UNREADABLE, EMPTY or TOO_MANY
    vanished: int  # events whose file is gone (or cannot be looked at)
    held: int  # events the folder held (not marked removed before)
    slugs: tuple[str, ...]
    max_share: float = 0.5
    detail: str = ""  # the OS error of an unreadable folder

    @property
    def key(self) -> str:
        """The condition, for reporting it once: the counts may move while it lasts."""
        return f"{self.folder}:{self.reason}"


@dataclass
class RemovalResult:
    """What `mark_removed` did: events newly removed, events whose file came back, or why it refused."""

    removed: list[Removed] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    refused: Refusal | None = None


def _under(path: str, folder: str, real: _RealPaths) -> bool:
    """Whether `path`, symlinks followed, is in `folder` (resolved); as strings, for 10,000 rows at once."""
    try:
        resolved = real.of(path)
    except (ValueError, OSError):
        return False
    return resolved == folder or resolved.startswith(folder.rstrip(os.sep) + os.sep)


class _RealPaths:
    """`Path.resolve()` for many files in few folders: each folder is resolved once, then only the last
    component is looked at (one lstat), instead of every component of every path. Made per call, so that
    a folder renamed or relinked between two calls is seen."""

    def __init__(self) -> None:
        self._folders: dict[str, str] = {}

    def of(self, path: str) -> str:
        """What os.path.realpath(path) gives."""
        parent, name = os.path.split(path)
        if parent == path or not os.path.isabs(path) or any(p in (".", "..") for p in path.split(os.sep)):
            return os.path.realpath(path)  # the root, or a path whose `..` must follow links first
        joined = os.path.join(self._folder(parent), name)
        return os.path.realpath(joined) if os.path.islink(joined) else joined

    def _folder(self, folder: str) -> str:
        real = self._folders.get(folder)
        if real is None:
            real = self._folders[folder] = self.of(folder)
        return real


def _folder_state(folder: Path) -> tuple[str | None, str]:
    """MISSING, UNREADABLE or EMPTY (no event file anywhere under it), else None; plus the OS error."""
    if not folder.is_dir():
        return MISSING, ""
    try:
        os.scandir(folder).close()
    except OSError as exc:
        return UNREADABLE, exc.strerror or str(exc)
    if next(iter_event_files([folder]), None) is None:
        return EMPTY, ""
    return None, ""


async def mark_removed(
    session: AsyncSession,
    folder: Path,
    now: datetime,
    *,
    events_dir: Path | None = None,
    guard: RemovalGuardConfig | None = None,
) -> RemovalResult:
    """Set `removed_at` on events imported from under `folder` whose file is gone; clear it if it came back.

    Stored sources are resolved with `source_file` against `events_dir` (default: `folder`), never against
    the current directory: older rows hold paths relative to wherever `import` ran. Events imported from
    elsewhere are left alone. When the folder looks broken (see the module docstring) nothing is marked
    removed and `refused` says why; files that came back are restored either way.
    """
    guard = guard or RemovalGuardConfig()
    folder = folder.resolve()
    base = events_dir or folder
    rows = await session.execute(
        select(Event.id, Event.slug, Event.source, Event.removed_at, Event.starts_at)
    )
    held: list[tuple[int, str, datetime, bool]] = []  # (id, slug, starts_at, file exists)
    back: list[tuple[int, str]] = []
    real = _RealPaths()
    within = str(folder)
    for event_id, slug, source, removed_at, starts_at in rows.all():
        # a stored source is absolute (the common case, taken as it is), else found by source_file
        path = source if os.path.isabs(source) else str(source_file(source, base))
        if not _under(path, within, real):
            continue
        exists = os.path.exists(path)
        if removed_at is None:
            held.append((event_id, slug, starts_at, exists))
        elif exists:
            back.append((event_id, slug))
    result = RemovalResult()
    for event_id, slug in back:
        event = await session.get(Event, event_id)
        if event is not None:
            event.removed_at = None
            result.restored.append(slug)
            log.debug("%s: its file is back in %s; no longer removed", slug, folder)
    gone = [(event_id, slug, starts_at) for event_id, slug, starts_at, exists in held if not exists]
    if not gone:
        return result
    reason, detail = _folder_state(folder)
    if reason is None and len(gone) >= guard.min_files and len(gone) > guard.max_share * len(held):
        reason = TOO_MANY
    if reason is not None:
        result.refused = Refusal(
            folder, reason, len(gone), len(held), tuple(s for _, s, _ in gone), guard.max_share, detail
        )
        return result
    for event_id, slug, starts_at in gone:
        event = await session.get(Event, event_id)
        if event is not None:
            event.removed_at = now
            result.removed.append(Removed(slug, starts_at > now))
            log.debug("%s: its file is gone from %s; marked removed", slug, folder)
    return result


def removal_line(folder: Path | str, removed: list[Removed]) -> str:
    """What the CLI and the bot's log say about events whose files are gone (one line)."""
    upcoming = [r.slug for r in removed if r.upcoming]
    past = [r.slug for r in removed if not r.upcoming]
    parts = []
    if upcoming:
        parts.append(f"{', '.join(upcoming)} (a cancellation will be posted)")
    if past:
        parts.append(f"{', '.join(past)} (already past: nothing is posted)")
    return f"removed from {folder}: {'; '.join(parts)}"


def restored_line(folder: Path | str, restored: list[str]) -> str:
    """One line about events whose file came back (the bot edits their posts back and says they are on)."""
    return f"back in {folder}: {', '.join(restored)} (no longer removed)"


def refusal_line(refusal: Refusal) -> str:
    """The one loud line about a folder that looks broken: where, how many, what to change; nothing lost."""
    folder, vanished, held = refusal.folder, refusal.vanished, refusal.held
    kept = "events are kept; nothing was cancelled"
    if refusal.reason == MISSING:
        return (
            f"{folder} is missing ({vanished} of {held} event files vanished): {kept}. "
            "Check events_dir in the config and that the folder is mounted"
        )
    if refusal.reason == UNREADABLE:
        return (
            f"{folder} cannot be read ({refusal.detail}; {vanished} of {held} event files out of reach): "
            f"{kept}. Check the folder's permissions (events_dir in the config)"
        )
    if refusal.reason == EMPTY:
        return (
            f"{folder} holds no event files ({vanished} of {held} vanished): {kept}. Check the folder "
            "(events_dir in the config); an empty folder never cancels: to cancel an event, mark it "
            "cancelled in its file"
        )
    return (
        f"{folder} lost {vanished} of its {held} event files at once, more than "
        f"removal_guard.max_share ({refusal.max_share:.0%}) allows: {kept}. Put the files back, or if they "
        "were removed on purpose raise removal_guard.max_share (or removal_guard.min_files) in the config"
    )


async def mark_files_removed(
    session: AsyncSession,
    folder: Path,
    gone: Iterable[str],
    now: datetime,
    *,
    present: Iterable[str] = (),
    guard: RemovalGuardConfig | None = None,
) -> RemovalResult:
    """`mark_removed` for a known list of files, without walking the folder: what a repository sync uses,
    since git says which files a commit deleted.

    `gone` and `present` are stored sources (absolute, resolved) of files under `folder`: events stored
    from a `gone` file that no longer exists are marked removed, and removed events stored from a
    `present` file that exists are restored. The same removal guard holds as for `mark_removed`: when
    too many of the folder's events vanish at once, or the folder holds no event file any more, nothing
    is marked removed and `refused` says why. Events stored from elsewhere are never touched.
    """
    guard = guard or RemovalGuardConfig()
    folder = folder.resolve()
    result = RemovalResult()
    present = [p for p in dict.fromkeys(present) if os.path.exists(p)]
    for start in range(0, len(present), _CHUNK):
        back = await session.scalars(
            select(Event).where(
                Event.source.in_(present[start : start + _CHUNK]), Event.removed_at.is_not(None)
            )
        )
        for event in back:
            event.removed_at = None
            result.restored.append(event.slug)
            log.debug("%s: its file is back in %s; no longer removed", event.slug, folder)
    vanished = [p for p in dict.fromkeys(gone) if not os.path.exists(p)]
    lost: list[Event] = []
    for start in range(0, len(vanished), _CHUNK):
        lost.extend(
            await session.scalars(
                select(Event)
                .where(Event.source.in_(vanished[start : start + _CHUNK]), Event.removed_at.is_(None))
                .order_by(Event.slug)
            )
        )
    if not lost:
        return result
    reason, detail = _folder_state(folder)
    held = len(lost)
    if reason is None and len(lost) >= guard.min_files:
        # the events the folder held before this change: those still there, plus the ones just lost
        prefix = str(folder).rstrip(os.sep) + os.sep
        held = (
            await session.scalar(
                select(func.count())
                .select_from(Event)
                .where(Event.source.startswith(prefix, autoescape=True), Event.removed_at.is_(None))
            )
            or 0
        )
        held = max(held, len(lost))
        if len(lost) > guard.max_share * held:
            reason = TOO_MANY
    if reason is not None:
        slugs = tuple(e.slug for e in lost)
        result.refused = Refusal(folder, reason, len(lost), held, slugs, guard.max_share, detail)
        return result
    for event in lost:
        event.removed_at = now
        result.removed.append(Removed(event.slug, event.starts_at > now))
        log.debug("%s: its file is gone from %s; marked removed", event.slug, folder)
    return result
