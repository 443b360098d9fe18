"""APScheduler owns the timer: one job that wakes the scheduler at its next due time, re-armed after every run.

Due times come from the injected clock; the job runs after the same delay in real time, so a clock that
only moves when a test says so never makes the timer fire early.

A wake-up is never dropped: APScheduler skips a job that runs more than `misfire_grace_time` late (1 s by
default: a busy machine, a blocked loop) and one whose previous run is still going (`max_instances`), and a
skipped date job is gone. So the jobs run however late (coalesced into one run), and the wake-up job only
starts a pass as a task of our own and returns; the scheduler's lock puts passes one after another, and
`run_due` posts what the ledger owes when it runs (marked late, or skipped once it no longer makes sense).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.clock import Clock
from bot.schedule.service import Scheduler

log = logging.getLogger(__name__)

WAKE = "wake"
RESYNC = "resync"


DEFAULT_RESYNC = timedelta(minutes=5)


class Timer:
    """Drives a Scheduler in production: wakes it when something is due, and every few minutes (events_dir;
    `events_repo.poll_interval` for a repository) syncs the events again and replans, so files added,
    edited or removed while the bot runs are acted on. `resync_soon` does it at once (the git webhook)."""

    def __init__(self, scheduler: Scheduler, clock: Clock, *, resync_every: timedelta | None = None) -> None:
        self._scheduler = scheduler
        self._clock = clock
        repo = scheduler.config.events_repo
        if resync_every is None:
            resync_every = repo.poll_interval if repo is not None else DEFAULT_RESYNC
        self._resync_every = resync_every
        self._aps: AsyncIOScheduler | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._soon: asyncio.Task[None] | None = None  # a resync asked for by resync_soon, running
        self._again = False  # asked for again while it ran: one more pass after it
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._aps is not None

    def start(self) -> None:
        self._stopping = False
        self._aps = AsyncIOScheduler(timezone=UTC)
        self._aps.add_job(
            self._spawn,
            "interval",
            seconds=self._resync_every.total_seconds(),
            id=RESYNC,
            args=[True],
            coalesce=True,
            max_instances=1,  # an import still running when the next is due: that one is enough
            misfire_grace_time=None,
        )
        self._aps.start()
        self._scheduler.on_change = self.arm
        self.arm()
        if self._again:  # asked for before the bot was connected
            self._again = False
            self.resync_soon()

    @property
    def resync_every(self) -> timedelta:
        return self._resync_every

    @property
    def resync_pending(self) -> bool:
        """A resync asked for by `resync_soon` is running or still to come."""
        return self._again or (self._soon is not None and not self._soon.done())

    def resync_soon(self) -> None:
        """A resync now, as a task (returns at once). Asked for again while one runs (several pushes in a
        row), one more follows it, however many asked: each sync takes everything pushed until it starts."""
        if self._stopping:
            return
        if self._aps is None:  # not started yet: done when the timer starts
            self._again = True
            return
        if self._soon is not None and not self._soon.done():
            self._again = True
            return
        self._again = False
        self._soon = asyncio.create_task(self._resync_until_caught_up(), name="scheduler-resync-now")
        self._tasks.add(self._soon)
        self._soon.add_done_callback(self._tasks.discard)

    async def _resync_until_caught_up(self) -> None:
        while True:
            await self._spawn(True)
            if not self._again or self._stopping:
                return
            self._again = False

    def arm(self) -> None:
        """(Re)place the wake-up job at the scheduler's next due time."""
        if self._aps is None:
            return
        due = self._scheduler.next_due()
        if due is None:
            if self._aps.get_job(WAKE) is not None:
                self._aps.remove_job(WAKE)
            return
        delay = max(0.0, (due - self._clock.now()).total_seconds())
        run_at = datetime.now(UTC) + timedelta(seconds=min(delay, 365 * 86400))
        self._aps.add_job(
            self._wake,
            DateTrigger(run_at, timezone=UTC),
            id=WAKE,
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=None,  # however late the loop gets to it, it runs: the ledger still owes posts
        )

    def next_wake(self) -> datetime | None:
        """When (real time, UTC) the wake-up job is to run; None if nothing is due."""
        job = self._aps.get_job(WAKE) if self._aps is not None else None
        when: datetime | None = job.next_run_time if job is not None else None
        return when

    async def _wake(self) -> None:
        """The wake-up job: starts the pass and returns at once, so APScheduler never counts it as still
        running (a wake-up armed by the pass itself would be skipped for max_instances, and lost)."""
        task = asyncio.create_task(self._spawn(False), name="scheduler-pass")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _spawn(self, resync: bool) -> None:
        """A pass (the resync job, or a task of `_wake`); we keep them to await on stop."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        try:
            if resync:  # the events synced again, everything replanned, and what that makes due posted
                await self._scheduler.resync()
            else:
                await self._scheduler.run_due()
        except Exception:  # the next wake-up tries again; the ledger keeps what was done
            log.exception("scheduled posting failed")
            self.arm()

    async def stop(self) -> None:
        """Stop the timer and wait for a pass in progress (each post's outcome is recorded in its own transaction)."""
        self._scheduler.on_change = None
        self._stopping = True
        if self._aps is None:
            return
        self._aps.pause()  # no new pass starts; the one running finishes (APScheduler would cancel it)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._aps.shutdown(wait=False)
        self._aps = None
