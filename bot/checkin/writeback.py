"""Write an event's Total RSVPs / Total Attendance back into its markdown file, touching only those cells.

Every other byte of the file stays as it was (line endings, spacing, the rest of the table). A row that
lists groups ("StLGo: 9, KCN-STL: 14") keeps its groups, labels and order; other rows get the total.
A missing row is added after the last row of the Meta table, in the style of the row above it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

# | **Total RSVPs:** | 23 |   (the value cell is group "value"; everything around it is kept)
_ROW = r"^(?P<head>[ \t]*\|[ \t]*(?:\*\*|__)?[ \t]*{key}[ \t]*:?[ \t]*(?:\*\*|__)?[ \t]*:?[ \t]*\|[ \t]*)(?P<value>[^|\r\n]*?)(?P<tail>[ \t]*\|?[ \t]*)\r?$"
_KEYS = {"rsvps": r"Total[ \t]+RSVPs?", "attendance": r"Total[ \t]+Attendance"}
_LABELS = {"rsvps": "Total RSVPs", "attendance": "Total Attendance"}
_META = re.compile(r"^##[ \t]+Meta\b.*$", re.MULTILINE | re.IGNORECASE)
_HEADING = re.compile(r"^#{1,6}[ \t]", re.MULTILINE)
_TABLE_ROW = re.compile(r"^[ \t]*\|[^\r\n]*", re.MULTILINE)
_PART = re.compile(r"^\s*(?P<name>[^:,]+?)\s*:\s*(?P<n>[^,]*?)\s*$")


@dataclass(frozen=True)
class Totals:
    total: int
    by_group: Mapping[str, int] = field(default_factory=dict)


class WriteBackError(Exception):
    """The file has no Meta table to write into."""


def _value(current: str, totals: Totals, canonical: Callable[[str], str]) -> str:
    parts = [p for p in current.split(",")] if ":" in current else []
    matches = [_PART.match(p) for p in parts]
    if parts and all(matches):
        written = []
        for m in matches:
            assert m is not None
            name = m["name"]
            written.append(f"{name}: {totals.by_group.get(canonical(name), 0)}")
        return ", ".join(written)
    return str(totals.total)


def _meta_span(text: str) -> tuple[int, int]:
    meta = _META.search(text)
    if meta is None:
        raise WriteBackError("the file has no `## Meta` table to write the totals into")
    following = _HEADING.search(text, meta.end())
    return meta.end(), following.start() if following else len(text)


def rewrite(text: str, values: Mapping[str, Totals], canonical: Callable[[str], str]) -> str:
    """`text` with the value cells of the rows in `values` ("rsvps", "attendance") replaced."""
    for key, totals in values.items():
        start, end = _meta_span(text)
        pattern = re.compile(_ROW.format(key=_KEYS[key]), re.MULTILINE | re.IGNORECASE)
        found = pattern.search(text, start, end)
        if found is not None:
            value = _value(found["value"], totals, canonical)
            text = text[: found.start("value")] + value + text[found.end("value") :]
            continue
        rows = list(_TABLE_ROW.finditer(text, start, end))
        if not rows:
            raise WriteBackError("the Meta section has no table rows to add the totals to")
        last = rows[-1]
        newline = "\r\n" if text[last.end() : last.end() + 2] == "\r\n" else "\n"
        line = f"| **{_LABELS[key]}:** | {totals.total} |"
        at = last.end()
        if text[at : at + len(newline)] == newline:
            text = text[: at + len(newline)] + line + newline + text[at + len(newline) :]
        else:
            text = text[:at] + newline + line + text[at:]
    return text


def write_back(path: Path, values: Mapping[str, Totals], canonical: Callable[[str], str]) -> bool:
    """Rewrites the file in place (bytes in, bytes out); returns whether anything changed."""
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw[3 if bom else 0 :].decode("utf-8")
    new = rewrite(text, values, canonical)
    if new == text:
        return False
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + new.encode("utf-8"))
    return True
