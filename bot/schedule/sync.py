"""Reconciling what was posted with what the event files now say.

For every event already announced: a change of date or time gets a "Rescheduled" notice (and the
reminders are planned again for the new time), a change of place a "Moved" notice, a cancelled or
removed event a cancellation notice (its remaining posts are skipped), and one that is on again before
its start a "back on" notice (and a new Discord event). Members who said they would come (going, maybe,
waitlisted) get a DM for a cancellation or a new start, and those told of a cancellation a DM when it is
back on, as ledger rows like the posts. The announcement message itself is edited by whoever reads
`stale_posts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Event, Post, Rsvp
from bot.schedule import ledger
from bot.schedule.facts import facts_of
from bot.schedule.plan import (
    ANNOUNCEMENT,
    CANCELLATION,
    DM_RESCHEDULED,
    MOVED,
    RESCHEDULED,
    RESTORED,
    SCHEDULED_EVENT,
    EventFacts,
    PlannedPost,
    cancellation_cycle,
    cancellation_dm_kind,
    cancellation_dm_text,
    cancellation_kind,
    cancellation_text,
    moved_text,
    rescheduled_dm_text,
    rescheduled_text,
    restored_dm_kind,
    restored_dm_text,
    restored_kind,
    restored_text,
)


def snapshot_of(event: EventFacts, text: str = "") -> dict[str, Any]:
    """What an announcement showed: to notice later what changed."""
    return {
        "text": text,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "place": event.place,
        "hash": event.content_hash,
        "cancelled": event.cancelled or event.removed,
    }


@dataclass
class SyncResult:
    changed: set[int] = field(default_factory=set)
    # "slug: cancellation in StLGo", for the caller to log (a dry run logs nothing)
    notices: list[str] = field(default_factory=list)
    # how many DMs were planned, by "slug: kind"
    dms: dict[str, int] = field(default_factory=dict)


# who said they would come, and so is told by DM when the event is called off or moved in time
_TOLD = ("going", "maybe", "waitlist")


async def _count(session: AsyncSession, event_id: int, channel_id: int, prefix: str) -> int:
    found = await session.scalar(
        select(func.count())
        .select_from(Post)
        .where(Post.event_id == event_id, Post.channel_id == channel_id, Post.kind.like(f"{prefix}:%"))
    )
    return int(found or 0)


async def _skip_pending(
    session: AsyncSession, event_id: int, channel_id: int, why: str, now: datetime
) -> None:
    await session.execute(
        update(Post)
        .where(
            Post.event_id == event_id,
            Post.channel_id == channel_id,
            Post.status == ledger.PENDING,
            or_(Post.kind.like("reminder:%"), Post.kind.like("agenda:%")),
        )
        .values(status=ledger.SKIPPED, last_error=why, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def _notice(post: Post, kind: str, event: EventFacts, now: datetime, text: str) -> PlannedPost:
    return PlannedPost(
        event.id, kind, post.group_name, post.guild_id, post.channel_id, now, event.starts_at, text
    )


async def _plan_dms(
    session: AsyncSession, post: Post, event: EventFacts, kind: str, text: str, now: datetime
) -> int:
    """A pending DM row per member going, maybe or waitlisted (the ledger keeps each to one, across
    restarts and co-hosts); members whose DMs are known to be closed are not tried again."""
    members = await session.scalars(
        select(Rsvp.user_id).where(
            Rsvp.event_id == event.id, Rsvp.status.in_(_TOLD), Rsvp.dm_failed.is_(False)
        )
    )
    snapshot = {"text": text, "late_until": event.starts_at.isoformat()}
    planned = [
        (
            PlannedPost(event.id, kind, post.group_name, post.guild_id, user_id, now, event.starts_at, text),
            snapshot,
        )
        for user_id in members
    ]
    await ledger.add_pending_many(session, planned, now)
    return len(planned)


async def _cycles(session: AsyncSession, event_id: int, channel_id: int) -> tuple[int, str | None, bool]:
    """The latest cancellation of an event in a channel: its number (0: none), its status, and whether a
    restore row (posted or skipped) closed it."""
    kinds = await session.execute(
        select(Post.kind, Post.status).where(
            Post.event_id == event_id,
            Post.channel_id == channel_id,
            or_(
                Post.kind == CANCELLATION,
                Post.kind.like(f"{CANCELLATION}:%"),
                Post.kind.like(f"{RESTORED}:%"),
            ),
        )
    )
    cancelled: dict[int, str] = {}
    restored: set[str] = set()
    for kind, status in kinds:
        number = cancellation_cycle(kind)
        if number is not None:
            cancelled[number] = status
        else:
            restored.add(kind)
    if not cancelled:
        return 0, None, False
    latest = max(cancelled)
    return latest, cancelled[latest], restored_kind(latest) in restored


async def _restore(
    session: AsyncSession,
    post: Post,
    event: EventFacts,
    cycle: int,
    status: str | None,
    now: datetime,
    result: SyncResult,
) -> bool:
    """The event is on again after cancellation `cycle`: a "back on" notice if that cancellation was posted
    and the event has not started (else a skipped row, so the cycle is closed), cancellation posts and DMs
    still waiting are dropped, and a cancelled Discord event is created anew (Discord cannot un-cancel).
    True when the notice is planned (members who were told by DM are told too)."""
    kind = restored_kind(cycle)
    planned = _notice(post, kind, event, now, restored_text(event))
    await _skip_waiting(session, event.id, post.channel_id, cancellation_kind(cycle), now)
    await _skip_waiting(session, event.id, None, cancellation_dm_kind(cycle), now)
    upcoming = event.starts_at > now
    if upcoming:
        await _recreate_scheduled_event(
            session, post, event, first=cycle == 1 and status == ledger.SENT, now=now
        )
    result.changed.add(event.id)
    if status != ledger.SENT or not upcoming:
        why = "the event is back on before its cancellation was posted" if upcoming else "back on too late"
        await ledger.record_skipped(session, [planned], now, why)
        return False
    if await ledger.add_pending(session, planned, now, {"text": planned.text}):
        result.notices.append(f"{event.slug}: back on in {post.group_name}")
        return True
    return False


async def _skip_waiting(
    session: AsyncSession, event_id: int, channel_id: int | None, kind: str, now: datetime
) -> None:
    """Rows of `kind` not sent yet are dropped: the event is on again (DM rows: any member)."""
    query = update(Post).where(Post.event_id == event_id, Post.kind == kind, Post.status == ledger.PENDING)
    if channel_id is not None:
        query = query.where(Post.channel_id == channel_id)
    await session.execute(
        query.values(
            status=ledger.SKIPPED, last_error="the event is back on", updated_at=now
        ).execution_options(synchronize_session=False)
    )


async def _recreate_scheduled_event(
    session: AsyncSession, post: Post, event: EventFacts, *, first: bool, now: datetime
) -> None:
    """The channel's Discord event, if it was cancelled (its snapshot says so, or the first cancellation
    was posted, which cancels it), is owed again: the same ledger row, pending with a fresh nonce, so the
    scheduler creates a new one; the cancelled one's id is kept in the snapshot."""
    row: Post | None = await session.scalar(
        select(Post).where(
            Post.event_id == event.id,
            Post.kind == SCHEDULED_EVENT,
            Post.channel_id == post.channel_id,
            Post.status == ledger.SENT,
        )
    )
    if row is None or not (first or (row.snapshot or {}).get("cancelled")):
        return
    earlier = [*(row.snapshot or {}).get("cancelled_ids", []), row.discord_id]
    snapshot = {
        **snapshot_of(event, f"Discord event for {event.title}"),
        "late_until": event.starts_at.isoformat(),
        "cancelled_ids": [i for i in earlier if i is not None],
    }
    await session.execute(
        update(Post)
        .where(Post.id == row.id, Post.status == ledger.SENT)
        .values(
            status=ledger.PENDING,
            discord_id=None,
            nonce=ledger.new_nonce(),
            attempts=0,
            claim_token=None,
            not_before=None,
            sent_at=None,
            last_error=None,
            due_at=now,
            snapshot=snapshot,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )


async def _tell_back_on(
    session: AsyncSession,
    post: Post,
    event: EventFacts,
    cycle: int,
    now: datetime,
    told: set[tuple[int, str]],
    result: SyncResult,
) -> None:
    """A "back on" DM to each member who got this cancellation's DM (once per event, across co-hosts)."""
    kind = restored_dm_kind(cycle)
    if (event.id, kind) in told:
        return
    told.add((event.id, kind))
    members = await session.scalars(
        select(Post.channel_id).where(
            Post.event_id == event.id, Post.kind == cancellation_dm_kind(cycle), Post.status == ledger.SENT
        )
    )
    text = restored_dm_text(event)
    snapshot = {"text": text, "late_until": event.starts_at.isoformat()}
    planned = [
        (
            PlannedPost(event.id, kind, post.group_name, post.guild_id, user_id, now, event.starts_at, text),
            snapshot,
        )
        for user_id in members
    ]
    await ledger.add_pending_many(session, planned, now)
    if planned:
        result.dms[f"{event.slug}: {kind}"] = len(planned)


async def reconcile(session: AsyncSession, now: datetime) -> SyncResult:
    """Notices (and members' DMs) for announced events that changed since; returns the events whose plans
    must be redone. Logs nothing: the scheduler logs what it planned, a dry run rolls it back."""
    result = SyncResult()
    rows = await session.execute(
        select(Post, Event)
        .join(Event, Event.id == Post.event_id)
        .where(Post.kind == ANNOUNCEMENT, Post.status == ledger.SENT, Event.ends_at > now)
    )
    # (event, DM kind) already planned in this pass: co-hosted events have one set of members
    told: set[tuple[int, str]] = set()

    async def tell(post: Post, facts: EventFacts, kind: str, text: str) -> None:
        if (facts.id, kind) in told:
            return
        told.add((facts.id, kind))
        if count := await _plan_dms(session, post, facts, kind, text, now):
            result.dms[f"{facts.slug}: {kind}"] = count

    for post, event in rows.all():
        facts = facts_of(event)
        snap = dict(post.snapshot or {})
        cycle, status, closed = await _cycles(session, facts.id, post.channel_id)
        still_open = cycle > 0 and not closed
        if facts.cancelled or facts.removed:
            if facts.starts_at > now and not still_open:  # called off (again): a new cancellation
                cycle += 1
                kind = cancellation_kind(cycle)
                planned = _notice(post, kind, facts, now, cancellation_text(facts))
                if await ledger.add_pending(session, planned, now, {"text": planned.text}):
                    result.notices.append(f"{facts.slug}: {kind} in {post.group_name}")
                    result.changed.add(facts.id)
                    await tell(post, facts, cancellation_dm_kind(cycle), cancellation_dm_text(facts))
            await _skip_pending(session, facts.id, post.channel_id, "event cancelled", now)
            continue
        # on again: undo what the cancellation did, once per cancellation
        if still_open and await _restore(session, post, facts, cycle, status, now, result):
            await _tell_back_on(session, post, facts, cycle, now, told, result)
        time_changed = (
            snap.get("starts_at") != facts.starts_at.isoformat()
            or snap.get("ends_at") != facts.ends_at.isoformat()
        )
        place_changed = snap.get("place") != facts.place
        if not (time_changed or place_changed):
            continue
        if facts.starts_at > now:
            if time_changed:
                n = await _count(session, facts.id, post.channel_id, RESCHEDULED) + 1
                planned = _notice(post, f"{RESCHEDULED}:{n}", facts, now, rescheduled_text(facts))
                await ledger.add_pending(session, planned, now, {"text": planned.text})
                await _skip_pending(session, facts.id, post.channel_id, "event rescheduled", now)
                result.notices.append(f"{facts.slug}: rescheduled in {post.group_name}")
                if snap.get("starts_at") != facts.starts_at.isoformat():  # members care about the start
                    await tell(post, facts, f"{DM_RESCHEDULED}:{n}", rescheduled_dm_text(facts, now))
            if place_changed:
                n = await _count(session, facts.id, post.channel_id, MOVED) + 1
                planned = _notice(post, f"{MOVED}:{n}", facts, now, moved_text(facts))
                await ledger.add_pending(session, planned, now, {"text": planned.text})
                result.notices.append(f"{facts.slug}: moved in {post.group_name}")
        post.snapshot = {
            **snap,
            "starts_at": facts.starts_at.isoformat(),
            "ends_at": facts.ends_at.isoformat(),
            "place": facts.place,
        }
        post.updated_at = now
        result.changed.add(facts.id)
    return result


async def stale_posts(session: AsyncSession, now: datetime) -> list[tuple[Post, Event]]:
    """Announcements and Discord events that show an older version of their event than the file's."""
    rows = await session.execute(
        select(Post, Event)
        .join(Event, Event.id == Post.event_id)
        .where(
            Post.kind.in_([ANNOUNCEMENT, SCHEDULED_EVENT]), Post.status == ledger.SENT, Event.ends_at > now
        )
    )
    stale = []
    for post, event in rows.all():
        snap = post.snapshot or {}
        gone = bool(event.cancelled or event.removed_at is not None)
        if snap.get("hash") != event.content_hash or bool(snap.get("cancelled")) != gone:
            stale.append((post, event))
    return stale


async def mark_current(session: AsyncSession, post_id: int, event: Event, now: datetime) -> None:
    """After an edit: the post now shows this version of the event."""
    post = await session.get(Post, post_id)
    if post is None:
        return
    post.snapshot = {
        **(post.snapshot or {}),
        "hash": event.content_hash,
        "cancelled": bool(event.cancelled or event.removed_at is not None),
    }
    post.updated_at = now
