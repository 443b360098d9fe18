"""Parsed records turned into database-ready rows: plain values and UTC times, cheap to pass between processes.

Kept free of SQLAlchemy so that parsing workers start quickly.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.catalog.files import parse_event_text, read_event_text
from bot.catalog.record import EventFileError, EventRecord, NotAnEvent, ParseOptions


@dataclass(frozen=True)
class PreparedEvent:
    """An event ready for the database: the `events` row (plain values, UTC times) and its groups."""

    row: dict[str, Any]
    groups: list[str]

    @property
    def slug(self) -> str:
        return str(self.row["slug"])

    @property
    def source(self) -> str:
        return str(self.row["source"])


# Bump when the parser reads the same text differently, so that every event is stored again.
PARSER_VERSION = "1"


def prepare(record: EventRecord, content_hash: str | None = None) -> PreparedEvent:
    return PreparedEvent(record_to_row(record, content_hash), list(dict.fromkeys(record.hosting_groups)))


def text_hash(text: str, options: ParseOptions) -> str:
    """Identifies what an event's row is made from: the file's text, the parser and the config it used."""
    return hashlib.sha256(f"{PARSER_VERSION}\0{options!r}\0{text}".encode()).hexdigest()


def record_to_row(record: EventRecord, content_hash: str | None = None) -> dict[str, Any]:
    """The `events` columns for a record (without id and timestamps), plus its content hash."""
    row: dict[str, Any] = {
        "slug": record.slug,
        "title": record.title,
        "title_notes": list(record.title_notes),
        "starts_at": record.starts_at.astimezone(UTC),
        "ends_at": record.ends_at.astimezone(UTC),
        "timezone": record.timezone,
        "online": record.online,
        "location": record.location,
        "stream_url": record.stream_url,
        "geo_lat": record.geo[0] if record.geo else None,
        "geo_lon": record.geo[1] if record.geo else None,
        "presenters": list(record.presenters),
        "links": list(record.links),
        "agenda": [
            {
                "starts_at": item.starts_at.isoformat(),
                "ends_at": item.ends_at.isoformat() if item.ends_at else None,
                "title": item.title,
            }
            for item in record.agenda
        ],
        "sections": dict(record.sections),
        "reported_membership": record.reported.get("membership"),
        "reported_rsvps": record.reported.get("rsvps"),
        "reported_attendance": record.reported.get("attendance"),
        "reported_by_group": {k: dict(v) for k, v in record.reported_by_group.items()},
        "capacity": record.capacity,
        "cancelled": record.cancelled,
        "source": record.source,
        "warnings": list(record.warnings),
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


Outcome = PreparedEvent | NotAnEvent | EventFileError


def load_all(files: list[Path], options: ParseOptions) -> list[Outcome]:
    """Parse files in order; each becomes a prepared row, a skip notice or an error (runs in workers too)."""
    outcomes: list[Outcome] = []
    for path in files:
        try:
            text = read_event_text(path)
            outcomes.append(prepare(parse_event_text(path, text, options), text_hash(text, options)))
        except (NotAnEvent, EventFileError) as problem:
            outcomes.append(problem)
    return outcomes
