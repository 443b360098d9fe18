"""Coalesced announcement refreshes: a burst of RSVPs becomes a few edits, and the last one is exact.

Per event: the first change refreshes at once; changes within `interval` seconds of the end of the last refresh wait
for one refresh at the end of that interval (a trailing edit that reads the counts then, so it shows the final
figures). Counting from the end, not the start, keeps edits `interval` apart however long each one took to land.
A change that lands while a refresh is running schedules one more. Timing is the asyncio loop's clock.

A refresh that could not show the counts (a 5xx, a timeout, a lost answer) raises `RetryLater`; it is run again
after a backoff (the interval, at least 1 s, doubling up to 5 minutes) until it succeeds, so a failed edit never
leaves the announcement stale until the next RSVP. The refresh itself stops asking once the event is over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

Refresh = Callable[[int], Awaitable[None]]
MAX_BACKOFF = 300.0


class RetryLater(Exception):
    """Raised by a refresh that did not get the counts shown and should be tried again."""


@dataclass
class _State:
    last_start: float | None = None
    last_end: float | None = None
    dirty: bool = False
    task: asyncio.Task[None] | None = None
    runs: list[float] = field(default_factory=list)
    failures: int = 0
    refreshing: bool = False  # inside refresh(): close() lets it finish


class Coalescer:
    """`poke(event_id)` after every committed change; `refresh(event_id)` runs at most once per `interval`."""

    def __init__(self, refresh: Refresh, interval: float = 2.0, *, max_backoff: float = MAX_BACKOFF) -> None:
        self._refresh = refresh
        self.interval = interval
        self.max_backoff = max_backoff
        self._events: dict[int, _State] = {}

    def backoff(self, failures: int) -> float:
        """The wait after `failures` failed refreshes in a row: the interval (at least 1 s), doubling."""
        return float(min(max(self.interval, 1.0) * 2.0 ** (failures - 1), self.max_backoff))

    def poke(self, event_id: int) -> None:
        state = self._events.setdefault(event_id, _State())
        state.dirty = True
        if state.task is None or state.task.done():
            state.task = asyncio.create_task(self._drain(event_id, state), name=f"rsvp-refresh-{event_id}")

    def runs(self, event_id: int) -> list[float]:
        """Loop times at which refreshes of `event_id` started (for tests and the benchmark)."""
        state = self._events.get(event_id)
        return list(state.runs) if state else []

    async def idle(self) -> None:
        """Until no refresh is pending or running."""
        while tasks := [s.task for s in self._events.values() if s.task is not None and not s.task.done()]:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def close(self, grace: float = 3.0) -> None:
        """Refreshes in hand finish (within `grace` seconds: their database writes are not cut in half);
        those only waiting for their turn are cancelled."""
        busy = [s.task for s in self._events.values() if s.task is not None and s.refreshing]
        for state in self._events.values():
            if state.task is not None and not state.refreshing:
                state.task.cancel()
        if busy:
            await asyncio.wait(busy, timeout=grace)
        for state in self._events.values():
            if state.task is not None:
                state.task.cancel()
        await asyncio.gather(
            *(s.task for s in self._events.values() if s.task is not None), return_exceptions=True
        )

    async def _drain(self, event_id: int, state: _State) -> None:
        loop = asyncio.get_running_loop()
        while state.dirty:
            if state.last_end is not None:
                pause = self.backoff(state.failures) if state.failures else self.interval
                wait = state.last_end + pause - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
            state.dirty = False
            state.last_start = loop.time()
            state.runs.append(state.last_start)
            state.refreshing = True
            try:
                await self._refresh(event_id)
                state.failures = 0
            except RetryLater as exc:
                state.failures += 1
                state.dirty = True  # shown counts are stale: try again after the backoff
                log.warning(
                    "the announcements of event %s do not show the current RSVP counts (%s); "
                    "trying again in %g s",
                    event_id,
                    exc,
                    self.backoff(state.failures),
                )
            except Exception:
                state.failures = 0
                log.exception("refreshing the announcements of event %s failed", event_id)
            finally:
                state.refreshing = False
                state.last_end = loop.time()
