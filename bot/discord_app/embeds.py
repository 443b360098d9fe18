"""Events as Discord embeds: times as Discord timestamps, so each member sees their own zone."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.config import RsvpEmojis
from bot.db.models import Event
from bot.rsvp.counts import RsvpCounts
from bot.schedule.announcement_text import (
    agenda_text,
    announcement_content,
    clip,
    excerpt,
    plain_links,
    rsvp_line,
    timestamp,
    when_text,
    where_text,
)

__all__ = [
    "EMBED_COLOUR",
    "agenda_embed",
    "agenda_text",
    "announcement_embed",
    "event_embed",
    "events_page_embed",
    "excerpt",
    "plain_links",
    "rsvp_line",
    "timestamp",
    "when_text",
    "where_text",
]

EMBED_COLOUR = discord.Colour(0x00ADD8)
_clip = clip


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


def announcement_embed(event: Event, counts: RsvpCounts, emojis: RsvpEmojis) -> discord.Embed:
    """The announcement members RSVP on: kept current by editing it in place."""
    content = announcement_content(event, rsvp_line(counts, emojis, event.capacity))
    embed = discord.Embed(
        title=content.title,
        url=content.url,
        description=content.description,
        colour=discord.Colour.dark_grey() if content.cancelled else EMBED_COLOUR,
    )
    for name, value in content.fields:
        embed.add_field(name=name, value=value, inline=False)
    if content.footer:
        embed.set_footer(text=content.footer)
    return embed
