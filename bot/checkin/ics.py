"""An iCalendar (RFC 5545) feed of events, written by hand: CRLF lines folded at 75 octets, text escaped."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from bot.db.models import Event

PRODID = "-//meetup-bot//events//EN"


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets go on as continuation lines starting with a space (never splitting UTF-8)."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    out, current, limit = [], b"", 75
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > limit:
            out.append(current.decode("utf-8"))
            current, limit = b"", 74  # the leading space counts
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def _utc(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _url(event: Event) -> str | None:
    for link in event.links or []:
        if isinstance(link, dict) and str(link.get("url", "")).startswith("http"):
            return str(link["url"])
        if isinstance(link, str) and link.startswith("http"):
            return link
    return event.stream_url


def _description(event: Event) -> str:
    parts = []
    if event.presenters:
        parts.append("Presenters: " + ", ".join(str(p) for p in event.presenters))
    if event.hosting_groups:
        parts.append("Hosted by " + ", ".join(event.hosting_groups))
    if event.stream_url:
        parts.append(f"Stream: {event.stream_url}")
    return "\n".join(parts)


def calendar(events: Iterable[Event], now: datetime, name: str = "Meetups") -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.slug}@meetup-bot",
            f"DTSTAMP:{_utc(now)}",
            f"DTSTART:{_utc(event.starts_at)}",
            f"DTEND:{_utc(event.ends_at)}",
            f"SUMMARY:{_escape(event.title)}",
        ]
        location = "Online" if event.online and not event.location else event.location
        if location:
            lines.append(f"LOCATION:{_escape(location)}")
        description = _description(event)
        if description:
            lines.append(f"DESCRIPTION:{_escape(description)}")
        url = _url(event)
        if url:
            lines.append(f"URL:{url}")
        lines.append("STATUS:CANCELLED" if event.cancelled else "STATUS:CONFIRMED")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)
