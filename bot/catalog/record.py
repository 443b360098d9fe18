"""Plain records for one event as read from its file, before it reaches the database."""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

REPORTED_FIELDS = ("membership", "rsvps", "attendance")


@dataclass(frozen=True)
class AgendaItem:
    """One line of an event's agenda; times are aware datetimes in the event's zone."""

    starts_at: datetime
    ends_at: datetime | None
    title: str


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass
class EventRecord:
    """Everything the bot knows about one event, as its file states it.

    `starts_at`/`ends_at` are aware datetimes in the event's zone (`timezone`).
    `reported` holds the totals (`membership`, `rsvps`, `attendance`: int or None);
    `reported_by_group` the per-group parts where the file gives them,
    e.g. {"rsvps": {"StLGo": 9, "Kubernetes & Cloud Native STL": 14}}.
    """

    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    source: str
    title_notes: list[str] = field(default_factory=list)
    online: bool = False
    location: str = ""
    stream_url: str | None = None
    geo: tuple[float, float] | None = None
    presenters: list[str] = field(default_factory=list)
    hosting_groups: list[str] = field(default_factory=list)
    reported: dict[str, int | None] = field(default_factory=lambda: dict.fromkeys(REPORTED_FIELDS))
    reported_by_group: dict[str, dict[str, int]] = field(default_factory=dict)
    agenda: list[AgendaItem] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    sections: dict[str, str] = field(default_factory=dict)
    capacity: int | None = None
    cancelled: bool = False
    warnings: list[str] = field(default_factory=list)
    # the start came from the configured default: no agenda and no time (or "TBD") in the file
    start_is_default: bool = False
    # where values were written (1-based lines), for tools that point at them (`meetup-bot lint`); filled
    # only when parsed with `ParseOptions(locate=True)`, since counting lines costs the importer time.
    # Keys: title, when, time, timezone, where, capacity, rsvps, groups (those the file has)
    lines: dict[str, int] = field(default_factory=dict)
    agenda_lines: list[int | None] = field(default_factory=list)  # one per `agenda` item


@dataclass(frozen=True)
class ParseOptions:
    """What the parser needs from the config: zone, defaults and group names."""

    timezone: str = "America/Chicago"
    default_start: time = time(18, 0)
    default_duration: timedelta = timedelta(minutes=120)
    default_group: str | None = None
    # lower-cased name or alias -> canonical group name
    group_aliases: dict[str, str] = field(default_factory=dict)
    # the configured groups as warnings name them, e.g. "StLGo (St. Louis Go)"; for messages only, so left
    # out of repr (and so of the content hash): they change nothing a file parses to
    known_groups: tuple[str, ...] = field(default=(), repr=False, compare=False)
    # fill EventRecord.lines / agenda_lines (for lint); out of repr like known_groups: it changes no value
    locate: bool = field(default=False, repr=False, compare=False)

    def canonical_group(self, name: str) -> str:
        """The configured name for `name` (case-insensitive, aliases included), else `name` itself."""
        return self.group_aliases.get(name.strip().casefold(), name.strip())

    def is_configured(self, name: str) -> bool:
        """Whether `name` is a configured group or alias; always true for options made without a config
        (no `known_groups`), which cannot tell."""
        return not self.known_groups or name.strip().casefold() in self.group_aliases


class EventFileError(Exception):
    """A file that cannot become an event; `str()` is `path:line: what is wrong`.

    `detail` is the traceback of an unexpected exception behind it, for the log at DEBUG (the user
    sees the one line); it travels with the error from the parsing workers.
    """

    def __init__(self, path: str, line: int | None, message: str, detail: str | None = None) -> None:
        self.path = path
        self.line = line
        self.message = message
        self.detail = detail
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[type[EventFileError], tuple[str, int | None, str, str | None]]:
        return (EventFileError, (self.path, self.line, self.message, self.detail))


class NotAnEvent(Exception):
    """A file in the events folder that holds no event (an index page, say)."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: skipped, {reason}")

    def __reduce__(self) -> tuple[type[NotAnEvent], tuple[str, str]]:
        return (NotAnEvent, (self.path, self.reason))


def unexpected_error(
    source: str, exc: BaseException, what: str, advice: str = "run with -v for the details"
) -> EventFileError:
    """An exception nobody foresaw, for one file: one line for the user, the traceback for the log
    (`meetup-bot -v` shows it), so that the file is reported and the others are imported."""
    text = " ".join(str(exc).split())
    if len(text) > 200:
        text = f"{text[:200]}…"
    message = f"{what} ({type(exc).__name__}: {text}); {advice}"
    return EventFileError(source, None, message, "".join(traceback.format_exception(exc)))
