"""Conversions between parsed EventRecords, database rows and the JSON the CLI prints."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.catalog.record import EventRecord
from bot.db.models import Event


def record_to_row(record: EventRecord) -> dict[str, Any]:
    """The `events` columns for a record (without id and timestamps), plus its content hash."""
    row: dict[str, Any] = {
        "slug": record.slug,
        "title": record.title,
        "title_notes": list(record.title_notes),
        "starts_at": record.starts_at,
        "ends_at": record.ends_at,
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
    row["content_hash"] = _content_hash(row, record.hosting_groups)
    return row


def _content_hash(row: dict[str, Any], groups: list[str]) -> str:
    payload = json.dumps([row, groups], sort_keys=True, default=_json_default, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def local(event: Event, when: datetime) -> datetime:
    """`when` in the event's own zone."""
    return when.astimezone(ZoneInfo(event.timezone))


def event_to_json(event: Event) -> dict[str, Any]:
    """The public JSON shape of an event (`meetup-bot events --json`)."""
    return {
        "slug": event.slug,
        "title": event.title,
        "title_notes": event.title_notes,
        "starts_at": local(event, event.starts_at).isoformat(),
        "ends_at": local(event, event.ends_at).isoformat(),
        "timezone": event.timezone,
        "online": event.online,
        "location": event.location,
        "stream_url": event.stream_url,
        "geo": [event.geo_lat, event.geo_lon] if event.geo_lat is not None else None,
        "presenters": event.presenters,
        "hosting_groups": event.hosting_groups,
        "reported": {
            "membership": event.reported_membership,
            "rsvps": event.reported_rsvps,
            "attendance": event.reported_attendance,
        },
        "reported_by_group": event.reported_by_group,
        "agenda": event.agenda,
        "links": event.links,
        "capacity": event.capacity,
        "cancelled": event.cancelled,
        "source": event.source,
        "warnings": event.warnings,
    }
