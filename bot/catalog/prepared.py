"""Parsed records turned into database-ready rows: plain values and UTC times, cheap to pass between processes.

Kept free of SQLAlchemy so that parsing workers start quickly.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.catalog.files import parse_event_text, read_event_text, slug_for
from bot.catalog.limits import INT32, YEAR, shown_number
from bot.catalog.record import EventFileError, EventRecord, NotAnEvent, ParseOptions, unexpected_error
from bot.catalog.sources import stored_source


@dataclass(frozen=True, slots=True)
class PreparedEvent:
    """An event ready for the database: the `events` row and its groups (and warnings, for the report).

    The row is what the database takes without further work, so that the parent process only binds it:
    the JSON columns (`JSON_COLUMNS`) hold their JSON text, encoded here (in the parsing workers), and
    the times are naive UTC. It is also much cheaper to pass between processes than nested values.
    """

    row: dict[str, Any]
    groups: list[str]
    warnings: list[str]
    # the file's path as the user gave it, for messages (the row holds the stored, absolute form)
    given: str | None = None

    @property
    def slug(self) -> str:
        return str(self.row["slug"])

    @property
    def source(self) -> str:
        """The file as the user named it (`events/talk.md`), for messages."""
        return self.given if self.given is not None else self.stored

    @property
    def stored(self) -> str:
        """The file as `events.source` keeps it: absolute, so every later command finds it."""
        return str(self.row["source"])


@dataclass(frozen=True, slots=True)
class Unchanged:
    """A file whose text hash equals the stored event's: not parsed again, its row stays as it is."""

    slug: str
    source: str  # as the user gave it, for messages
    stored: str  # absolute and resolved (bot.catalog.sources.stored_source), as `events.source` keeps it


# The `events` columns a prepared row holds as JSON text (see bot.db.types.JSONText).
JSON_COLUMNS = (
    "title_notes",
    "presenters",
    "links",
    "agenda",
    "sections",
    "reported_by_group",
    "warnings",
)
_encode = json.JSONEncoder().encode  # what json.dumps does with its defaults, minus the call layers
_encode_text = json.encoder.encode_basestring_ascii  # one string, as that encoder writes it


def _json(value: list[Any] | dict[str, Any]) -> str:
    """`_encode(value)`, quicker for the usual values: empty, or a list of strings (names, links)."""
    if not value:
        return "[]" if isinstance(value, list) else "{}"
    if isinstance(value, list) and all(type(item) is str for item in value):
        return f"[{', '.join(map(_encode_text, value))}]"
    return _encode(value)


# Bump when the parser reads the same text differently, so that every event is stored again.
PARSER_VERSION = "1"


def prepare(record: EventRecord, content_hash: str | None = None, stored: str | None = None) -> PreparedEvent:
    """`stored` is the form of the file's path kept in `events.source` (else the record's source as it is)."""
    row = record_to_row(record, content_hash)
    if stored is not None:
        row["source"] = stored
    groups = list(dict.fromkeys(record.hosting_groups))
    problem = unstorable(row, groups)
    if problem is not None:
        raise EventFileError(record.source, None, problem)
    return PreparedEvent(row, groups, list(record.warnings), record.source)


# The `events` columns the database limits, whatever the parsers let through: PostgreSQL's INTEGER is
# 32-bit and its VARCHAR(n) refuses longer text, while SQLite takes anything. Checked per file, so that
# one value cannot fail the batch insert of every file.
_INT_COLUMNS = ("reported_membership", "reported_rsvps", "reported_attendance", "capacity")
_FLOAT_COLUMNS = ("geo_lat", "geo_lon")
_TEXT_COLUMNS = ("slug", "title", "timezone", "location", "stream_url", "source")
_LENGTHS = {"slug": 200, "timezone": 64}
GROUP_NAME_LENGTH = 200


def unstorable(row: dict[str, Any], groups: list[str]) -> str | None:
    """Why the database would refuse this row (or its group names), else None."""
    for column in _INT_COLUMNS:
        value = row[column]
        if value is not None and not INT32.low <= value <= INT32.high:
            return f"{column} {shown_number(str(value))} is out of range; fix the number"
    for column in _FLOAT_COLUMNS:
        number = row[column]
        if number is not None and not math.isfinite(number):
            return f"{column} {number} is not a number the database can store; fix the position"
    for column in ("starts_at", "ends_at"):
        if not YEAR.low <= row[column].year <= YEAR.high:
            return f"{column} {row[column].isoformat()} is out of range ({YEAR.text}); fix the date"
    for column in _TEXT_COLUMNS:
        problem = _text_problem(column, row[column])
        if problem is not None:
            return problem
    for column, most in _LENGTHS.items():
        if len(row[column]) > most:
            return f"the {column} {row[column][:40]!r}… has {len(row[column])} characters, at most {most}" + (
                "; rename the file (or its folder for README.md)" if column == "slug" else ""
            )
    for name in groups:
        problem = _text_problem("Hosting Group", name)
        if problem is not None:
            return problem
        if len(name) > GROUP_NAME_LENGTH:
            return (
                f'Hosting Group "{name[:40]}…" has {len(name)} characters, at most {GROUP_NAME_LENGTH}; '
                "use the group's name or an alias from config.yaml"
            )
    return None


def _text_problem(label: str, text: str | None) -> str | None:
    """A NUL or a lone surrogate (only YAML escapes can write them): no database stores those."""
    if text is None or (text.isascii() and "\0" not in text):
        return None
    if "\0" in text:
        return f"{label} contains a NUL character (\\0); remove it"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return f"{label} contains a character that is not valid Unicode text (a lone surrogate); remove it"
    return None


def text_hash(text: str, options: ParseOptions, prefix: str | None = None) -> str:
    """Identifies what an event's row is made from: the file's text, the parser and the config it used.

    `prefix` is `hash_prefix(options)`, for callers that hash many files with the same options.
    """
    return hashlib.sha256(f"{prefix or hash_prefix(options)}{text}".encode()).hexdigest()


def hash_prefix(options: ParseOptions) -> str:
    return f"{PARSER_VERSION}\0{options!r}\0"


def record_to_row(record: EventRecord, content_hash: str | None = None) -> dict[str, Any]:
    """The `events` columns for a record (without id and timestamps), plus its content hash.

    JSON columns are JSON text and times naive UTC: the values the database is given, ready to bind.
    """
    row: dict[str, Any] = {
        "slug": record.slug,
        "title": record.title,
        "title_notes": _json(record.title_notes),
        "starts_at": record.starts_at.astimezone(UTC).replace(tzinfo=None),
        "ends_at": record.ends_at.astimezone(UTC).replace(tzinfo=None),
        "timezone": record.timezone,
        "online": record.online,
        "location": record.location,
        "stream_url": record.stream_url,
        "geo_lat": record.geo[0] if record.geo else None,
        "geo_lon": record.geo[1] if record.geo else None,
        "presenters": _json(record.presenters),
        "links": _json(record.links),
        "agenda": _json(
            [
                {
                    "starts_at": item.starts_at.isoformat(),
                    "ends_at": item.ends_at.isoformat() if item.ends_at else None,
                    "title": item.title,
                }
                for item in record.agenda
            ]
        ),
        "sections": _json(record.sections),
        "reported_membership": record.reported.get("membership"),
        "reported_rsvps": record.reported.get("rsvps"),
        "reported_attendance": record.reported.get("attendance"),
        "reported_by_group": _json(record.reported_by_group),
        "capacity": record.capacity,
        "cancelled": record.cancelled,
        "source": record.source,
        "warnings": _json(record.warnings),
    }
    row["content_hash"] = content_hash or _content_hash(row, record.hosting_groups)
    return row


def _content_hash(row: dict[str, Any], groups: list[str]) -> str:
    payload = json.dumps([row, groups], sort_keys=True, default=_json_default, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


Outcome = PreparedEvent | Unchanged | NotAnEvent | EventFileError


def load_all(
    files: list[Path], options: ParseOptions, stored: Mapping[str, str] | None = None
) -> list[Outcome]:
    """Parse files in order; each becomes a prepared row, a skip notice or an error (runs in workers too).

    `stored` maps slugs to the content hashes already in the database: a file whose text hashes the
    same is not parsed again and becomes `Unchanged` (the hash covers the text, the parser version and
    the options, so parsing it would give the stored row).
    """
    outcomes: list[Outcome] = []
    prefix = hash_prefix(options)
    folders: dict[str, str] = {}
    for path in files:
        try:
            text = read_event_text(path)
            digest = text_hash(text, options, prefix)
            if stored:
                slug = slug_for(path)
                if stored.get(slug) == digest:
                    outcomes.append(Unchanged(slug, str(path), _stored_source(path, folders)))
                    continue
            record = parse_event_text(path, text, options)
            outcomes.append(prepare(record, digest, _stored_source(path, folders)))
        except (NotAnEvent, EventFileError) as problem:
            outcomes.append(problem)
        except Exception as exc:  # one odd file must never stop the others
            outcomes.append(unexpected_error(str(path), exc, "could not be imported"))
    return outcomes


_PLAIN_NAMES = os.sep == "/" and os.altsep is None  # the quick way below knows POSIX paths only


def _stored_source(path: Path, folders: dict[str, str]) -> str:
    """`stored_source(path)` for a file that was just read, quicker for `FOLDER/SLUG/README.md`.

    Resolving follows every name of the path with an lstat (Python code, the largest cost per file after
    parsing). The files of a batch mostly share FOLDER: it is resolved once per batch (in `folders`, a
    resolved FOLDER with a trailing separator), and only SLUG and README.md are looked at; when either is
    a symlink, or the path has another shape, stored_source does it all.
    """
    text = str(path)
    folder, _, name = text.rpartition("/")
    top, _, sub = folder.rpartition("/")
    if _PLAIN_NAMES and top and sub and sub != ".." and name and name != "..":
        prefix = folders.get(top)
        if prefix is None:
            resolved = stored_source(Path(top))
            prefix = folders[top] = resolved if resolved.endswith("/") else f"{resolved}/"
        inner = f"{prefix}{sub}"
        if not _is_symlink(inner):
            full = f"{inner}/{name}"
            if not _is_symlink(full):
                return full
    return stored_source(path)


def _is_symlink(path: str) -> bool:
    """As resolving sees a name: a symlink to follow, or not (also when it cannot be looked at)."""
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False
