"""What the bot's database already knows about the events a change touches: the stored event, its posts
(the ledger) and who said they would come. Read only: the preview never writes to the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Event, Post, Rsvp
from bot.rsvp.counts import RsvpCounts, rsvp_counts
from bot.schedule.facts import facts_of
from bot.schedule.plan import RESCHEDULED, EventFacts

# members told by DM when an event is called off or moved in time (as bot/schedule/sync.py does)
_TOLD = ("going", "maybe", "waitlist")


@dataclass(frozen=True)
class LedgerRow:
    kind: str
    channel_id: int
    status: str
    snapshot: dict[str, Any]
    sent_at: datetime | None


@dataclass
class KnownEvent:
    """One stored event as the bot has it now, and what it posted for it."""

    event: Event
    facts: EventFacts
    posts: list[LedgerRow] = field(default_factory=list)
    counts: RsvpCounts = field(default_factory=RsvpCounts)
    told: int = 0  # members a cancellation or reschedule DM would go to

    def post(self, kind: str, channel_id: int) -> LedgerRow | None:
        return next((p for p in self.posts if p.kind == kind and p.channel_id == channel_id), None)

    def generation(self, channel_id: int) -> int:
        """How often the event was rescheduled in that channel (reminders after it are new posts)."""
        return sum(
            1 for p in self.posts if p.channel_id == channel_id and p.kind.startswith(f"{RESCHEDULED}:")
        )


async def known_events(session: AsyncSession, slugs: Sequence[str]) -> dict[str, KnownEvent]:
    """The stored events with these slugs, with their ledger rows and RSVP figures."""
    found: dict[str, KnownEvent] = {}
    for start in range(0, len(slugs), 500):
        names = list(slugs[start : start + 500])
        for event in await session.scalars(select(Event).where(Event.slug.in_(names))):
            found[event.slug] = KnownEvent(event, facts_of(event))
    by_id = {known.event.id: known for known in found.values()}
    ids = list(by_id)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = await session.execute(
            select(Post.event_id, Post.kind, Post.channel_id, Post.status, Post.snapshot, Post.sent_at).where(
                Post.event_id.in_(chunk)
            )
        )
        for event_id, kind, channel_id, status, snapshot, sent_at in rows:
            by_id[event_id].posts.append(LedgerRow(kind, channel_id, status, dict(snapshot or {}), sent_at))
        told = await session.execute(
            select(Rsvp.event_id, func.count())
            .where(Rsvp.event_id.in_(chunk), Rsvp.status.in_(_TOLD), Rsvp.dm_failed.is_(False))
            .group_by(Rsvp.event_id)
        )
        for event_id, count in told:
            by_id[event_id].told = int(count)
    for known in by_id.values():
        known.counts = await rsvp_counts(session, known.event.id)
    return found
