"""Which Discord messages are RSVP-able: the announcement rows of the Post ledger, and the counts they show.

After each successful RSVP edit the figures it showed are kept in the post's snapshot (`rsvp_shown`), so at
start-up the bot knows, without fetching a message, which announcements show other counts than the database's
(an edit lost to a kill or an outage) and edits only those. A post without the key (never edited for RSVPs, or
edited by an older version) counts as stale: one edit brings it in line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Event, Post
from bot.rsvp.counts import RsvpCounts, rsvp_counts

ANNOUNCEMENT = "announcement"
SENT = "sent"
SHOWN = "rsvp_shown"


@dataclass(frozen=True)
class Announcement:
    """One group's announcement message of one event."""

    event_id: int
    group_name: str
    guild_id: int
    channel_id: int
    message_id: int


def _of(post: Post) -> Announcement:
    assert post.discord_id is not None
    return Announcement(post.event_id, post.group_name, post.guild_id, post.channel_id, post.discord_id)


async def announcement_for_message(session: AsyncSession, message_id: int) -> Announcement | None:
    """The announcement a message is, or None for any other message."""
    found = (
        await session.execute(
            select(Post.event_id, Post.group_name, Post.guild_id, Post.channel_id)
            .where(Post.discord_id == message_id, Post.kind == ANNOUNCEMENT)
            .limit(1)
        )
    ).first()
    if found is None:
        return None
    event_id, group_name, guild_id, channel_id = found
    return Announcement(event_id, group_name, guild_id, channel_id, message_id)


async def announcements_of_event(session: AsyncSession, event_id: int) -> list[Announcement]:
    posts = await session.scalars(
        select(Post)
        .where(Post.event_id == event_id, Post.kind == ANNOUNCEMENT, Post.discord_id.is_not(None))
        .order_by(Post.id)
    )
    return [_of(p) for p in posts]


async def upcoming_announcements(session: AsyncSession, now: datetime) -> Sequence[Announcement]:
    """Announcements of events still open for RSVPs (not ended, not cancelled), for reconciliation."""
    rows = await session.execute(
        select(Post.event_id, Post.group_name, Post.guild_id, Post.channel_id, Post.discord_id)
        .join(Event, Event.id == Post.event_id)
        .where(
            Post.kind == ANNOUNCEMENT,
            Post.discord_id.is_not(None),
            Event.ends_at > now,
            Event.cancelled.is_(False),
        )
        .order_by(Post.event_id, Post.id)
    )
    return [
        Announcement(event_id, group_name, guild_id, channel_id, discord_id)
        for event_id, group_name, guild_id, channel_id, discord_id in rows
        if discord_id is not None
    ]


def shown_figures(counts: RsvpCounts, capacity: int | None) -> dict[str, Any]:
    """What an announcement's RSVP line depends on: the counts it shows and the capacity it shows them against."""
    return {"going": counts.going, "maybe": counts.maybe, "waitlist": counts.waitlist, "capacity": capacity}


async def record_shown(session: AsyncSession, post_id: int, figures: dict[str, Any]) -> None:
    """After an edit landed: the announcement now shows `figures` (the other snapshot keys are kept)."""
    # lock the row first (on SQLite: the write lock), so the read-modify-write of the JSON loses no other key
    lock = update(Post).where(Post.id == post_id).values(snapshot=Post.snapshot)
    await session.execute(lock.execution_options(synchronize_session=False))
    post = await session.get(Post, post_id, populate_existing=True)
    if post is not None:
        post.snapshot = {**(post.snapshot or {}), SHOWN: figures}


async def stale_events(session: AsyncSession, now: datetime, default_capacity: int | None) -> list[int]:
    """Events still open whose sent announcements show other RSVP figures than the database has (or unknown).

    `default_capacity` is what the announcement falls back to when the event has none (None: it shows none).
    """
    rows = (
        await session.execute(
            select(Post.snapshot, Event.id, Event.capacity)
            .join(Event, Event.id == Post.event_id)
            .where(
                Post.kind == ANNOUNCEMENT,
                Post.status == SENT,
                Post.discord_id.is_not(None),
                Event.ends_at > now,
                Event.cancelled.is_(False),
                Event.removed_at.is_(None),
            )
            .order_by(Event.id, Post.id)
        )
    ).all()
    stale: list[int] = []
    figures: dict[int, dict[str, Any]] = {}
    for snapshot, event_id, capacity in rows:
        if event_id in stale:
            continue
        if event_id not in figures:
            counts = await rsvp_counts(session, event_id)
            shown_capacity = capacity if capacity is not None else default_capacity
            figures[event_id] = shown_figures(counts, shown_capacity)
        if (snapshot or {}).get(SHOWN) != figures[event_id]:
            stale.append(event_id)
    return stale
