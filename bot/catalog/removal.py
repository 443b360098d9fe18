"""Events whose file left an imported folder: marked removed (never deleted), so the bot can post a cancellation.

A cancellation is public and cannot be taken back on Discord, so a folder that looks broken (missing,
unreadable, without any event file, or that lost more than `removal_guard` allows at once) marks nothing
removed: the caller is told why and says so loudly. Files that come back always clear `removed_at`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalog.files import iter_event_files
from bot.catalog.sources import source_file
from bot.config import RemovalGuardConfig
from bot.db.models import Event

log = logging.getLogger(__name__)

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


def _under(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder)
    except (ValueError, OSError):
        return False
    return True


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
    for event_id, slug, source, removed_at, starts_at in rows.all():
        path = source_file(source, base)
        if not _under(path, folder):
            continue
        exists = path.exists()
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
