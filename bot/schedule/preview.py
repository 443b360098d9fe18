"""The dry run: what will be posted, where and when, without posting or changing anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.db.models import Event, Post
from bot.schedule import ledger
from bot.schedule.facts import upcoming_facts
from bot.schedule.plan import ANNOUNCEMENT, EventFacts, before, is_dm, is_late
from bot.schedule.service import planned_posts
from bot.schedule.sync import reconcile

NOT_POSTED = "not_posted"
NO_GROUP = "not posted: no configured group"


@dataclass(frozen=True)
class PreviewRow:
    slug: str
    title: str
    kind: str
    group: str
    channel_id: int | None  # None for a DM (see user_id) and for an event nobody will post
    due_at: datetime
    late_until: datetime | None
    text: str
    # "planned", "late" (due while nobody posted it), "pending" (a notice, a DM or a retry), or
    # "not_posted" (see explanation)
    state: str
    user_id: int | None = None  # the member a DM goes to
    explanation: str | None = None  # why a row is not what it seems, e.g. NO_GROUP

    def to_json(self, zone: ZoneInfo) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "kind": self.kind,
            "group": self.group,
            "channel_id": str(self.channel_id) if self.channel_id is not None else None,
            "user_id": str(self.user_id) if self.user_id is not None else None,
            "due_at": self.due_at.isoformat(),
            "due_local": self.due_at.astimezone(zone).isoformat(),
            "late_until": self.late_until.isoformat() if self.late_until else None,
            "state": self.state,
            "explanation": self.explanation,
            "text": self.text,
        }


def _unposted(config: Config, facts: list[EventFacts], now: datetime) -> list[PreviewRow]:
    """Upcoming events none of whose hosting groups is configured: stored, but nothing will ever be posted."""
    rows = []
    for fact in facts:
        if fact.cancelled or fact.removed or fact.starts_at <= now:
            continue
        if any(config.group_named(name) is not None for name in fact.groups):
            continue
        due = max(before(fact.starts_at, config.announcements.lead_time, ZoneInfo(fact.timezone)), now)
        rows.append(
            PreviewRow(
                slug=fact.slug,
                title=fact.title,
                kind=ANNOUNCEMENT,
                group=", ".join(fact.groups) or "-",
                channel_id=None,
                due_at=due,
                late_until=fact.starts_at,
                text="",
                state=NOT_POSTED,
                explanation=NO_GROUP,
            )
        )
    return rows


async def preview(session: AsyncSession, config: Config, now: datetime) -> list[PreviewRow]:
    """Owed posts (and DMs) in due order, and upcoming events nothing will be posted for. Runs the reconcile
    step in `session`: the caller rolls it back."""
    await reconcile(session, now)
    facts = await upcoming_facts(session, now)
    ids = [f.id for f in facts]
    done = await ledger.keys_for(session, ids)
    generations = await ledger.generations(session, ids)
    by_id = {f.id: f for f in facts}
    rows = [
        PreviewRow(
            slug=by_id[p.event_id].slug,
            title=by_id[p.event_id].title,
            kind=p.kind,
            group=p.group_name,
            channel_id=p.channel_id,
            due_at=p.due_at,
            late_until=p.late_until,
            text=p.text,
            state="late" if is_late(p.due_at, now) else "planned",
        )
        for p in planned_posts(config, facts, generations)
        if p.key not in done and now < p.late_until
    ]
    rows.extend(_unposted(config, facts, now))
    pending = await session.execute(
        select(Post, Event.slug, Event.title)
        .join(Event, Event.id == Post.event_id)
        .where(Post.status == ledger.PENDING)
    )
    for post, slug, title in pending.all():
        dm = is_dm(post.kind)
        rows.append(
            PreviewRow(
                slug=slug,
                title=title,
                kind=post.kind,
                group=post.group_name,
                channel_id=None if dm else post.channel_id,
                user_id=post.channel_id if dm else None,
                due_at=post.not_before or post.due_at,
                late_until=None,
                text=str((post.snapshot or {}).get("text", "")),
                state="pending",
            )
        )
    rows.sort(key=lambda r: (r.due_at, r.slug, r.kind))
    return rows
