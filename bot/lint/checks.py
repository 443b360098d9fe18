"""The checks, as plain functions over one parsed record (or all of them): each returns the problems found.

The parser already reports, as warnings, what it can see in one file (a weekday that disagrees with the
date, an agenda item that starts before the one above it, an unknown Meta key...); these add what lint is
for: what the bot would do wrong with a file that parses, and what no single file shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from bot.catalog.files import MARKDOWN_SUFFIXES
from bot.catalog.record import EventRecord, ParseOptions
from bot.lint.report import Problem, Severity
from bot.when import clock_time, day_text, plural

__all__ = [
    "AGENDA_GAP",
    "agenda_gaps",
    "capacity_below_rsvps",
    "default_start",
    "duplicate_slugs",
    "parser_warnings",
    "past_date",
    "record_problems",
    "unknown_groups",
]

# an agenda item this long after the one above it was most likely meant before it: times run forward down
# the list, so "7:00 Q&A" then "6:00 Food" reads the food as 6:00 the next morning
AGENDA_GAP = timedelta(hours=6)
_LINE = re.compile(r"line (?P<line>\d+): ")


def _markdown(record: EventRecord) -> bool:
    return Path(record.source).suffix.casefold() in MARKDOWN_SUFFIXES


def parser_warnings(record: EventRecord) -> list[Problem]:
    """The parser's own warnings ("line 7: ..."), each at its line."""
    found: list[Problem] = []
    for warning in record.warnings:
        m = _LINE.match(warning)
        line, message = (int(m["line"]), warning[m.end() :]) if m else (None, warning)
        found.append(Problem(record.source, line, Severity.WARNING, message))
    return found


def unknown_groups(record: EventRecord, options: ParseOptions, *, upcoming: bool) -> list[Problem]:
    """A problem per hosting group the config does not know, when none of the event's groups is known: such
    an event is never announced anywhere. An error for an event still to come; for a past one (a partner
    group's event kept as history) a warning, as the importer gives. (A co-host not on Discord beside a
    configured group is normal.)"""
    if not record.hosting_groups or any(options.is_configured(g) for g in record.hosting_groups):
        return []
    severity = Severity.ERROR if upcoming else Severity.WARNING
    line = record.lines.get("groups") or record.lines.get("rsvps")
    known = ", ".join(options.known_groups)
    return [
        Problem(
            record.source,
            line,
            severity,
            f'hosting group "{name}" is not a configured group (known: {known}), so the event would never '
            "be announced; fix the name or add it to groups[].aliases in the config",
        )
        for name in record.hosting_groups
        if not options.is_configured(name)
    ]


def default_start(record: EventRecord) -> list[Problem]:
    """A warning when the file gives no start time at all: the bot would announce the configured default."""
    if not record.start_is_default:
        return []
    default = clock_time(record.starts_at, record.timezone)
    if _markdown(record):
        how = 'add a row like "| **Time:** | 6:00pm - 8:00pm |" or an agenda under "## Event"'
    else:
        how = 'add e.g. time: "6:00pm - 8:00pm" or an agenda:'
    said = "the Time says nothing definite" if "time" in record.lines else "no Time row"
    return [
        Problem(
            record.source,
            record.lines.get("time") or record.lines.get("when"),
            Severity.WARNING,
            f"no agenda and {said}: the start falls back to the default, {default}; {how}",
        )
    ]


def agenda_gaps(record: EventRecord) -> list[Problem]:
    """A warning for an agenda item placed long after the one above it: the parser reads times down the list
    as running forward, so an item written out of order lands the next morning instead of earlier."""
    found: list[Problem] = []
    lines = record.agenda_lines if len(record.agenda_lines) == len(record.agenda) else []
    for index in range(1, len(record.agenda)):
        before, item = record.agenda[index - 1], record.agenda[index]
        gap = item.starts_at - before.starts_at
        if gap < AGENDA_GAP:
            continue
        starts = clock_time(item.starts_at, record.timezone)
        if item.starts_at.date() != before.starts_at.date():
            starts = f"{starts} the next day"
        hours = plural(int(gap.total_seconds() // 3600), "hour")
        found.append(
            Problem(
                record.source,
                lines[index] if lines else record.lines.get("when"),
                Severity.WARNING,
                f'agenda: "{item.title}" is read as {starts}, {hours} after the item above it (times run '
                "forward down the list); put the items in order, or write am/pm",
            )
        )
    return found


def capacity_below_rsvps(record: EventRecord) -> list[Problem]:
    """An error when the Capacity is lower than the RSVPs the file already records (a group's figure, or the
    total): the bot would put people who already said yes on the waitlist."""
    if record.capacity is None:
        return []
    by_group = record.reported_by_group.get("rsvps", {})
    if by_group:
        group, recorded = max(by_group.items(), key=lambda item: item[1])
        what = f"Total RSVPs for {group}"
    else:
        recorded_total = record.reported.get("rsvps")
        if recorded_total is None:
            return []
        recorded, what = recorded_total, "Total RSVPs"
    if record.capacity >= recorded:
        return []
    return [
        Problem(
            record.source,
            record.lines.get("capacity"),
            Severity.ERROR,
            f"Capacity {record.capacity} is below the {recorded} RSVPs already recorded ({what}); "
            "raise the Capacity or correct the figure",
        )
    ]


def past_date(record: EventRecord, now: datetime) -> list[Problem]:
    """A warning for a NEW file whose event starts before now: an event added for the future with a wrong
    year or month. (The caller applies it to new files only: history files are old on purpose.)"""
    if record.starts_at >= now:
        return []
    when = f"{day_text(record.starts_at, record.timezone)} at {clock_time(record.starts_at, record.timezone)}"
    return [
        Problem(
            record.source,
            record.lines.get("when"),
            Severity.WARNING,
            f"a new file with a past date: the event starts {when}, before now; check the date "
            "(a record of a past event is fine)",
        )
    ]


def duplicate_slugs(claims: Iterable[tuple[str, str, int | None]]) -> list[Problem]:
    """An error on every file whose slug another file also has, naming the other files: the importer would
    take the first and reject the rest. `claims` are (slug, path, line)."""
    by_slug: dict[str, list[tuple[str, int | None]]] = {}
    for slug, path, line in claims:
        by_slug.setdefault(slug, []).append((path, line))
    found: list[Problem] = []
    for slug, files in by_slug.items():
        if len(files) < 2:
            continue
        for path, line in files:
            others = ", ".join(other for other, _ in files if other != path)
            found.append(
                Problem(
                    path,
                    line,
                    Severity.ERROR,
                    f'slug "{slug}" is also the slug of {others}; every event needs its own (the folder '
                    "name for README.md, else the file name): rename one",
                )
            )
    return found


def record_problems(
    record: EventRecord, options: ParseOptions, *, check_groups: bool, now: datetime, is_new: bool
) -> list[Problem]:
    """Every per-file check of one parsed record. The checks of what the bot will announce (start time,
    agenda, capacity) apply to events that have not ended: history files are never announced again."""
    found = parser_warnings(record)
    upcoming = record.ends_at >= now
    if check_groups:
        found += unknown_groups(record, options, upcoming=upcoming)
    if upcoming:  # what the bot will announce; a history file is not held to it
        found += default_start(record)
        found += agenda_gaps(record)
        found += capacity_below_rsvps(record)
    if is_new:
        found += past_date(record, now)
    return found
