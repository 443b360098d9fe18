"""Dates and times as the bot writes them for people: in the event's zone, naming the day."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def _zone(zone: ZoneInfo | str) -> ZoneInfo:
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)


def clock_time(moment: datetime, zone: ZoneInfo | str) -> str:
    """`6:00 PM CST`: the time of day in `zone`, with the zone's abbreviation."""
    local = moment.astimezone(_zone(zone))
    return f"{local:%I:%M %p %Z}".lstrip("0")


def day_text(moment: datetime, zone: ZoneInfo | str) -> str:
    """`Wed, Jan 20, 2027`: the calendar day in `zone` (never the UTC day)."""
    local = moment.astimezone(_zone(zone))
    return f"{local:%a, %b} {local.day}, {local.year}"


def when_text(moment: datetime, zone: ZoneInfo | str, now: datetime) -> str:
    """`today at 6:00 PM CST`, `tomorrow at ...`, else `Wed, Jan 20, 2027 at 6:00 PM CST`.

    A time that is not today always names its date, so a message never leaves the reader guessing which day.
    """
    tz = _zone(zone)
    day = moment.astimezone(tz).date()
    today = now.astimezone(tz).date()
    if day == today:
        label = "today"
    elif (day - today).days == 1:
        label = "tomorrow"
    elif (day - today).days == -1:
        label = "yesterday"
    else:
        label = day_text(moment, tz)
    return f"{label} at {clock_time(moment, tz)}"


def iso_day(moment: datetime, zone: ZoneInfo | str) -> str:
    """`2027-01-20`: the ISO date of the local day in `zone` (for labels and tables)."""
    return moment.astimezone(_zone(zone)).date().isoformat()


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`1 guest`, `2 guests`, `1 person`, `3 people` (pass the plural when it is not singular + s)."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"
