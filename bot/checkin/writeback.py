"""Write an event's Total RSVPs / Total Attendance back into its markdown file, touching only those cells.

Every other byte of the file stays as it was (line endings, spacing, the rest of the table). A row that
lists groups ("StLGo: 9, KCN-STL: 14") keeps its groups, labels and order; other rows get the total.
A missing row is added after the last row of the Meta table, in the style of the row above it.

The file is the organizers' record, so the bot only adds to it: it writes a figure it has recorded itself
(RSVPs it took, check-ins) once the event is over, fills unknown cells (`???`) and raises lower figures, and
keeps a figure it would lower or a cell that is not a plain number unless it is forced to replace them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalog.markdown import is_unknown
from bot.checkin.attendance import attendance
from bot.db.models import Event
from bot.errors import UserError
from bot.when import when_text

# | **Total RSVPs:** | 23 |   (the value cell is group "value"; everything around it is kept)
_ROW = r"^(?P<head>[ \t]*\|[ \t]*(?:\*\*|__)?[ \t]*{key}[ \t]*:?[ \t]*(?:\*\*|__)?[ \t]*:?[ \t]*\|[ \t]*)(?P<value>[^|\r\n]*?)(?P<tail>[ \t]*\|?[ \t]*)\r?$"
_KEYS = {"rsvps": r"Total[ \t]+RSVPs?", "attendance": r"Total[ \t]+Attendance"}
LABELS = {"rsvps": "Total RSVPs", "attendance": "Total Attendance"}
_META = re.compile(r"^##[ \t]+Meta\b.*$", re.MULTILINE | re.IGNORECASE)
_HEADING = re.compile(r"^#{1,6}[ \t]", re.MULTILINE)
_TABLE_ROW = re.compile(r"^[ \t]*\|[^\r\n]*", re.MULTILINE)
# one "name: value" part of a per-group cell; the spacing around the value is kept
_PART = re.compile(r"^(?P<name>\s*(?P<bare>[^:,]+?)\s*:\s*)(?P<n>[^,]*?)(?P<trail>\s*)$")


@dataclass(frozen=True)
class Totals:
    total: int
    by_group: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Kept:
    """A figure the file already had that the bot did not replace: it would have lowered it, or the cell
    says more than a number ("9 YouTube, 2 Twitch"). `label` is "Total RSVPs" or "Total RSVPs (KCN-STL)"."""

    label: str
    written: str
    recorded: int


@dataclass(frozen=True)
class Merged:
    """The file's text with the bot's figures in it, the figures kept, and whether the text changed."""

    text: str
    kept: list[Kept]
    changed: bool


class WriteBackError(Exception):
    """The file has no Meta table to write into."""


class NotEndedYet(UserError):
    def __init__(self, event: Event, now: datetime) -> None:
        super().__init__(
            f"{event.slug} has not ended yet (ends {when_text(event.ends_at, event.timezone, now)}); "
            "totals are written after the event"
        )


class NothingRecorded(UserError):
    def __init__(self, slug: str) -> None:
        super().__init__(f"the bot has recorded no RSVPs or check-ins for {slug}; nothing to write")


async def recorded_totals(session: AsyncSession, event: Event, now: datetime) -> dict[str, Totals]:
    """The figures the bot itself recorded for an event that has ended, by key ("rsvps", "attendance").

    Total RSVPs (going RSVPs) only if the bot took RSVPs for it, Total Attendance (everybody checked in,
    walk-ins and guests included) only if anybody was checked in; per group, only the groups with data.
    NotEndedYet before the end, NothingRecorded when the bot has neither.
    """
    if event.ends_at > now:
        raise NotEndedYet(event, now)
    figures = await attendance(session, event, now)
    values: dict[str, Totals] = {}
    if figures.total.answered:
        groups = {g: f.going for g, f in figures.by_group.items() if f.answered}
        values["rsvps"] = Totals(figures.total.going, groups)
    if figures.total.present > 0:
        groups = {g: f.present for g, f in figures.by_group.items() if f.present > 0}
        values["attendance"] = Totals(figures.total.present, groups)
    if not values:
        raise NothingRecorded(event.slug)
    return values


def _figure(label: str, written: str, recorded: int, force: bool, kept: list[Kept]) -> str:
    """What a cell (or a group's part of one) says after the write: the bot's figure where the cell is
    unknown or a lower plain number (or with `force`); else what it says, noted in `kept`."""
    text = written.strip()
    if is_unknown(text):
        return str(recorded)
    if text.isdigit() and int(text) == recorded:
        return written
    if force or (text.isdigit() and int(text) < recorded):
        return str(recorded)
    kept.append(Kept(label, text, recorded))
    return written


def _value(
    label: str,
    current: str,
    totals: Totals,
    canonical: Callable[[str], str],
    force: bool,
    kept: list[Kept],
) -> str:
    parts = current.split(",") if ":" in current else []
    matches = [_PART.match(p) for p in parts]
    if parts and all(matches):
        written = []
        for m in matches:
            assert m is not None
            recorded = totals.by_group.get(canonical(m["bare"]))
            if recorded is None:  # the bot has no data for this group: its value stays
                written.append(m.string)
                continue
            value = _figure(f"{label} ({m['bare']})", m["n"], recorded, force, kept)
            written.append(f"{m['name']}{value}{m['trail']}")
        return ",".join(written)
    return _figure(label, current, totals.total, force, kept)


def _meta_span(text: str) -> tuple[int, int]:
    meta = _META.search(text)
    if meta is None:
        raise WriteBackError("the file has no `## Meta` table to write the totals into")
    following = _HEADING.search(text, meta.end())
    return meta.end(), following.start() if following else len(text)


def merge(
    text: str, values: Mapping[str, Totals], canonical: Callable[[str], str], *, force: bool = False
) -> Merged:
    """`text` with the value cells of the rows in `values` ("rsvps", "attendance") written by the rules above;
    `force` replaces figures the bot would otherwise keep."""
    original = text
    kept: list[Kept] = []
    for key, totals in values.items():
        start, end = _meta_span(text)
        pattern = re.compile(_ROW.format(key=_KEYS[key]), re.MULTILINE | re.IGNORECASE)
        found = pattern.search(text, start, end)
        if found is not None:
            value = _value(LABELS[key], found["value"], totals, canonical, force, kept)
            text = text[: found.start("value")] + value + text[found.end("value") :]
            continue
        rows = list(_TABLE_ROW.finditer(text, start, end))
        if not rows:
            raise WriteBackError("the Meta section has no table rows to add the totals to")
        last = rows[-1]
        newline = "\r\n" if text[last.end() : last.end() + 2] == "\r\n" else "\n"
        line = f"| **{LABELS[key]}:** | {totals.total} |"
        at = last.end()
        if text[at : at + len(newline)] == newline:
            text = text[: at + len(newline)] + line + newline + text[at + len(newline) :]
        else:
            text = text[:at] + newline + line + text[at:]
    return Merged(text, kept, text != original)


def rewrite(
    text: str, values: Mapping[str, Totals], canonical: Callable[[str], str], *, force: bool = False
) -> str:
    """`merge`'s text alone."""
    return merge(text, values, canonical, force=force).text


def write_back(
    path: Path, values: Mapping[str, Totals], canonical: Callable[[str], str], *, force: bool = False
) -> Merged:
    """Rewrites the file in place (bytes in, bytes out) when anything changes."""
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    merged = merge(raw[3 if bom else 0 :].decode("utf-8"), values, canonical, force=force)
    if merged.changed:
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + merged.text.encode("utf-8"))
    return merged
