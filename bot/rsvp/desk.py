"""RsvpDesk: every RSVP change goes through one ordered queue, applied in batches by one worker.

Why a queue: "arrival order" must be the order the gateway delivered the reactions. Listeners enqueue
synchronously (no await before `submit`), so the queue order is the gateway order, and the waitlist is served in
exactly that order. Why batches: under a burst (2,000 reactions in a second) the worker applies everything that
has piled up in one transaction, so the database sees a few commits instead of thousands. Reconciliation runs as a
job in the same queue, so a snapshot of the reactions is never overtaken by older live events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.errors import UserError
from bot.rsvp import announcements as ledger
from bot.rsvp.announcements import Announcement
from bot.rsvp.service import (
    Answer,
    Change,
    Observed,
    ReconcileSummary,
    RemoveChange,
    RsvpClosed,
    RsvpOutcome,
    SetChange,
    apply_changes,
    reconcile,
)

log = logging.getLogger(__name__)
MAX_BATCH = 500
CLOSE_GRACE = 3.0  # seconds a shutdown waits for the job in hand (a container stop allows 10 in all)


@dataclass(frozen=True)
class ReactionJob:
    """A member added or removed an RSVP emoji on some message (maybe not an announcement)."""

    message_id: int
    user_id: int
    user_name: str
    status: Answer
    added: bool


@dataclass(frozen=True)
class CommandJob:
    """/rsvp: the same as reacting on the group's announcement."""

    event_id: int
    user_id: int
    user_name: str
    status: Answer
    group_name: str


# what reconciliation sees on the announcements: event id -> user id -> every RSVP reaction the member left
Observation = dict[int, dict[int, list[Observed]]]
Observer = Callable[[Sequence[Announcement]], Awaitable[Observation]]


@dataclass(frozen=True)
class ReconcileJob:
    observe: Observer


Job = ReactionJob | CommandJob | ReconcileJob


@dataclass
class Handled:
    """What a reaction or command did, for the Discord side to act on (reactions to remove, DMs, edits)."""

    job: ReactionJob | CommandJob
    announcement: Announcement | None = None
    outcome: RsvpOutcome | None = None
    closed: RsvpClosed | None = None
    # where the member's previous answer's reaction sits (to remove it), if it differs from this one
    previous_announcement: Announcement | None = None
    received: float = 0.0
    committed: float = 0.0

    @property
    def ignored(self) -> bool:
        return self.outcome is None and self.closed is None


@dataclass
class _Item:
    job: Job
    future: asyncio.Future[Any]
    received: float = field(default_factory=time.perf_counter)


class RsvpDesk:
    """Owns the queue and its worker; `submit` from listeners and commands, `close` on shutdown."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        default_capacity: int | None = None,
        notify: bool = True,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._default_capacity = default_capacity
        self._notify = notify
        self._max_batch = max_batch
        self._pending: deque[_Item] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()  # set while the worker is between jobs
        self._idle.set()
        self._worker: asyncio.Task[None] | None = None
        self._by_message: dict[int, Announcement] = {}
        # reactions this process superseded (message id, user id, answer): the bot removes them, and until their
        # removal is seen they are leftovers, not a member's new intent, for reconciliation to ignore
        self._superseded: set[tuple[int, int, Answer]] = set()
        self.batches = 0

    def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name="rsvp-desk")

    async def close(self, grace: float = CLOSE_GRACE) -> None:
        """Lets the job in hand finish (its transaction is never cut in half: a cancelled one could leave
        the database locked), then stops; jobs not started are dropped, as reconciliation recovers them."""
        if self._worker is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), grace)
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        while self._pending:
            item = self._pending.popleft()
            if not item.future.done():
                item.future.cancel()

    async def warm(self) -> int:
        """Remembers the announcements of events still open, so a reaction costs no look-up of its message."""
        async with self._sessions() as session:
            found = await ledger.upcoming_announcements(session, self._clock.now())
        for announcement in found:
            self._by_message.setdefault(announcement.message_id, announcement)
        return len(found)

    def submit(self, job: Job) -> asyncio.Future[Any]:
        """Queues `job` now (no await: the queue keeps the caller's order); the future gets its result."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append(_Item(job, future))
        self._wake.set()
        return future

    @property
    def backlog(self) -> int:
        return len(self._pending)

    async def _run(self) -> None:
        while True:
            if not self._pending:
                self._wake.clear()
                await self._wake.wait()
                continue
            self._idle.clear()
            try:
                await self._next()
            finally:
                self._idle.set()

    async def _next(self) -> None:
        first = self._pending.popleft()
        if isinstance(first.job, ReconcileJob):
            await self._settle(first, self._reconcile(first.job))
            return
        batch = [first]
        while self._pending and len(batch) < self._max_batch:
            if isinstance(self._pending[0].job, ReconcileJob):
                break
            batch.append(self._pending.popleft())
        await self._apply(batch)

    async def _settle(self, item: _Item, work: Awaitable[Any]) -> None:
        try:
            result = await work
        except Exception as exc:
            if not isinstance(exc, UserError):
                log.exception("RSVP job failed: %r", item.job)
            if not item.future.done():
                item.future.set_exception(exc)
            return
        if not item.future.done():
            item.future.set_result(result)

    async def _apply(self, batch: list[_Item]) -> None:
        """One transaction for the whole batch; if it fails, each job again on its own so one bad job loses none."""
        try:
            async with self._sessions.begin() as session:
                results = await self._many(session, batch)
        except Exception:
            if len(batch) == 1:
                await self._settle(batch[0], self._fail(batch[0]))
                return
            log.exception("RSVP batch of %d failed; applying its jobs one by one", len(batch))
            for item in batch:
                await self._apply([item])
            return
        self.batches += 1
        committed = time.perf_counter()
        for item, result in zip(batch, results, strict=True):
            if item.future.done():
                continue
            if isinstance(result, UserError):
                item.future.set_exception(result)
            else:
                result.committed = committed
                item.future.set_result(result)

    async def _fail(self, item: _Item) -> None:
        async with self._sessions.begin() as session:
            [result] = await self._many(session, [item])
        if isinstance(result, UserError):
            raise result
        result.committed = time.perf_counter()
        return None if item.future.done() else item.future.set_result(result)

    async def _many(self, session: AsyncSession, items: Sequence[_Item]) -> list[Handled | UserError]:
        """Applies the jobs in order, in one call of the batched service (each event locked and read once)."""
        now = self._clock.now()
        handled: list[Handled] = []
        changes: list[Change] = []
        applied: list[int] = []  # index in `handled` of each change
        for item in items:
            job = item.job
            assert not isinstance(job, ReconcileJob)
            one = Handled(job, received=item.received)
            handled.append(one)
            if isinstance(job, CommandJob):
                change: Change = SetChange(
                    job.event_id, job.user_id, job.user_name, job.status, job.group_name, "command"
                )
            else:
                announcement = await self._announcement(session, job.message_id)
                if announcement is None:
                    continue
                one.announcement = announcement
                self._superseded.discard((job.message_id, job.user_id, job.status))  # added again, or gone
                if job.added:
                    change = SetChange(
                        announcement.event_id, job.user_id, job.user_name, job.status, announcement.group_name
                    )
                else:
                    change = RemoveChange(
                        announcement.event_id, job.user_id, job.status, announcement.group_name
                    )
            changes.append(change)
            applied.append(len(handled) - 1)
        results = await apply_changes(
            session, changes, now, default_capacity=self._default_capacity, notify=self._notify
        )
        out: list[Handled | UserError] = list(handled)
        of_event: dict[int, list[Announcement]] = {}
        for index, result in zip(applied, results, strict=True):
            one = handled[index]
            if isinstance(result, RsvpClosed) and isinstance(one.job, ReactionJob):
                one.closed = result
            elif isinstance(result, UserError):
                out[index] = result
            else:
                one.outcome = result
                previous = await self._previous(session, one.job, result, of_event)
                one.previous_announcement = previous
                if previous is not None and result.previous is not None:
                    answer: Answer = "going" if result.previous == "waitlist" else result.previous  # type: ignore[assignment]
                    self._superseded.add((previous.message_id, one.job.user_id, answer))
        return out

    async def _announcement(self, session: AsyncSession, message_id: int) -> Announcement | None:
        found = self._by_message.get(message_id)
        if found is None:
            found = await ledger.announcement_for_message(session, message_id)
            if found is not None:
                self._by_message[message_id] = found
        return found

    async def _previous(
        self,
        session: AsyncSession,
        job: ReactionJob | CommandJob,
        outcome: RsvpOutcome,
        of_event: dict[int, list[Announcement]],
    ) -> Announcement | None:
        """The announcement carrying the member's previous answer, when that reaction should now go."""
        if outcome.previous is None or outcome.previous_group is None:
            return None
        if isinstance(job, ReactionJob) and not job.added:
            return None
        same_emoji = outcome.previous == job.status or (
            outcome.previous == "waitlist" and job.status == "going"
        )
        if same_emoji and outcome.previous_group == outcome.group_name:
            return None
        found = of_event.get(outcome.event_id)
        if found is None:
            found = of_event[outcome.event_id] = await ledger.announcements_of_event(
                session, outcome.event_id
            )
        for announcement in found:
            self._by_message.setdefault(announcement.message_id, announcement)
            if announcement.group_name == outcome.previous_group:
                return announcement
        return None

    async def _reconcile(self, job: ReconcileJob) -> list[ReconcileSummary]:
        now = self._clock.now()
        async with self._sessions() as session:
            found = await ledger.upcoming_announcements(session, now)
        for announcement in found:
            self._by_message.setdefault(announcement.message_id, announcement)
        observation = self._without_superseded(await job.observe(found))
        summaries: list[ReconcileSummary] = []
        async with self._sessions.begin() as session:
            for event_id in sorted({a.event_id for a in found}):
                if event_id not in observation:
                    continue  # its announcements could not be read: leave its RSVPs alone
                try:
                    summary = await reconcile(
                        session,
                        event_id,
                        dict(sorted(observation[event_id].items())),
                        now,
                        default_capacity=self._default_capacity,
                        notify=self._notify,
                    )
                except RsvpClosed:
                    continue
                summaries.append(summary)
                for conflict in summary.conflicts:
                    for seen in conflict.choice.superseded:
                        self._superseded.add((seen.message_id, conflict.user_id, seen.status))
        return summaries

    def _without_superseded(self, observation: Observation) -> Observation:
        """Leaves out reactions this process already superseded (their removal may still be on its way)."""
        if not self._superseded:
            return observation
        out: Observation = {}
        for event_id, members in observation.items():
            kept: dict[int, list[Observed]] = {}
            for user_id, seen in members.items():
                mine = [s for s in seen if (s.message_id, user_id, s.status) not in self._superseded]
                if mine:
                    kept[user_id] = mine
            out[event_id] = kept
        return out
