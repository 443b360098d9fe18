"""The RSVP rules: one answer per member and event, capacity with a waitlist, promotion, DM-once notices.

Every change starts by locking the event row (`UPDATE events SET capacity = capacity`): on PostgreSQL that is a
row lock held until commit, on SQLite it takes the database's write lock before anything is read. Either way two
writers for one event never both see "99 going" and both add the 100th, so capacity is never oversold, with no
dialect-specific SQL. The bot also feeds changes through one ordered queue (`RsvpDesk`), so in-process writers do
not even contend; the lock is the guard for everything else (a second process, the CLI, a future worker).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from sqlalchemy import Table, and_, bindparam, case, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import lazyload

from bot.db.models import Event, Rsvp
from bot.errors import UserError

Answer = Literal["going", "maybe", "not_going"]
ANSWERS: tuple[Answer, ...] = ("going", "maybe", "not_going")
NoticeKind = Literal["going", "waitlist", "promoted", "reconciled"]
# how a reconciliation chose among several RSVP reactions of one member (see choose_observed)
Rule = Literal["only", "newer", "cautious", "stored"]


class _Titled(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def title(self) -> str: ...


class RsvpClosed(UserError):
    """The event has ended (or was cancelled): its RSVPs no longer change."""

    def __init__(self, event: _Titled, *, cancelled: bool = False) -> None:
        self.event_id = event.id
        why = "it was cancelled" if cancelled else "it ended"
        super().__init__(f"RSVPs for {event.title} closed when {why}; nothing was changed.")


class UnknownEvent(UserError):
    def __init__(self, event_id: int) -> None:
        super().__init__(f"That event (#{event_id}) no longer exists. Use /events to see the upcoming ones.")


@dataclass(frozen=True)
class Notice:
    """Something to tell a member by DM; already recorded as told, so it is sent at most once."""

    user_id: int
    kind: NoticeKind
    event_id: int
    event_title: str
    position: int | None = None
    # kind "reconciled": the answers the member's reactions said, the status recorded and the rule that chose it
    seen: tuple[Answer, ...] = ()
    recorded: str | None = None
    rule: Rule | None = None


@dataclass(frozen=True)
class RsvpOutcome:
    """What one change did: the member's new status (None: no RSVP), before, and its consequences."""

    event_id: int
    user_id: int
    status: str | None
    previous: str | None
    group_name: str | None
    previous_group: str | None
    position: int | None = None
    promoted: tuple[int, ...] = ()
    notices: tuple[Notice, ...] = ()

    @property
    def changed(self) -> bool:
        return self.status != self.previous or self.group_name != self.previous_group or bool(self.promoted)


@dataclass(frozen=True)
class RsvpRow:
    user_id: int
    name: str
    status: str
    group_name: str | None
    position: int | None


@dataclass(frozen=True)
class Observed:
    """One RSVP reaction a member left on an announcement, as reconciliation reads it.

    `removable`: the bot may take it off (Manage Messages in that channel); `channel_id`/`message_id` say where.
    """

    status: Answer
    group_name: str
    user_name: str = ""
    removable: bool = True
    channel_id: int = 0
    message_id: int = 0


@dataclass(frozen=True)
class Choice:
    """Which of a member's RSVP reactions counts (`kept`), which ones it supersedes, and by which rule."""

    kept: Observed
    superseded: tuple[Observed, ...]
    rule: Rule
    seen: tuple[Answer, ...]

    @property
    def conflict(self) -> bool:
        """Several different answers were present and the rule picked one: the member is told which."""
        return self.rule in ("newer", "cautious")


@dataclass(frozen=True)
class Conflict:
    """A member who had left several different RSVP reactions, and what reconciliation recorded."""

    user_id: int
    choice: Choice
    status: str | None


@dataclass
class ReconcileSummary:
    event_id: int
    added: int = 0
    removed: int = 0
    changed: int = 0
    promoted: int = 0
    outcomes: list[RsvpOutcome] = field(default_factory=list)
    # members with several RSVP reactions: the reactions to take off the announcements
    conflicts: list[Conflict] = field(default_factory=list)
    # the DMs to send: the outcomes' notices, with one explanation instead for each conflicted member
    notices: list[Notice] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"+{self.added} -{self.removed} ~{self.changed} promoted {self.promoted}"
        return text + (f", {len(self.conflicts)} with several reactions" if self.conflicts else "")


def effective_capacity(event: Event, default_capacity: int | None) -> int | None:
    return event.capacity if event.capacity is not None else default_capacity


async def lock_event(session: AsyncSession, event_id: int, now: datetime, *, closing: bool = True) -> Event:
    """Serialises writers of one event's RSVPs until the transaction ends (see the module docstring)."""
    locked = await session.execute(
        update(Event)
        .where(Event.id == event_id)
        .values(capacity=Event.capacity)
        .execution_options(synchronize_session=False)
    )
    if getattr(locked, "rowcount", 1) == 0:
        raise UnknownEvent(event_id)
    query = select(Event).where(Event.id == event_id).options(lazyload(Event.groups))
    event = (await session.scalars(query.execution_options(populate_existing=True))).first()
    if event is None:
        raise UnknownEvent(event_id)
    if closing and event.cancelled:
        raise RsvpClosed(event, cancelled=True)
    if closing and now >= event.ends_at:
        raise RsvpClosed(event)
    return event


async def get_event(session: AsyncSession, event_id: int) -> Event:
    """The event row for reading (no lock, hosting groups not loaded)."""
    query = select(Event).where(Event.id == event_id).options(lazyload(Event.groups))
    event = (await session.scalars(query)).first()
    if event is None:
        raise UnknownEvent(event_id)
    return event


# -- the batched engine -----------------------------------------------------------------------------------
#
# `apply_changes` applies many set/remove changes in one transaction, in order, with the result one by one would
# give: each event touched is locked once (in event-id order), then read once — its counts, its next arrival
# number and the rows of the members in the batch (one `IN` query) — the changes are applied in memory, and the
# rows written with one executemany per kind (delete, update, insert). The waitlist beyond the batch's members is
# read only when someone is promoted, a page at a time, in queue order.

RSVPS: Table = Rsvp.__table__  # type: ignore[assignment]
EVENTS: Table = Event.__table__  # type: ignore[assignment]
_ROW_COLUMNS = (
    RSVPS.c.id,
    RSVPS.c.user_id,
    RSVPS.c.user_name,
    RSVPS.c.status,
    RSVPS.c.group_name,
    RSVPS.c.queued_at,
    RSVPS.c.updated_at,
    RSVPS.c.queue_seq,
    RSVPS.c.notified_status,
    RSVPS.c.notified_position,
    RSVPS.c.dm_failed,
    RSVPS.c.source,
)
# what a change can touch (never dm_failed: mark_dm_failed may set it concurrently)
_WRITTEN = (
    "user_name",
    "status",
    "group_name",
    "queued_at",
    "updated_at",
    "queue_seq",
    "notified_status",
    "notified_position",
    "source",
)
_UPDATE_ROW = (
    update(RSVPS).where(RSVPS.c.id == bindparam("_id")).values({name: bindparam(name) for name in _WRITTEN})
)
_PAGE = 50
_LAST = float("inf")


@dataclass(frozen=True)
class SetChange:
    """The member's answer is now `status` (as set_rsvp)."""

    event_id: int
    user_id: int
    user_name: str
    status: Answer
    group_name: str | None
    source: str = "reaction"


@dataclass(frozen=True)
class RemoveChange:
    """The member withdrew (as remove_rsvp); with `only_status`/`only_group` only if it is that answer."""

    event_id: int
    user_id: int
    only_status: Answer | None = None
    only_group: str | None = None


Change = SetChange | RemoveChange


@dataclass(frozen=True)
class _EventInfo:
    id: int
    title: str
    capacity: int | None
    ends_at: datetime
    cancelled: bool


@dataclass(eq=False)
class _Row:
    """One RSVP row as the batch sees it; `id` is None until inserted, `original` is (status, key) as read."""

    id: int | None
    user_id: int
    user_name: str
    status: str
    group_name: str | None
    queued_at: datetime
    updated_at: datetime
    queue_seq: int
    notified_status: str | None
    notified_position: int | None
    dm_failed: bool
    source: str
    original: tuple[str, tuple[float, float]] | None = None
    dirty: bool = False

    @property
    def key(self) -> tuple[float, float]:
        """Waitlist order: arrival number, then id (rows not yet inserted come after any with that number)."""
        return (self.queue_seq, self.id if self.id is not None else _LAST)

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _WRITTEN}


@dataclass(eq=False)
class _EventState:
    """One locked event during a batch: counts, next arrival number, the rows read so far."""

    event_id: int
    info: _EventInfo | None
    capacity: int | None
    going: int = 0
    waitlist: int = 0
    next_seq: int = 1
    # every member of the batch (None: no RSVP) and every waitlisted member promoted during it
    rows: dict[int, _Row | None] = field(default_factory=dict)
    removed: list[_Row] = field(default_factory=list)
    inserted: list[_Row] = field(default_factory=list)
    # waitlisted rows read from the database beyond the batch's members, in queue order, not yet promoted
    queue: deque[_Row] = field(default_factory=deque)
    queue_after: tuple[int, int] | None = None
    queue_done: bool = False

    def count(self, status: str, delta: int) -> None:
        if status == "going":
            self.going += delta
        elif status == "waitlist":
            self.waitlist += delta


def _row(found: Any) -> _Row:
    row = _Row(*found)
    row.original = (row.status, row.key)
    return row


def _notice(
    row: _Row, event: _EventInfo, kind: NoticeKind, position: int | None, notify: bool
) -> Notice | None:
    """A DM to send, unless the member was already told this (or cannot be told); records it as told."""
    told = "going" if kind == "promoted" else kind
    if not notify or row.dm_failed or row.notified_status == told:
        return None
    row.notified_status = told
    row.notified_position = position
    row.dirty = True
    return Notice(row.user_id, kind, event.id, event.title, position)


# built once: the statements every batch runs (the event id and members are bound parameters)
_LOCK = update(EVENTS).where(EVENTS.c.id == bindparam("event_id")).values(capacity=EVENTS.c.capacity)
_TOTALS = (
    select(
        func.count().label("total"),
        func.sum(case((RSVPS.c.status == "going", 1), else_=0)).label("going"),
        func.sum(case((RSVPS.c.status == "waitlist", 1), else_=0)).label("waitlist"),
        func.max(RSVPS.c.queue_seq).label("top"),
    )
    .where(RSVPS.c.event_id == bindparam("event_id"))
    .subquery("totals")
)
_LOAD = select(
    EVENTS.c.title,
    EVENTS.c.capacity,
    EVENTS.c.ends_at,
    EVENTS.c.cancelled,
    _TOTALS.c.going,
    _TOTALS.c.waitlist,
    _TOTALS.c.top,
    *_ROW_COLUMNS,
).select_from(
    _TOTALS.join(EVENTS, EVENTS.c.id == bindparam("event_id")).outerjoin(
        RSVPS,
        and_(
            RSVPS.c.event_id == bindparam("event_id"),
            RSVPS.c.user_id.in_(bindparam("users", expanding=True)),
        ),
    )
)
_INSERT_ROWS = insert(RSVPS)


async def _lock_events(conn: AsyncConnection, event_ids: Sequence[int]) -> list[int]:
    """Locks each event (in id order, so two batches never wait on each other crosswise); returns those found."""
    found: list[int] = []
    for event_id in sorted(event_ids):
        locked = await conn.execute(_LOCK, {"event_id": event_id})
        if getattr(locked, "rowcount", 1) != 0:
            found.append(event_id)
    return found


async def _load(
    conn: AsyncConnection, event_id: int, users: set[int], default_capacity: int | None
) -> _EventState:
    """The event, its totals and the rows of `users`, in one statement (after the lock, so they are current).

    `SELECT events.*, totals.*, rsvps.* FROM (SELECT count(*), ... FROM rsvps WHERE event_id = :id) AS totals
    JOIN events ON events.id = :id LEFT OUTER JOIN rsvps ON event_id = :id AND user_id IN (...)`: one row per
    member found, or one row with NULLs for the member columns.
    """
    state = _EventState(event_id, None, None, rows=dict.fromkeys(users))
    for found in await conn.execute(_LOAD, {"event_id": event_id, "users": sorted(users)}):
        title, capacity, ends_at, cancelled, going, waiting, top = found[:7]
        state.info = _EventInfo(event_id, title, capacity, ends_at, bool(cancelled))
        state.capacity = capacity if capacity is not None else default_capacity
        state.going, state.waitlist, state.next_seq = int(going or 0), int(waiting or 0), int(top or 0) + 1
        if found[7] is not None:
            row = _row(found[7:])
            state.rows[row.user_id] = row
    return state


async def _more_waitlist(conn: AsyncConnection, state: _EventState) -> None:
    """Reads the next page of the waitlist (members outside the batch), in queue order."""
    while not state.queue and not state.queue_done:
        query = select(*_ROW_COLUMNS).where(RSVPS.c.event_id == state.event_id, RSVPS.c.status == "waitlist")
        if state.queue_after is not None:
            seq, row_id = state.queue_after
            query = query.where(
                (RSVPS.c.queue_seq > seq) | ((RSVPS.c.queue_seq == seq) & (RSVPS.c.id > row_id))
            )
        page = (await conn.execute(query.order_by(RSVPS.c.queue_seq, RSVPS.c.id).limit(_PAGE))).all()
        state.queue_done = len(page) < _PAGE
        for values in page:
            row = _row(values)
            state.queue_after = (row.queue_seq, int(row.id or 0))
            if row.user_id not in state.rows:  # the batch's own members are judged by their rows in memory
                state.queue.append(row)


async def _waitlist_head(conn: AsyncConnection, state: _EventState) -> _Row | None:
    if state.waitlist == 0:
        return None
    mine = [r for r in state.rows.values() if r is not None and r.status == "waitlist"]
    head = min(mine, key=lambda r: r.key, default=None)
    await _more_waitlist(conn, state)
    if state.queue and (head is None or state.queue[0].key < head.key):
        head = state.queue.popleft()
        state.rows[head.user_id] = head
    return head


async def _position(conn: AsyncConnection, state: _EventState, row: _Row) -> int:
    """1-based waitlist place of a member who was already waiting: the database's count, corrected by the batch."""
    if row.original is None or row.original[0] != "waitlist" or row.original[1] != row.key:
        return state.waitlist  # joined the waitlist in this batch: last in line
    seq, row_id = row.queue_seq, int(row.id or 0)
    ahead = int(
        await conn.scalar(
            select(func.count())
            .select_from(RSVPS)
            .where(
                RSVPS.c.event_id == state.event_id,
                RSVPS.c.status == "waitlist",
                (RSVPS.c.queue_seq < seq) | ((RSVPS.c.queue_seq == seq) & (RSVPS.c.id < row_id)),
            )
        )
        or 0
    )
    for other in [r for r in state.rows.values() if r is not None] + state.removed:
        if other is row:
            continue
        was = other.original is not None and other.original[0] == "waitlist" and other.original[1] < row.key
        now = other.status == "waitlist" and other.key < row.key
        ahead += int(now) - int(was)
    return ahead + 1


async def _fill(
    conn: AsyncConnection, state: _EventState, now: datetime, notify: bool
) -> tuple[list[int], list[Notice]]:
    """Promotes the head of the waitlist while there is room; returns who moved up and their notices."""
    assert state.info is not None
    promoted: list[int] = []
    notices: list[Notice] = []
    while state.capacity is None or state.going < state.capacity:
        head = await _waitlist_head(conn, state)
        if head is None:
            break
        head.status = "going"
        head.updated_at = now
        head.dirty = True
        state.waitlist -= 1
        state.going += 1
        promoted.append(head.user_id)
        notice = _notice(head, state.info, "promoted", None, notify)
        if notice:
            notices.append(notice)
    return promoted, notices


async def _set(
    conn: AsyncConnection, state: _EventState, change: SetChange, now: datetime, notify: bool
) -> RsvpOutcome:
    assert state.info is not None
    status, user_id, group_name = change.status, change.user_id, change.group_name
    row = state.rows.get(user_id)
    previous = row.status if row else None
    previous_group = row.group_name if row else None
    if row is None:
        row = _Row(None, user_id, "", status, group_name, now, now, 0, None, None, False, change.source)
        state.rows[user_id] = row
        state.inserted.append(row)
    row.user_name = change.user_name[:100] or row.user_name
    row.group_name = group_name
    row.updated_at = now
    row.source = change.source
    row.dirty = True
    if previous is not None:
        state.count(previous, -1)
    if status == "going" and previous in ("going", "waitlist"):
        pass  # the same answer again (perhaps on another group's announcement): keep the place
    elif status == "going":
        row.queued_at = now
        row.queue_seq = state.next_seq
        state.next_seq += 1
        full = state.capacity is not None and state.going >= state.capacity
        row.status = "waitlist" if full else "going"
    else:
        row.status = status
    state.count(row.status, 1)
    position = await _position(conn, state, row) if row.status == "waitlist" else None
    notices: list[Notice] = []
    if row.status != previous and row.status in ("going", "waitlist"):
        notice = _notice(row, state.info, row.status, position, notify)  # type: ignore[arg-type]
        if notice:
            notices.append(notice)
    promoted: list[int] = []
    if previous == "going" and row.status != "going":
        promoted, more = await _fill(conn, state, now, notify)
        notices.extend(more)
    return RsvpOutcome(
        state.event_id,
        user_id,
        row.status,
        previous,
        group_name,
        previous_group,
        position,
        tuple(promoted),
        tuple(notices),
    )


async def _remove(
    conn: AsyncConnection, state: _EventState, change: RemoveChange, now: datetime, notify: bool
) -> RsvpOutcome:
    event_id, user_id, only_status = state.event_id, change.user_id, change.only_status
    row = state.rows.get(user_id)
    if row is None:
        return RsvpOutcome(event_id, user_id, None, None, None, None)
    meant = {"going": ("going", "waitlist")}.get(only_status or "", (only_status,))
    if (only_status is not None and row.status not in meant) or (
        change.only_group is not None and row.group_name is not None and row.group_name != change.only_group
    ):
        return RsvpOutcome(event_id, user_id, row.status, row.status, row.group_name, row.group_name)
    previous, previous_group = row.status, row.group_name
    state.count(previous, -1)
    state.rows[user_id] = None
    if row.id is None:
        state.inserted.remove(row)
    else:
        state.removed.append(row)
    row.status = ""  # gone: no longer in any count or line
    promoted: list[int] = []
    notices: list[Notice] = []
    if previous == "going":
        promoted, notices = await _fill(conn, state, now, notify)
    return RsvpOutcome(
        event_id, user_id, None, previous, None, previous_group, None, tuple(promoted), tuple(notices)
    )


async def _write(conn: AsyncConnection, state: _EventState, event_id: int) -> None:
    if state.removed:
        await conn.execute(delete(RSVPS).where(RSVPS.c.id.in_([r.id for r in state.removed])))
    updates = [
        {"_id": r.id, **r.values()}
        for r in state.rows.values()
        if r is not None and r.id is not None and r.dirty
    ]
    if updates:
        await conn.execute(_UPDATE_ROW, updates)
    if state.inserted:
        await conn.execute(
            _INSERT_ROWS,
            [
                {"event_id": event_id, "user_id": r.user_id, "dm_failed": r.dm_failed, **r.values()}
                for r in state.inserted
            ],
        )


async def apply_changes(
    session: AsyncSession,
    changes: Sequence[Change],
    now: datetime,
    *,
    default_capacity: int | None = None,
    notify: bool = True,
) -> list[RsvpOutcome | UserError]:
    """Applies `changes` in order in the session's transaction; each gets its outcome or the UserError it raised.

    The result is the same as calling set_rsvp/remove_rsvp for each in turn (RsvpClosed for an event that ended or
    was cancelled, UnknownEvent for one that is gone). Nothing is written if an unexpected error is raised.
    """
    results: list[RsvpOutcome | UserError | None] = [None] * len(changes)
    wanted: dict[int, set[int]] = {}
    for i, change in enumerate(changes):
        if isinstance(change, SetChange) and change.status not in ANSWERS:
            results[i] = UserError(f"`{change.status}` is not an RSVP; choose going, maybe or not_going.")
        else:
            wanted.setdefault(change.event_id, set()).add(change.user_id)
    states = {event_id: _EventState(event_id, None, None) for event_id in wanted}
    await session.flush()  # the caller's pending ORM changes first (nothing to do in the desk)
    conn = await session.connection()  # Core statements on the session's connection, in its transaction
    for event_id in await _lock_events(conn, list(wanted)):
        states[event_id] = await _load(conn, event_id, wanted[event_id], default_capacity)
    for i, change in enumerate(changes):
        if results[i] is not None:
            continue
        state = states[change.event_id]
        if state.info is None:
            results[i] = UnknownEvent(change.event_id)
        elif state.info.cancelled or now >= state.info.ends_at:
            results[i] = RsvpClosed(state.info, cancelled=state.info.cancelled)
        elif isinstance(change, SetChange):
            results[i] = await _set(conn, state, change, now, notify)
        else:
            results[i] = await _remove(conn, state, change, now, notify)
    for event_id, state in states.items():
        if state.info is not None:
            await _write(conn, state, event_id)
    return [r for r in results if r is not None]


async def waitlist_position(session: AsyncSession, row: Rsvp) -> int:
    """1-based place on the waitlist: arrival order (queue_seq), then id for rows migrated without one."""
    ahead = await session.scalar(
        select(func.count())
        .select_from(Rsvp)
        .where(
            Rsvp.event_id == row.event_id,
            Rsvp.status == "waitlist",
            (Rsvp.queue_seq < row.queue_seq) | ((Rsvp.queue_seq == row.queue_seq) & (Rsvp.id < row.id)),
        )
    )
    return int(ahead or 0) + 1


async def _one(
    session: AsyncSession, change: Change, now: datetime, default_capacity: int | None, notify: bool
) -> RsvpOutcome:
    [result] = await apply_changes(session, [change], now, default_capacity=default_capacity, notify=notify)
    if isinstance(result, UserError):
        raise result
    return result


async def set_rsvp(
    session: AsyncSession,
    event_id: int,
    user_id: int,
    user_name: str,
    status: Answer,
    group_name: str | None,
    now: datetime,
    *,
    default_capacity: int | None = None,
    notify: bool = True,
    source: str = "reaction",
) -> RsvpOutcome:
    """The member's answer is now `status` (latest wins); "going" on a full event joins the waitlist."""
    change = SetChange(event_id, user_id, user_name, status, group_name, source)
    return await _one(session, change, now, default_capacity, notify)


async def remove_rsvp(
    session: AsyncSession,
    event_id: int,
    user_id: int,
    now: datetime,
    *,
    only_status: Answer | None = None,
    only_group: str | None = None,
    default_capacity: int | None = None,
    notify: bool = True,
) -> RsvpOutcome:
    """Withdraws the member's RSVP; with `only_status`/`only_group` only if it is the one a removed reaction meant.

    (When the bot removes a member's old reaction after they switched, Discord reports that removal too; it
    must not undo the new answer.) A going member leaving frees a place for the head of the waitlist.
    """
    change = RemoveChange(event_id, user_id, only_status, only_group)
    return await _one(session, change, now, default_capacity, notify)


async def mark_dm_failed(session: AsyncSession, event_id: int, user_id: int) -> None:
    """The member's DMs are closed: stop trying for this event (their RSVP is unaffected)."""
    await session.execute(
        update(Rsvp).where(Rsvp.event_id == event_id, Rsvp.user_id == user_id).values(dm_failed=True)
    )


async def list_rsvps(session: AsyncSession, event_id: int) -> list[RsvpRow]:
    """Everyone who answered: going, waitlist (in order, with places), maybe, not going."""
    rows = (
        await session.scalars(select(Rsvp).where(Rsvp.event_id == event_id).order_by(Rsvp.queue_seq, Rsvp.id))
    ).all()
    order = {"going": 0, "waitlist": 1, "maybe": 2, "not_going": 3}
    out: list[RsvpRow] = []
    place = 0
    for row in sorted(rows, key=lambda r: order.get(r.status, 4)):  # stable: keeps arrival order
        position = None
        if row.status == "waitlist":
            place += 1
            position = place
        out.append(RsvpRow(row.user_id, row.user_name, row.status, row.group_name, position))
    return out


@dataclass(frozen=True)
class MyRsvp:
    event: Event
    status: str
    position: int | None


async def my_rsvps(session: AsyncSession, user_id: int, now: datetime) -> list[MyRsvp]:
    """The member's answers for events not yet over, soonest first."""
    rows = (
        await session.execute(
            select(Rsvp, Event)
            .join(Event, Event.id == Rsvp.event_id)
            .where(Rsvp.user_id == user_id, Event.ends_at > now)
            .order_by(Event.starts_at, Event.slug)
        )
    ).all()
    out = []
    for rsvp, event in rows:
        position = await waitlist_position(session, rsvp) if rsvp.status == "waitlist" else None
        out.append(MyRsvp(event, rsvp.status, position))
    return out


async def reconcile(
    session: AsyncSession,
    event_id: int,
    observed: Mapping[int, Observed | Sequence[Observed]],
    now: datetime,
    *,
    default_capacity: int | None = None,
    notify: bool = True,
) -> ReconcileSummary:
    """Brings the event's RSVPs in line with the reactions on its announcements.

    Members with no RSVP reaction lose their RSVP (unless they answered with /rsvp); a member's reactions are
    judged by `choose_observed` (several different ones: the rule there), and a differing answer is applied, in
    the order of `observed` (Discord does not say when a reaction was made while the bot was away; callers pass
    user-id order). A waitlisted member whose ✅ is still there keeps their place. A member who had several
    different reactions gets one DM saying what was recorded and why, instead of the usual going/waitlist one.
    """
    summary = ReconcileSummary(event_id)
    event = await lock_event(session, event_id, now)
    rows = (
        await session.execute(
            select(Rsvp.user_id, Rsvp.status, Rsvp.source, Rsvp.group_name, Rsvp.dm_failed).where(
                Rsvp.event_id == event_id
            )
        )
    ).all()
    existing = {row.user_id: row.status for row in rows}
    groups = {row.user_id: row.group_name for row in rows}
    by_command = {row.user_id for row in rows if row.source == "command"}
    silent = {row.user_id for row in rows if row.dm_failed}
    choices = {
        user_id: choose_observed(
            [seen] if isinstance(seen, Observed) else seen,
            existing.get(user_id),
            groups.get(user_id),
        )
        for user_id, seen in observed.items()
    }
    changes: list[Change] = [
        RemoveChange(event_id, user_id) for user_id in sorted(set(existing) - set(observed) - by_command)
    ]
    for user_id, choice in choices.items():
        status, seen = existing.get(user_id), choice.kept
        if status == seen.status or (status == "waitlist" and seen.status == "going"):
            continue
        changes.append(SetChange(event_id, user_id, seen.user_name, seen.status, seen.group_name))
    results = await apply_changes(session, changes, now, default_capacity=default_capacity, notify=notify)
    final: dict[int, RsvpOutcome] = {}
    for change, result in zip(changes, results, strict=True):
        if isinstance(result, UserError):
            raise result
        if isinstance(change, RemoveChange):
            summary.removed += 1
        elif existing.get(change.user_id) is None:
            summary.added += 1
        else:
            summary.changed += 1
        summary.promoted += len(result.promoted)
        summary.outcomes.append(result)
        final[result.user_id] = result
    told: set[int] = set()
    for user_id, choice in choices.items():
        if not choice.superseded and not choice.conflict:
            continue
        outcome = final.get(user_id)
        status = outcome.status if outcome is not None else existing.get(user_id)
        summary.conflicts.append(Conflict(user_id, choice, status))
        if choice.conflict and notify and user_id not in silent:
            told.add(user_id)
            position = outcome.position if outcome is not None else None
            summary.notices.append(
                Notice(
                    user_id, "reconciled", event_id, event.title, position, choice.seen, status, choice.rule
                )
            )
    summary.notices[:0] = [
        n
        for o in summary.outcomes
        for n in o.notices
        if not (n.user_id in told and n.kind in ("going", "waitlist"))
    ]
    return summary


# how cautious an answer is: a seat should not be held for someone who may have said no
_CAUTION: dict[str, int] = {"not_going": 0, "maybe": 1, "going": 2}


def choose_observed(
    seen: Sequence[Observed], current: str | None, current_group: str | None = None
) -> Choice:
    """Which of a member's RSVP reactions counts, when reconciliation finds them (the bot was away).

    Discord does not say in which order reactions were made, but while the bot runs it removes a member's
    superseded reaction, so one that differs from the stored answer was made while it was away:
    - one answer present: that one ("only");
    - a stored answer and exactly one other answer present: the other one is the newer intent ("newer");
    - several other answers (order unknown), or no stored answer: the most cautious of them, not going over
      maybe over going, since a seat should not be held for someone who may have said no ("cautious");
    - where the bot cannot remove reactions (no Manage Messages), leftovers of earlier answers are normal and
      tell nothing, so a stored answer that is present is kept ("stored").
    The reactions of the other answers (and the same answer on another group's announcement) are superseded.
    """
    if current == "waitlist":
        current = "going"
    statuses = {s.status for s in seen}
    ordered = tuple(a for a in ANSWERS if a in statuses)
    rule: Rule
    if len(statuses) == 1:
        status, rule = ordered[0], "only"
    elif current in statuses and not all(s.removable for s in seen):
        status, rule = current, "stored"
    else:
        candidates = statuses - {current} if current in statuses else statuses
        if current in statuses and len(candidates) == 1:
            (status,), rule = candidates, "newer"
        else:
            status, rule = min(candidates, key=_CAUTION.__getitem__), "cautious"
    mine = [s for s in seen if s.status == status]
    kept = next((s for s in mine if s.group_name == current_group), mine[0])
    superseded = () if rule == "stored" else tuple(s for s in seen if s is not kept)
    return Choice(kept, superseded, rule, ordered)
