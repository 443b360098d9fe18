"""Which Discord messages are RSVP-able: the announcement rows of the Post ledger."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Event, Post

ANNOUNCEMENT = "announcement"


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
