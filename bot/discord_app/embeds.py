"""Events as Discord embeds: times as Discord timestamps, so each member sees their own zone."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

import discord

from bot.config import RsvpEmojis
from bot.db.models import Event
from bot.rsvp.counts import RsvpCounts

EMBED_COLOUR = discord.Colour(0x00ADD8)
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def timestamp(when: datetime, style: str = "F") -> str:
    """A Discord timestamp tag: rendered in the reader's own time zone and language."""
    return f"<t:{int(when.timestamp())}:{style}>"


def when_text(event: Event) -> str:
    return f"{timestamp(event.starts_at, 'F')} – {timestamp(event.ends_at, 't')} ({timestamp(event.starts_at, 'R')})"


def where_text(event: Event) -> str:
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


def agenda_text(event: Event) -> str:
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


def _clip(text: str, limit: int = 1024) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def event_embed(event: Event, *, going: int | None = None, maybe: int | None = None) -> discord.Embed:
    """The full picture of one event, as /next-event and /event show it."""
    embed = discord.Embed(
        title=_clip(event.title + (" (cancelled)" if event.cancelled else ""), 256),
        url=event.links[0] if event.links else None,
        description=_clip(excerpt(event.sections.get("Presentation", "")), 4096) or None,
        colour=EMBED_COLOUR,
    )
    embed.add_field(name="When", value=when_text(event), inline=False)
    embed.add_field(name="Where", value=_clip(where_text(event)), inline=False)
    if event.presenters:
        embed.add_field(name="Presenters", value=_clip(", ".join(event.presenters)), inline=False)
    if event.agenda:
        embed.add_field(name="Agenda", value=_clip(agenda_text(event)), inline=False)
    if event.links:
        embed.add_field(name="Links", value=_clip("\n".join(event.links)), inline=False)
    if going is not None:
        rsvp = f"{going} going" + (f", {maybe} maybe" if maybe else "")
        if event.capacity:
            rsvp += f" (capacity {event.capacity})"
        embed.add_field(name="RSVPs", value=rsvp, inline=False)
    if event.hosting_groups:
        embed.set_footer(text=" · ".join(event.hosting_groups) + f" · {event.slug}")
    return embed


def events_page_embed(events: Sequence[Event], page: int, pages: int, group: str) -> discord.Embed:
    embed = discord.Embed(title=f"Upcoming events · {group}", colour=EMBED_COLOUR)
    for event in events:
        where = "online" if event.online else (event.location.split(",")[0] or "venue to be announced")
        embed.add_field(
            name=_clip(event.title, 256),
            value=f"{timestamp(event.starts_at, 'F')} ({timestamp(event.starts_at, 'R')}) · {where}\n`{event.slug}`",
            inline=False,
        )
    embed.set_footer(
        text=f"Page {page} of {pages}" + (f" · /events page:{page + 1} for more" if page < pages else "")
    )
    return embed


def agenda_embed(event: Event) -> discord.Embed:
    embed = discord.Embed(title=f"Agenda · {event.title}", colour=EMBED_COLOUR, description=when_text(event))
    embed.add_field(
        name="Agenda",
        value=_clip(agenda_text(event) or "No agenda was published for this event."),
        inline=False,
    )
    return embed


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


def announcement_embed(event: Event, counts: RsvpCounts, emojis: RsvpEmojis) -> discord.Embed:
    """The announcement members RSVP on: kept current by editing it in place."""
    cancelled = event.cancelled or event.removed_at is not None
    embed = discord.Embed(
        title=_clip(("Cancelled: " if cancelled else "") + event.title, 256),
        url=event.links[0] if event.links else None,
        description=_clip(excerpt(event.sections.get("Presentation", "")), 4096) or None,
        colour=discord.Colour.dark_grey() if cancelled else EMBED_COLOUR,
    )
    embed.add_field(name="When", value=when_text(event), inline=False)
    embed.add_field(name="Where", value=_clip(where_text(event)), inline=False)
    if event.presenters:
        embed.add_field(name="Presenters", value=_clip(", ".join(event.presenters)), inline=False)
    if event.agenda:
        embed.add_field(name="Agenda", value=_clip(agenda_text(event)), inline=False)
    sponsors = event.sections.get("Sponsors", "").strip()
    if sponsors:
        embed.add_field(name="Sponsors", value=_clip(excerpt(sponsors, 600)), inline=False)
    if event.links:
        embed.add_field(name="Links", value=_clip("\n".join(event.links)), inline=False)
    if not cancelled:
        embed.add_field(name="RSVP", value=_clip(rsvp_line(counts, emojis, event.capacity)), inline=False)
    if event.hosting_groups:
        embed.set_footer(text=" · ".join(event.hosting_groups) + f" · {event.slug}")
    return embed
