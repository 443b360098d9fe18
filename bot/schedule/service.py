"""The scheduler's core: what is due now, claimed in the ledger, handed to a publisher, outcome recorded.

Knows nothing about Discord: a `Publisher` does the sending. The database is the truth; the in-memory
queue is only the plan minus the ledger, rebuilt at start-up and after each import.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.catalog.importer import import_paths
from bot.catalog.removal import (
    RemovalResult,
    mark_removed,
    refusal_line,
    removal_line,
    restored_line,
)
from bot.checkin.forecast import forecast_message
from bot.clock import Clock
from bot.config import AnnouncementsConfig, Config, GroupConfig
from bot.db.models import Event, EventGroup, Post
from bot.errors import UserError
from bot.metrics import Metrics, kind_label
from bot.rsvp.service import mark_dm_failed
from bot.schedule import ledger
from bot.schedule.facts import upcoming_facts
from bot.schedule.plan import (
    ANNOUNCEMENT,
    LATE_PREFIX,
    SCHEDULED_EVENT,
    EventFacts,
    PlannedPost,
    announcement_text,
    is_dm,
    is_forecast,
    is_late,
    order_of,
    plan_event,
)
from bot.schedule.sync import SyncResult, mark_current, reconcile, snapshot_of, stale_posts

if TYPE_CHECKING:
    from bot.repo.sync import RepoSyncReport

log = logging.getLogger(__name__)

# the longest text Discord takes in one message is 2000 characters; a summary is cut well before
SUMMARY_LIMIT = 1900
NO_EVENTS_REPO = (
    "This bot reads its events from `events_dir`, not from a git repository, so there is nothing to sync. "
    "To follow the group's repository, set `events_repo` (url, branch, path) in the bot's config.yaml "
    "and restart it."
)


class AnnounceRefused(UserError):
    """/announce cannot do what was asked; the message says why and what to do instead."""


# Discord dedupes a repeated nonce for "the past few minutes" (message.mdx); after that, a retry looks first
NONCE_WINDOW = timedelta(minutes=3)
# DMs go out over this many senders at once (each member's DMs in order), not one task per member
DM_LANES = 8


class PublishError(Exception):
    """Discord refused or failed a post; `message` says why, for the ledger and the organizers."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class Undeliverable(PublishError):
    """A DM the member does not accept (closed DMs): recorded, never retried, nobody to alarm."""


class Publisher(Protocol):
    async def publish(self, post: Post, event: Event, reply_to: int | None) -> int | None:
        """Send `post` (its text is in post.snapshot["text"]); returns the message or Discord event id."""
        ...

    async def update(self, post: Post, event: Event) -> None:
        """Edit an announcement or Discord event to show the event as it is now."""
        ...

    async def find_sent(self, post: Post, reply_to: int | None) -> list[int]:
        """Messages this bot posted in the post's channel that could be `post` (the same text, replying to
        `reply_to` or nothing), oldest first; the caller takes one no other ledger row holds."""
        ...

    async def report(self, group_name: str, text: str, *, level: int = logging.ERROR) -> None:
        """Tell the group's organizers (its log channel) something: by default that something could not be
        posted; `level` is how the log records it."""
        ...


@dataclass
class RunReport:
    """What one pass did, as `slug kind #channel` lines."""

    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)


def planned_posts(
    config: Config, facts: Iterable[EventFacts], generations: dict[tuple[int, int], int]
) -> list[PlannedPost]:
    """The plan for many events (every hosting group configured here), in no particular order."""
    zone = ZoneInfo(config.timezone)
    groups: dict[str, tuple[GroupConfig, AnnouncementsConfig] | None] = {}
    posts: list[PlannedPost] = []
    for event in facts:
        for name in event.groups:
            if name not in groups:
                group = config.group_named(name)
                groups[name] = (group, config.announcements_for(group)) if group else None
            found = groups[name]
            if found is None:
                continue
            group, settings = found
            generation = generations.get((event.id, group.announce_channel_id), 0)
            posts.extend(plan_event(event, group, settings, zone, generation))
    return posts


def horizon(config: Config) -> timedelta:
    """How long before its start an event's first post can fall due (plus slack for calendar days)."""
    longest = timedelta(0)
    for group in config.groups:
        settings = config.announcements_for(group)
        agenda = settings.agenda
        longest = max(
            longest, settings.lead_time, *settings.reminders, agenda.before_item, agenda.before_main
        )
    return longest + timedelta(days=2)


def _label(post: Post | PlannedPost, slug: str) -> str:
    """`slug kind #channel`, or `slug kind @member` for a DM (whose channel_id is the member's id)."""
    return f"{slug} {post.kind} {'@' if is_dm(post.kind) else '#'}{post.channel_id}"


def _lane(post: Post) -> int:
    """Posts sent one after another: per channel (its order matters), DMs spread over DM_LANES senders."""
    return -(post.channel_id % DM_LANES) - 1 if is_dm(post.kind) else post.channel_id


class Scheduler:
    """Runs what is due: call `run_due()` after the clock moved (the timer does it in production)."""

    def __init__(
        self,
        config: Config,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        publisher: Publisher | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.clock = clock
        self.publisher = publisher
        self.metrics = metrics or Metrics()
        self.on_change: Callable[[], None] | None = None
        self._queue: list[PlannedPost] = []
        self._facts: dict[int, EventFacts] = {}
        self._far: list[tuple[datetime, int]] = []  # (when to plan it, event id), for events far ahead
        self._next_retry: datetime | None = None
        self._built = False
        self._lock = asyncio.Lock()
        self._write = asyncio.Lock()
        self._import_problems: set[str] = set()  # of the last periodic import: each is logged once
        # the events_dir condition that stopped removals, last logged and told (None: all was well)
        self._guard_condition: str | None = None
        self._noted_removals: RemovalResult | None = None  # from the start-up import, told at rebuild
        self._noted_sync: RepoSyncReport | None = None  # the start-up sync's summary, told at rebuild
        self._repo_outage: str | None = None  # the events repository could not be synced: logged once
        self._told_failures: tuple[str | None, set[str]] = (None, set())  # (commit, failed lines told)
        self._syncing = asyncio.Lock()  # one sync of the clone at a time in this process
        self.repo_syncs = 0  # repository syncs started (the webhook, polls, /sync), for tests and the log

    # -- the plan ----------------------------------------------------------------------------

    async def rebuild(self) -> int:
        """Plan every upcoming event again from the database; returns how many posts are still owed."""
        noted, self._noted_removals = self._noted_removals, None
        if noted is not None:
            await self.removals_checked(noted, logged=True)
        synced, self._noted_sync = self._noted_sync, None
        if synced is not None:
            await self._summarize(synced)
        async with self._lock:
            await self._rebuild()
        self._changed()
        return len(self._queue)

    async def _rebuild(self) -> None:
        """Plan the events whose first post may come within the horizon; the rest wait in `_far`.

        Changes recorded while nobody looked (the bot was down, another process imported) become their
        notices here, so the timer wakes for them at once rather than when some other post falls due.
        """
        now = self.clock.now()
        reach = horizon(self.config)
        async with self._write, self.sessions.begin() as session:
            sync = await reconcile(session, now)
        _log_sync(sync)
        async with self.sessions() as session:
            rows = await session.execute(select(Event.id, Event.starts_at).where(Event.ends_at > now))
            near: set[int] = set()
            far: list[tuple[datetime, int]] = []
            for event_id, starts_at in rows:
                plan_from = starts_at - reach
                if plan_from <= now:
                    near.add(event_id)
                else:
                    far.append((plan_from, event_id))
            self._next_retry = await self._earliest_retry(session)
        far.sort()
        self._far = far
        self._facts = {}
        self._queue = []
        self._built = True
        if near:
            await self._replan(near)

    def _take_near(self, now: datetime) -> set[int]:
        """Events whose horizon has come: they get planned now."""
        cut = bisect.bisect_right(self._far, (now, 2**63))
        taken, self._far = self._far[:cut], self._far[cut:]
        return {event_id for _, event_id in taken}

    async def _replan(self, event_ids: set[int]) -> None:
        async with self.sessions() as session:
            facts = await upcoming_facts(session, self.clock.now(), sorted(event_ids))
            done = await ledger.keys_for(session, sorted(event_ids))
            generations = await ledger.generations(session, sorted(event_ids))
        for fact in facts:
            self._facts[fact.id] = fact
        fresh = [p for p in planned_posts(self.config, facts, generations) if p.key not in done]
        kept = [p for p in self._queue if p.event_id not in event_ids]
        self._queue = sorted(kept + fresh, key=lambda p: p.due_at)

    async def resync(self) -> RunReport:
        """The periodic pass: sync the events repository (`events_repo`) or import events_dir again (new,
        changed and removed files), plan everything again from the database, and post what that makes due
        (an announcement, a cancellation, a notice) in this pass."""
        _, report = await self._resync()
        return report

    async def sync_now(self) -> RepoSyncReport:
        """/sync: the same pass as `resync`, at once; returns what the repository sync did."""
        if self.config.events_repo is None:
            raise UserError(NO_EVENTS_REPO)
        synced, _ = await self._resync()
        assert synced is not None
        return synced

    async def _resync(self) -> tuple[RepoSyncReport | None, RunReport]:
        synced = None
        if self.config.events_repo is not None:
            synced = await self.sync_repository()
            await self.write_back_due()
        else:
            await self.import_events()
        async with self._lock:
            await self._rebuild()
            report = await self._run()
        self._changed()
        return synced, report

    async def sync_repository(self) -> RepoSyncReport:
        """Fetch the events repository and import what changed (bot.repo.sync); the outcome is logged (an
        outage once) and a change summarised to the organizers. No plan is made here: `resync` does it."""
        from bot.repo.sync import sync_repository  # git and the diff logic only when a repository is used

        self.repo_syncs += 1
        async with self._syncing:
            report = await sync_repository(self.config, self.sessions, self.clock)
        await self.repo_synced(report)
        return report

    async def write_back_due(self) -> list[str]:
        """The morning after each event, its totals committed into the clone (bot.repo.writeback_job);
        each line is told to the organizers. A failure here never stops the pass that follows."""
        from bot.repo.writeback_job import write_back_due

        try:
            async with self._syncing:  # not while a sync moves the clone
                lines = await write_back_due(self.config, self.sessions, self.clock)
        except Exception:
            log.exception("the morning-after write-back failed; it is tried again on the next pass")
            return []
        for line in lines:
            for group in self.config.groups:
                await self._report(group.name, fit(f"📝 {line}"), level=logging.INFO)
        return lines

    def note_repo_sync(self, report: RepoSyncReport) -> None:
        """The start-up sync (already printed): an outage is not logged again by the next poll, and a
        change is told to the organizers at `rebuild`, once the bot is connected."""
        if report.error is not None:
            self._repo_outage = report.error
            return
        self._told_failures = (report.commit, set(report.failed))
        self._noted_sync = report

    async def repo_synced(self, report: RepoSyncReport) -> None:
        """Log a sync: an unreachable repository once per outage (and when it is back); a change (or a
        refusal of the removal guard) told to the organizers of the groups it touched."""
        if report.error is not None:
            self.metrics.sync_failures.inc()
            if self._repo_outage is None:
                log.warning("events repository: %s", report.summary())
            else:
                log.debug("events repository still unreachable: %s", report.error)
            self._repo_outage = report.error
            return
        self.metrics.last_sync.set(self.clock.now().timestamp())
        if self._repo_outage is not None:
            log.info("events repository reachable again: %s", report.summary())
            self._repo_outage = None
        if report.removal is not None:
            await self.removals_checked(report.removal)
        commit, told = self._told_failures
        if commit != report.commit:
            told = set()
        fresh = replace(report, failed=[line for line in report.failed if line not in told])
        self._told_failures = (report.commit, told | set(report.failed))
        if fresh.changed:
            log.info("events repository: %s", fresh.summary())
            await self._summarize(fresh)

    async def _summarize(self, report: RepoSyncReport) -> None:
        """The summary of a sync in the log channel of each group it touched (every group when it names
        none of them: a file that failed before its group could be read)."""
        if not report.changed:
            return
        text = fit(f"🔄 meetup-bot: {report.summary()}")
        names = [g.name for g in self.config.groups if g.name in report.groups] or [
            g.name for g in self.config.groups
        ]
        for name in names:
            await self._report(name, text, level=logging.DEBUG)

    async def import_events(self) -> None:
        """events_dir into the database, as `meetup-bot import events_dir` does; problems are logged once each.

        A folder that looks broken marks nothing removed (see bot.catalog.removal): that is logged and told
        to the organizers once per condition, not every pass."""
        folder = self.config.events_dir
        guard = self.config.removal_guard
        if not folder.is_dir():
            async with self._lock, self._write, self.sessions.begin() as session:
                missing = await mark_removed(session, folder, self.clock.now(), guard=guard)
            if missing.refused is None and f"missing {folder}" not in self._import_problems:
                log.warning(
                    "events_dir %s is not a folder; nothing imported (check events_dir in the config)", folder
                )
            self._import_problems = {f"missing {folder}"}
            await self.removals_checked(missing)
            return
        async with self._lock, self._write, self.sessions.begin() as session:
            now = self.clock.now()
            report = await import_paths(session, [folder], self.config.parse_options(), now)
            result = await mark_removed(session, folder, now, guard=guard)
        problems = {str(error) for error in report.errors} | set(report.warnings)
        for line in sorted(problems - self._import_problems):
            log.warning("import: %s", line)
        self._import_problems = problems
        if report.created or report.updated:
            log.info("import of %s: %s", folder, report.summary())
        if result.removed:
            log.info("%s", removal_line(folder, result.removed))
        if result.restored:
            log.info("%s", restored_line(folder, result.restored))
        await self.removals_checked(result)

    def note_removals(self, result: RemovalResult) -> None:
        """The start-up import's `mark_removed` (already logged): told to the organizers at `rebuild`, once
        the bot is connected."""
        self._noted_removals = result

    async def removals_checked(self, result: RemovalResult, *, logged: bool = False) -> None:
        """After `mark_removed` of events_dir: a refusal is logged as a WARNING (unless `logged`) and told to
        the organizers of the events it kept, once while it lasts; its end is logged."""
        refused = result.refused
        key = refused.key if refused is not None else None
        if key == self._guard_condition:
            return
        previous, self._guard_condition = self._guard_condition, key
        if refused is None:
            if previous is not None:
                log.info("events_dir looks whole again; removed event files are acted on again")
            return
        line = refusal_line(refused)
        if not logged:
            log.warning("%s", line)
        async with self.sessions() as session:
            hosts = await session.scalars(
                select(EventGroup.group_name)
                .join(Event, Event.id == EventGroup.event_id)
                .where(Event.slug.in_(refused.slugs[:500]))
                .distinct()
            )
            names = {name for name in hosts if self.config.group_named(name) is not None}
        for group in self.config.groups:  # in config order; every group when none of them is known
            if group.name in names or not names:
                await self._report(group.name, f"⚠️ meetup-bot: {line}.")

    async def _earliest_retry(self, session: AsyncSession) -> datetime | None:
        """When the next pending row (a retry, a crashed sender's post, a notice) may be claimed."""
        now = self.clock.now()
        found: datetime | None = await session.scalar(
            select(func.min(func.coalesce(Post.not_before, now))).where(Post.status == ledger.PENDING)
        )
        return found

    def upcoming(self) -> list[PlannedPost]:
        """The posts planned so far (events within the horizon), in due order."""
        return list(self._queue)

    def next_due(self) -> datetime | None:
        """When `run_due` next has something to do."""
        heads = (
            self._queue[0].due_at if self._queue else None,
            self._next_retry,
            self._far[0][0] if self._far else None,
        )
        times = [t for t in heads if t is not None]
        return min(times) if times else None

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    # -- a pass ------------------------------------------------------------------------------

    async def run_due(self) -> RunReport:
        """Post everything due at the clock's now (late ones marked, stale ones skipped); edit what changed."""
        async with self._lock:
            if not self._built:
                await self._rebuild()
            report = await self._run()
        self._changed()
        return report

    async def _run(self) -> RunReport:
        now = self.clock.now()
        report = RunReport()
        async with self._write, self.sessions.begin() as session:
            sync = await reconcile(session, now)
        _log_sync(sync)
        changed = sync.changed | self._take_near(now)
        if changed:
            await self._replan(changed)
        cut = bisect.bisect_right([p.due_at for p in self._queue], now)
        if cut:  # the database is the truth: plan the due events again from it (edited, cancelled since?)
            await self._replan({p.event_id for p in self._queue[:cut]})
            cut = bisect.bisect_right([p.due_at for p in self._queue], now)
        due, self._queue = self._queue[:cut], self._queue[cut:]
        fresh = [p for p in due if now < p.late_until]
        too_late = [p for p in due if now >= p.late_until]
        token = ledger.new_token()
        snapshots = [(p, self._snapshot(p, now)) for p in fresh]
        if any(is_forecast(p.kind) for p in fresh):
            async with self.sessions() as session:  # the forecast reads the RSVPs as they are now
                for planned, snap in snapshots:
                    if is_forecast(planned.kind):
                        snap["text"] = f"📊 {await forecast_message(session, planned.event_id, now)}"
        async with self._write, self.sessions.begin() as session:
            await ledger.record_skipped(
                session, too_late, now, "the bot was offline until it no longer made sense"
            )
            await ledger.claim_new(session, snapshots, token, now)
            await ledger.claim_pending(session, token, now)
            posts = await ledger.claimed(session, token)
        for planned in too_late:
            slug = self._facts[planned.event_id].slug if planned.event_id in self._facts else planned.event_id
            log.warning(
                "skipped %s %s in #%s: due %s, too late now",
                slug,
                planned.kind,
                planned.channel_id,
                planned.due_at,
            )
            report.skipped.append(_label(planned, str(slug)))
        if posts:
            await self._send_all(posts, token, report)
        await self._update_stale(now, report)
        async with self.sessions() as session:
            self._next_retry = await self._earliest_retry(session)
        return report

    async def announce_now(self, event_id: int, group_name: str) -> str:
        """Post the group's announcement of an event now, or refresh it if it is out; says what it did."""
        group = self.config.group_named(group_name)
        if group is None:
            raise AnnounceRefused(f"{group_name} is not a configured group.")
        async with self._lock:
            if not self._built:
                await self._rebuild()
            now = self.clock.now()
            async with self.sessions() as session:
                found = await upcoming_facts(session, now, [event_id])
                row: Post | None = await session.scalar(
                    select(Post).where(
                        Post.event_id == event_id,
                        Post.kind == ANNOUNCEMENT,
                        Post.channel_id == group.announce_channel_id,
                    )
                )
            if not found:
                raise AnnounceRefused("That event no longer exists; check the slug with /events.")
            facts = found[0]
            self._facts[facts.id] = facts
            where = f"<#{group.announce_channel_id}>"
            if group_name not in facts.groups:
                raise AnnounceRefused(
                    f"**{facts.title}** is not an event of {group_name}; use /events to see this server's events."
                )
            if row is not None and row.status == ledger.SENT:
                await self._run()  # picks up edits of the file too
                async with self.sessions() as session:
                    event = await session.get(Event, event_id)
                if event is not None and self.publisher is not None:
                    await self.publisher.update(row, event)
                return f"The announcement of **{facts.title}** in {where} is up to date now."
            if facts.cancelled or facts.removed:
                raise AnnounceRefused(f"**{facts.title}** is cancelled; there is nothing to announce.")
            if facts.starts_at <= now:
                raise AnnounceRefused(
                    f"**{facts.title}** has already started; it is too late to announce it."
                )
            if row is not None and row.status == ledger.PENDING:
                return f"The announcement of **{facts.title}** is being posted in {where} already."
            plan = planned_posts(self.config, [facts], {})
            wanted = [
                p
                for p in plan
                if p.channel_id == group.announce_channel_id and p.kind in (ANNOUNCEMENT, SCHEDULED_EVENT)
            ]
            if not wanted:  # e.g. quiet hours would push it past the start: an organizer overrides that
                wanted = [
                    PlannedPost(
                        facts.id,
                        ANNOUNCEMENT,
                        group.name,
                        group.guild_id,
                        group.announce_channel_id,
                        now,
                        facts.starts_at,
                        announcement_text(facts),
                    )
                ]
            async with self._write, self.sessions.begin() as session:
                if row is not None:  # failed or skipped before: try again from scratch
                    await session.delete(await session.merge(row))
                    await session.flush()
                for planned in wanted:
                    planned = replace(planned, due_at=now)
                    await ledger.add_pending(session, planned, now, self._snapshot(planned, now))
            self._queue = [p for p in self._queue if p.key not in {w.key for w in wanted}]
            report = await self._run()
        self._changed()
        label = f"{facts.slug} {ANNOUNCEMENT} #{group.announce_channel_id}"
        if label in report.sent:
            return f"Posted the announcement of **{facts.title}** in {where}."
        return (
            f"Discord did not accept the announcement of **{facts.title}** in {where} yet; the bot retries "
            "it and reports to the organizers if it keeps failing. Check its permissions in that channel."
        )

    def _snapshot(self, planned: PlannedPost, now: datetime) -> dict[str, Any]:
        text = (LATE_PREFIX if is_late(planned.due_at, now) else "") + planned.text
        snap: dict[str, Any] = {"text": text, "late_until": planned.late_until.isoformat()}
        facts = self._facts.get(planned.event_id)
        if planned.kind in (ANNOUNCEMENT, SCHEDULED_EVENT) and facts is not None:
            snap.update(snapshot_of(facts, text))
        return snap

    # how often the claims of a pass still sending are renewed (real time; see ledger.LEASE)
    renew_every: timedelta = ledger.RENEW_EVERY

    async def _send_all(self, posts: list[Post], token: str, report: RunReport) -> None:
        """Send the claimed posts, renewing their lease meanwhile: a long pass keeps its claims, and a
        killed one loses them within ledger.LEASE, so the next process retries them at once."""
        renewer = asyncio.create_task(self._renew_claims(token), name="ledger-renew")
        try:
            await self._send_claimed(posts, token, report)
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer

    async def _renew_claims(self, token: str) -> None:
        while True:
            await asyncio.sleep(self.renew_every.total_seconds())
            try:
                async with self._write, self.sessions.begin() as session:
                    await ledger.renew(session, token, self.clock.now())
            except Exception:  # a busy database: the next renewal tries again, well within the lease
                log.warning("could not renew the claims of this pass; retrying", exc_info=True)

    async def _send_claimed(self, posts: list[Post], token: str, report: RunReport) -> None:
        async with self.sessions() as session:
            ids = sorted({p.event_id for p in posts})
            events = {e.id: e for e in await session.scalars(select(Event).where(Event.id.in_(ids)))}
        by_channel: dict[int, list[Post]] = defaultdict(list)
        for post in posts:
            by_channel[_lane(post)].append(post)
        # one sender per channel keeps each channel's order (announcement first); channels run side by side
        await asyncio.gather(
            *(
                self._send_channel(
                    sorted(group, key=lambda p: (p.due_at, order_of(p.kind))), events, token, report
                )
                for group in by_channel.values()
            )
        )

    async def _send_channel(
        self, posts: list[Post], events: dict[int, Event], token: str, report: RunReport
    ) -> None:
        for post in posts:
            try:
                await self._send_one(post, events[post.event_id], token, report)
            except Exception:  # one post's bug must not stop the others; it stays pending and is retried
                log.exception("could not post %s %s", post.event_id, post.kind)

    async def _send_one(self, post: Post, event: Event, token: str, report: RunReport) -> None:
        now = self.clock.now()
        label = _label(post, event.slug)
        late_until = (post.snapshot or {}).get("late_until")
        if late_until and now >= datetime.fromisoformat(late_until):
            async with self._write, self.sessions.begin() as session:
                await ledger.record_failure(session, post, token, "too late to post", now, skip=True)
            log.warning("skipped %s: no longer makes sense", label)
            report.skipped.append(label)
            self._count(post, "skipped")
            return
        if self.publisher is None:
            raise RuntimeError("the scheduler has no publisher")
        reply_to = None
        if post.kind not in (ANNOUNCEMENT, SCHEDULED_EVENT) and not is_dm(post.kind):
            async with self.sessions() as session:
                reply_to = await ledger.announcement_id(session, post.event_id, post.channel_id)
        # Retried after Discord stopped remembering the nonce (a crash long ago): look before posting again.
        after_window = post.attempts > 1 and now - post.created_at > NONCE_WINDOW
        looked = post.kind != SCHEDULED_EVENT and after_window
        if looked and await self._adopt_earlier_copy(post, reply_to, token, label, report):
            return
        try:
            discord_id = await self.publisher.publish(post, event, reply_to)
        except Undeliverable as exc:
            async with self._write, self.sessions.begin() as session:
                await ledger.record_failure(session, post, token, exc.message, self.clock.now(), skip=True)
                await mark_dm_failed(session, post.event_id, post.channel_id)
            log.info("%s not sent: %s; not retried", label, exc.message)
            report.skipped.append(label)
            self._count(post, "undeliverable")
            return
        except PublishError as exc:
            async with self._write, self.sessions.begin() as session:
                status = await ledger.record_failure(session, post, token, exc.message, self.clock.now())
            if status == ledger.FAILED:
                log.error("gave up on %s after %d tries: %s", label, post.attempts, exc.message)
                report.failed.append(label)
                self._count(post, "failed")
                await self._report(post.group_name, _gave_up_text(post, event, exc.message))
            else:
                log.warning("could not post %s (try %d): %s; will retry", label, post.attempts, exc.message)
                report.retrying.append(label)
                self._count(post, "retrying")
            return
        sent_at = self.clock.now()
        async with self._write, self.sessions.begin() as session:
            recorded = await ledger.record_sent(session, post.id, token, discord_id, sent_at)
        if recorded:
            log.info("posted %s (message %s)", label, discord_id)
            report.sent.append(label)
            self._count(post, "sent", sent_at)
        else:
            log.warning("posted %s but another sender had taken it over", label)

    def _count(self, post: Post, outcome: str, sent_at: datetime | None = None) -> None:
        kind = kind_label(post.kind)
        self.metrics.posts.labels(kind=kind, outcome=outcome).inc()
        if sent_at is None:
            return
        due = post.due_at
        self.metrics.scheduler_lag.labels(kind=kind).observe(max(0.0, (sent_at - due).total_seconds()))
        if is_late(due, sent_at):
            self.metrics.late_posts.labels(kind=kind).inc()

    async def _adopt_earlier_copy(
        self, post: Post, reply_to: int | None, token: str, label: str, report: RunReport
    ) -> bool:
        """True if a message in the channel is this post's earlier try (recorded as sent, or left to the
        sender that took the row over): then it is not posted again.

        Discord's history does not return nonces, and two posts may read the same (the 1-day and 2-hour
        reminders), so the text alone cannot tell whose a message is: a candidate must also reply to the
        same announcement, and must not be held by another ledger row (each message is one row's). Posts of
        a channel are sent in due order, so the oldest free copy goes to the oldest post that owes one."""
        assert self.publisher is not None
        try:
            candidates = await self.publisher.find_sent(post, reply_to)
        except PublishError as exc:
            log.warning("could not look for an earlier copy of %s: %s", label, exc.message)
            return False
        if not candidates:
            return False
        async with self._write, self.sessions.begin() as session:
            held = await ledger.held_ids(session, candidates)
            free = [c for c in candidates if c not in held]
            if not free:
                return False
            found = free[0]
            recorded = await ledger.record_found(session, post.id, token, found, self.clock.now())
        if recorded:
            log.info("%s was posted before a crash (message %s); not posting it again", label, found)
            report.sent.append(label)
        else:  # another sender took the row over, or (another process) the message: it looks again later
            log.info("%s: not recording message %s, another sender is on it; retried later", label, found)
        return True

    async def _report(self, group_name: str, text: str, *, level: int = logging.ERROR) -> None:
        if self.publisher is None:
            return
        try:
            await self.publisher.report(group_name, text, level=level)
        except Exception:
            log.exception("could not report to the organizers of %s: %s", group_name, text)

    async def _update_stale(self, now: datetime, report: RunReport) -> None:
        async with self.sessions() as session:
            stale = await stale_posts(session, now)
        for post, event in stale:
            if self.publisher is None:
                return
            try:
                await self.publisher.update(post, event)
            except PublishError as exc:
                log.warning("could not update %s: %s; will retry", _label(post, event.slug), exc.message)
                continue
            async with self._write, self.sessions.begin() as session:
                await mark_current(session, post.id, event, now)
            report.edited.append(_label(post, event.slug))


def fit(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """`text` cut to fit one Discord message, saying it was cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 30].rstrip() + " … (cut; the rest is in the log)"


def _log_sync(sync: SyncResult) -> None:
    for line in sync.notices:
        log.info("notice planned: %s", line)
    for what, count in sync.dms.items():
        log.info("DMs planned: %s to %d members", what, count)


def _gave_up_text(post: Post, event: Event, why: str) -> str:
    """What the organizers read when a post failed for good."""
    if is_dm(post.kind):
        return (
            f"⚠️ meetup-bot could not DM <@{post.channel_id}> about `{event.slug}` ({post.kind}) after "
            f"{post.attempts} tries: {why}."
        )
    return (
        f"⚠️ meetup-bot could not post **{post.kind}** for `{event.slug}` in <#{post.channel_id}> "
        f"after {post.attempts} tries: {why}. Check the bot's permissions in that "
        "channel, then use `/announce` to post it again."
    )
