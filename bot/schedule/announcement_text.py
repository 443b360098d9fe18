"""What an announcement says, without Discord: the embed and the pull-request preview show the same text.

Times are Discord timestamp tags (`<t:SECONDS:F>`), so each member sees their own zone; the preview turns
them into the event's zone. Values are cut to Discord's embed limits here, so the preview shows what
members will see.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.config import RsvpEmojis
from bot.rsvp.counts import RsvpCounts

_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_LIMIT = 1024


class ShownEvent(Protocol):
    """The parts of an event an announcement shows: an `events` row, or a parsed file's view of one."""

    @property
    def slug(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def online(self) -> bool: ...
    @property
    def location(self) -> str: ...
    @property
    def stream_url(self) -> str | None: ...
    @property
    def geo_lat(self) -> float | None: ...
    @property
    def geo_lon(self) -> float | None: ...
    @property
    def presenters(self) -> Sequence[Any]: ...
    @property
    def links(self) -> Sequence[Any]: ...
    @property
    def agenda(self) -> Sequence[Mapping[str, Any]]: ...
    @property
    def sections(self) -> Mapping[str, Any]: ...
    @property
    def capacity(self) -> int | None: ...
    @property
    def cancelled(self) -> bool: ...
    @property
    def removed_at(self) -> datetime | None: ...
    @property
    def hosting_groups(self) -> Sequence[str]: ...


def timestamp(when: datetime, style: str = "F") -> str:
    """A Discord timestamp tag: rendered in the reader's own time zone and language."""
    return f"<t:{int(when.timestamp())}:{style}>"


def clip(text: str, limit: int = FIELD_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def when_text(event: ShownEvent) -> str:
    return f"{timestamp(event.starts_at, 'F')} – {timestamp(event.ends_at, 't')} ({timestamp(event.starts_at, 'R')})"


def where_text(event: ShownEvent) -> str:
    if event.online:
        return (
            f"Online: {event.stream_url}"
            if event.stream_url
            else f"Online ({event.location or 'link to follow'})"
        )
    text = event.location or "Venue to be announced"
    if event.geo_lat is not None and event.geo_lon is not None:
        text += f"\n[Map](https://www.openstreetmap.org/?mlat={event.geo_lat}&mlon={event.geo_lon}&zoom=17)"
    return text


def agenda_text(event: ShownEvent) -> str:
    lines = []
    for item in event.agenda:
        start = timestamp(datetime.fromisoformat(item["starts_at"]), "t")
        end = f"–{timestamp(datetime.fromisoformat(item['ends_at']), 't')}" if item.get("ends_at") else ""
        lines.append(f"{start}{end} {item['title']}")
    return "\n".join(lines)


def excerpt(markdown: str, limit: int = 300) -> str:
    """The first paragraph of a section, cut at a word boundary."""
    paragraph = markdown.strip().split("\n\n", 1)[0].strip()
    if len(paragraph) <= limit:
        return paragraph
    return paragraph[:limit].rsplit(" ", 1)[0] + "…"


def plain_links(markdown: str) -> str:
    """Markdown links reduced to `text (url)` for places that do not render them."""
    return _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", markdown)


def rsvp_line(counts: RsvpCounts, emojis: RsvpEmojis, capacity: int | None) -> str:
    """How to answer, and where the answers stand."""
    line = f"React {emojis.going} going · {emojis.maybe} maybe · {emojis.not_going} can't make it"
    figures = f"{counts.going} going" + (f", {counts.maybe} maybe" if counts.maybe else "")
    if capacity:
        figures += f" · {max(capacity - counts.going, 0)} of {capacity} places left"
    if counts.waitlist:
        figures += f" · {counts.waitlist} on the waitlist"
    return f"{line} — {figures}"


@dataclass(frozen=True)
class AnnouncementContent:
    """An announcement's text parts in the order members see them; `fields` are (name, value) pairs."""

    title: str
    url: str | None
    description: str | None
    fields: tuple[tuple[str, str], ...]
    footer: str | None
    cancelled: bool


def announcement_content(event: ShownEvent, rsvp: str | None) -> AnnouncementContent:
    """The announcement members RSVP on; `rsvp` is the RSVP line (left out once the event is called off)."""
    cancelled = event.cancelled or event.removed_at is not None
    fields: list[tuple[str, str]] = [("When", when_text(event)), ("Where", clip(where_text(event)))]
    if event.presenters:
        fields.append(("Presenters", clip(", ".join(event.presenters))))
    if event.agenda:
        fields.append(("Agenda", clip(agenda_text(event))))
    sponsors = str(event.sections.get("Sponsors", "")).strip()
    if sponsors:
        fields.append(("Sponsors", clip(excerpt(sponsors, 600))))
    if event.links:
        fields.append(("Links", clip("\n".join(event.links))))
    if not cancelled and rsvp is not None:
        fields.append(("RSVP", clip(rsvp)))
    return AnnouncementContent(
        title=clip(("Cancelled: " if cancelled else "") + event.title, TITLE_LIMIT),
        url=event.links[0] if event.links else None,
        description=clip(excerpt(str(event.sections.get("Presentation", ""))), DESCRIPTION_LIMIT) or None,
        fields=tuple(fields),
        footer=" · ".join(event.hosting_groups) + f" · {event.slug}" if event.hosting_groups else None,
        cancelled=cancelled,
    )
