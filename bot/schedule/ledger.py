"""The post ledger: a row per (event, kind, channel), written before anything is sent.

A row is inserted `pending` with a fresh nonce and a claim (token + lease) before the post goes out; only
the claim holder records the outcome. A `sent` row is never sent again. A `pending` row whose lease ran
out (its sender crashed, or a retry is due) is claimed again by a guarded UPDATE and resent with the SAME
nonce, which Discord answers with the first message if that one got through. So two processes, a double
import or a restart cannot post twice.

The lease is short and renewed (`renew`) while its sender is alive and still sending, so a post whose
sender was killed mid-send is retried within LEASE by the next process, not after minutes: a 1-minute
reminder still goes out. A process cannot recognise "its own" claims after a restart (its token died with
it, and a fixed per-installation identity would let two live processes on one PostgreSQL database take
each other's claims), so a live sender proves it is alive by renewing instead.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.models import Post
from bot.schedule.plan import RESCHEDULED, PlannedPost

PENDING, SENT, SKIPPED, FAILED = "pending", "sent", "skipped", "failed"
# how long a claim keeps other senders away; a crashed sender's post is retried after it. A live sender
# renews its claims every RENEW_EVERY while it sends (a slow or rate-limited send keeps its claim).
LEASE = timedelta(seconds=30)
RENEW_EVERY = timedelta(seconds=5)
MAX_ATTEMPTS = 5
Key = tuple[int, str, int]


def new_nonce() -> str:
    """24 characters: within Discord's 25-character nonce limit."""
    return secrets.token_hex(12)


def new_token() -> str:
    return secrets.token_hex(16)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min, ... capped at 30 min."""
    step: timedelta = timedelta(seconds=30) * (2 ** max(attempts - 1, 0))
    return min(step, timedelta(minutes=30))


def _insert(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Post)


def _row(
    planned: PlannedPost, *, status: str, now: datetime, snapshot: dict[str, Any], token: str | None
) -> dict[str, Any]:
    return {
        "event_id": planned.event_id,
        "kind": planned.kind,
        "group_name": planned.group_name,
        "guild_id": planned.guild_id,
        "channel_id": planned.channel_id,
        "nonce": new_nonce(),
        "status": status,
        "due_at": planned.due_at,
        "attempts": 1 if token else 0,
        "snapshot": snapshot,
        "claim_token": token,
        "not_before": now + LEASE if token else None,
        "created_at": now,
        "updated_at": now,
    }


async def claim_new(
    session: AsyncSession,
    planned: Sequence[tuple[PlannedPost, dict[str, Any]]],
    token: str,
    now: datetime,
) -> None:
    """Insert `pending` rows claimed by `token`; a row someone else already wrote stays theirs."""
    if not planned:
        return
    rows = [_row(p, status=PENDING, now=now, snapshot=snap, token=token) for p, snap in planned]
    await session.execute(
        _insert(session).on_conflict_do_nothing(index_elements=["event_id", "kind", "channel_id"]), rows
    )


async def add_pending(
    session: AsyncSession, planned: PlannedPost, now: datetime, snapshot: dict[str, Any]
) -> bool:
    """An unclaimed `pending` row (a notice due now); False if that row already exists."""
    result = await session.execute(
        _insert(session)
        .values(_row(planned, status=PENDING, now=now, snapshot=snapshot, token=None))
        .on_conflict_do_nothing(index_elements=["event_id", "kind", "channel_id"])
    )
    return bool(getattr(result, "rowcount", 0))


async def add_pending_many(
    session: AsyncSession, planned: Sequence[tuple[PlannedPost, dict[str, Any]]], now: datetime
) -> None:
    """`add_pending` for many rows in one statement (a DM per member); rows that exist stay as they are."""
    rows = [_row(p, status=PENDING, now=now, snapshot=snap, token=None) for p, snap in planned]
    if rows:
        await session.execute(
            _insert(session).on_conflict_do_nothing(index_elements=["event_id", "kind", "channel_id"]), rows
        )


async def record_skipped(
    session: AsyncSession, planned: Iterable[PlannedPost], now: datetime, why: str
) -> None:
    """A post that no longer makes sense: recorded so that nothing sends it later."""
    rows = [
        {**_row(p, status=SKIPPED, now=now, snapshot={"text": p.text}, token=None), "last_error": why}
        for p in planned
    ]
    if rows:
        await session.execute(
            _insert(session).on_conflict_do_nothing(index_elements=["event_id", "kind", "channel_id"]), rows
        )


async def claim_pending(session: AsyncSession, token: str, now: datetime) -> None:
    """Take every pending row whose lease has run out; the WHERE clause lets only one claimer win each."""
    await session.execute(
        update(Post)
        .where(Post.status == PENDING, or_(Post.not_before.is_(None), Post.not_before <= now))
        .values(claim_token=token, not_before=now + LEASE, attempts=Post.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def renew(session: AsyncSession, token: str, now: datetime) -> int:
    """Extend the lease of the rows `token` still holds (a send in progress); returns how many.

    A row given up for a later retry (`record_failure`) no longer carries the token, so its backoff stays."""
    result = await session.execute(
        update(Post)
        .where(Post.claim_token == token, Post.status == PENDING)
        .values(not_before=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def claimed(session: AsyncSession, token: str) -> list[Post]:
    result = await session.scalars(
        select(Post).where(Post.claim_token == token, Post.status == PENDING).order_by(Post.due_at, Post.id)
    )
    return list(result)


async def record_sent(
    session: AsyncSession, post_id: int, token: str, discord_id: int | None, now: datetime
) -> bool:
    """Mark a claimed row sent; False if the claim was lost (another sender took over)."""
    result = await session.execute(
        update(Post)
        .where(Post.id == post_id, Post.claim_token == token, Post.status == PENDING)
        .values(
            status=SENT, discord_id=discord_id, sent_at=now, updated_at=now, not_before=None, last_error=None
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def held_ids(session: AsyncSession, discord_ids: Sequence[int]) -> set[int]:
    """Which of these message ids a ledger row already holds: a message is one post's, never two rows'."""
    if not discord_ids:
        return set()
    result = await session.scalars(select(Post.discord_id).where(Post.discord_id.in_(list(discord_ids))))
    return {found for found in result if found is not None}


async def record_found(
    session: AsyncSession, post_id: int, token: str, discord_id: int, now: datetime
) -> bool:
    """`record_sent` for a message found in the channel's history, refused if another row holds that id
    (two rows with the same text must not share one message: the second would never be posted)."""
    other = aliased(Post)
    result = await session.execute(
        update(Post)
        .where(
            Post.id == post_id,
            Post.claim_token == token,
            Post.status == PENDING,
            ~exists().where(other.discord_id == discord_id, other.id != post_id),
        )
        .values(
            status=SENT, discord_id=discord_id, sent_at=now, updated_at=now, not_before=None, last_error=None
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def record_failure(
    session: AsyncSession, post: Post, token: str, error: str, now: datetime, *, skip: bool = False
) -> str:
    """A failed try: retry later with backoff, `failed` after MAX_ATTEMPTS (`skipped` if it is too late).

    The claim is released (token cleared), so renewing the sender's other claims leaves the backoff alone."""
    status = SKIPPED if skip else FAILED if post.attempts >= MAX_ATTEMPTS else PENDING
    await session.execute(
        update(Post)
        .where(Post.id == post.id, Post.claim_token == token, Post.status == PENDING)
        .values(
            status=status,
            claim_token=None,
            last_error=error[:1000],
            not_before=now + backoff(post.attempts) if status == PENDING else None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return status


async def keys_for(session: AsyncSession, event_ids: Sequence[int]) -> set[Key]:
    """The ledger keys of these events (any status: a row, whatever its state, is never planned again)."""
    keys: set[Key] = set()
    for start in range(0, len(event_ids), 500):
        chunk = event_ids[start : start + 500]
        result = await session.execute(
            select(Post.event_id, Post.kind, Post.channel_id).where(Post.event_id.in_(chunk))
        )
        keys.update((e, k, c) for e, k, c in result)
    return keys


async def generations(session: AsyncSession, event_ids: Sequence[int]) -> dict[tuple[int, int], int]:
    """How many times each (event, channel) was rescheduled: reminders after a reschedule are new posts."""
    found: dict[tuple[int, int], int] = {}
    for start in range(0, len(event_ids), 500):
        chunk = event_ids[start : start + 500]
        result = await session.execute(
            select(Post.event_id, Post.channel_id, func.count())
            .where(Post.event_id.in_(chunk), Post.kind.like(f"{RESCHEDULED}:%"))
            .group_by(Post.event_id, Post.channel_id)
        )
        found.update({(e, c): n for e, c, n in result})
    return found


async def announcement_id(session: AsyncSession, event_id: int, channel_id: int) -> int | None:
    """The message id of the event's announcement in a channel, once sent (reminders reply to it)."""
    return await session.scalar(
        select(Post.discord_id).where(
            and_(
                Post.event_id == event_id,
                Post.kind == "announcement",
                Post.channel_id == channel_id,
                Post.status == SENT,
            )
        )
    )
