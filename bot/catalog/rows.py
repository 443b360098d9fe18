"""Events from the database as the JSON the CLI prints."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.db.models import Event


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
