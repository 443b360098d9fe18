"""What merging a change of the events repository would make the bot do: no Discord, nothing written.

Each changed event file is read at both revisions (bot/repo/preview_files.py) and planned with the same
rules the scheduler uses (bot/schedule/plan.py): a new event's announcement, reminders and agenda posts; for
an announced one the notices a change brings ("Rescheduled", "Moved", a cancellation, "back on") and the
edited announcement. Without a database, an event whose announcement time had passed at the base is taken
to have been announced (and its earlier posts sent); with one (bot/repo/preview_known.py), the posts ledger
says what went out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalog.files import slug_for
from bot.catalog.record import EventRecord, ParseOptions
from bot.config import AnnouncementsConfig, Config, GroupConfig, RsvpEmojis
from bot.repo.preview_files import FileVersion, Revisions, changed_paths, read_versions, resolve
from bot.repo.preview_known import KnownEvent, known_events
from bot.rsvp.counts import RsvpCounts
from bot.schedule import ledger
from bot.schedule.announcement_text import AnnouncementContent, announcement_content, rsvp_line
from bot.schedule.plan import (
    ANNOUNCEMENT,
    FORECAST,
    MOVED,
    RESCHEDULED,
    RESTORED,
    SCHEDULED_EVENT,
    EventFacts,
    PlannedPost,
    agenda_slots,
    announcement_text,
    before,
    cancellation_cycle,
    cancellation_text,
    is_late,
    moved_text,
    plan_event,
    rescheduled_text,
    restored_kind,
    restored_text,
)
from bot.when import plural

# what a change does to an event, as the summary counts it
NEW = "new"
RESCHEDULED_LABEL = "rescheduled"
MOVED_LABEL = "moved"
EDITED = "edited"
CHANGED = "changed"
CANCELLED = "cancelled"
REMOVED = "removed"
BACK_ON = "back on"
BROKEN = "failed to parse"
OVER = "already over"
SKIPPED = "not an event"
RENAMED = "renamed"
UNCHANGED = "unchanged"

# a planned post's state
PLANNED = "planned"  # due at `due_at`
AT_ONCE = "at once"  # due already: posted as soon as the change is synced
POSTED = "posted"  # the ledger says it went out
ASSUMED = "assumed posted"  # no database: due before now and the same before the change
PENDING = "pending"  # the ledger has it, not confirmed yet (being sent or retried)
SKIPPED_POST = "skipped"
FAILED = "failed"
_LEDGER_STATES = {
    ledger.SENT: POSTED,
    ledger.PENDING: PENDING,
    ledger.SKIPPED: SKIPPED_POST,
    ledger.FAILED: FAILED,
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NO_GROUP = "the group"


@dataclass(frozen=True)
class EventView:
    """A parsed file seen as an announcement sees an `events` row (bot.schedule.announcement_text)."""

    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime
    online: bool
    location: str
    stream_url: str | None
    geo_lat: float | None
    geo_lon: float | None
    presenters: Sequence[Any]
    links: Sequence[Any]
    agenda: Sequence[Mapping[str, Any]]
    sections: Mapping[str, Any]
    capacity: int | None
    cancelled: bool
    removed_at: datetime | None
    hosting_groups: Sequence[str]

    @classmethod
    def of(cls, record: EventRecord) -> EventView:
        return cls(
            slug=record.slug,
            title=record.title,
            starts_at=record.starts_at,
            ends_at=record.ends_at,
            online=record.online,
            location=record.location,
            stream_url=record.stream_url,
            geo_lat=record.geo[0] if record.geo else None,
            geo_lon=record.geo[1] if record.geo else None,
            presenters=record.presenters,
            links=record.links,
            agenda=_agenda(record),
            sections=record.sections,
            capacity=record.capacity,
            cancelled=record.cancelled,
            removed_at=None,
            hosting_groups=record.hosting_groups,
        )


def _agenda(record: EventRecord) -> list[dict[str, Any]]:
    return [
        {
            "starts_at": item.starts_at.isoformat(),
            "ends_at": item.ends_at.isoformat() if item.ends_at else None,
            "title": item.title,
        }
        for item in record.agenda
    ]


@dataclass(frozen=True)
class PostLine:
    """One thing the bot posts (or posted) for the event; `text` is Discord-flavoured (timestamp tags)."""

    label: str
    group: str
    due_at: datetime
    state: str
    text: str = ""
    late: bool = False


@dataclass
class EventReport:
    """What the change does to one event (one slug)."""

    slug: str
    title: str
    labels: list[str]
    paths: list[str]
    zone: str
    now: datetime
    facts: EventFacts | None = None  # as it will be (for a removed event: as it was)
    before: EventFacts | None = None  # as the bot has it (database, else the base revision)
    notes: list[str] = field(default_factory=list)
    posts: list[PostLine] = field(default_factory=list)
    announcement: AnnouncementContent | None = None
    message: str | None = None  # the announcement message's own line, above its embed


@dataclass
class Preview:
    base: str
    head: str
    folder: str
    revisions: Revisions
    reports: list[EventReport]
    database: str | None  # which database was read, if any


@dataclass(frozen=True)
class _Channel:
    """What members of one group's channel have seen of the event before the change."""

    announced: bool
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    place: str | None = None
    cancellation_open: bool = False  # a cancellation went out and no "back on" since


class Planner:
    """The config's groups and announcement settings, or the defaults when there is no config."""

    def __init__(self, config: Config | None) -> None:
        self.config = config
        self.options = config.parse_options() if config is not None else ParseOptions()
        self.quiet_zone = ZoneInfo(config.timezone if config is not None else self.options.timezone)
        self.emojis = config.rsvp.emojis if config is not None else RsvpEmojis()
        self.default_capacity = config.rsvp.default_capacity if config is not None else None

    def groups(self, facts: EventFacts) -> tuple[list[tuple[GroupConfig, AnnouncementsConfig]], list[str]]:
        """The configured hosting groups with their settings, and the hosting groups nobody configured."""
        if self.config is None:
            names = list(facts.groups) or [_NO_GROUP]
            return [
                (GroupConfig(name=name, guild_id=1, announce_channel_id=index + 1), AnnouncementsConfig())
                for index, name in enumerate(names)
            ], []
        found, unknown = [], []
        for name in facts.groups:
            group = self.config.group_named(name)
            if group is None:
                unknown.append(name)
            else:
                found.append((group, self.config.announcements_for(group)))
        return found, unknown

    def plan(
        self, facts: EventFacts, group: GroupConfig, settings: AnnouncementsConfig, generation: int
    ) -> list[PlannedPost]:
        return plan_event(facts, group, settings, self.quiet_zone, generation)


def facts_of_record(record: EventRecord, event_id: int, known_since: datetime) -> EventFacts:
    """A parsed file as planning input (the row it would become, without the database)."""
    return EventFacts(
        id=event_id,
        slug=record.slug,
        title=record.title,
        starts_at=record.starts_at.astimezone(UTC),
        ends_at=record.ends_at.astimezone(UTC),
        timezone=record.timezone,
        online=record.online,
        location=record.location or "",
        stream_url=record.stream_url,
        agenda=agenda_slots(_agenda(record)),
        groups=tuple(dict.fromkeys(record.hosting_groups)),
        known_since=known_since,
        cancelled=record.cancelled,
    )


async def preview_change(
    repo: Path,
    base: str,
    head: str,
    folder: str,
    config: Config | None,
    now: datetime,
    session: AsyncSession | None = None,
    database: str | None = None,
) -> Preview:
    """What merging `head` into `base` would make the bot do with the event files under `folder`."""
    revisions = await resolve(repo, base, head)
    planner = Planner(config)
    paths = await changed_paths(revisions, folder)
    old = await read_versions(revisions.top, revisions.base, paths, planner.options)
    new = await read_versions(revisions.top, revisions.head, paths, planner.options)
    old_by_slug, new_by_slug = _by_slug(old.values()), _by_slug(new.values())
    slugs = sorted(set(old_by_slug) | set(new_by_slug))
    known = await known_events(session, slugs) if session is not None else {}
    reports = [
        _describe(
            slug,
            old_by_slug.get(slug, []),
            new_by_slug.get(slug, []),
            known.get(slug),
            session is not None,
            planner,
            now,
            index,
        )
        for index, slug in enumerate(slugs, start=1)
    ]
    return Preview(base, head, folder, revisions, reports, database)


def _slug(version: FileVersion) -> str:
    return version.record.slug if version.record is not None else slug_for(Path(version.path))


def _by_slug(versions: Sequence[FileVersion] | Any) -> dict[str, list[FileVersion]]:
    found: dict[str, list[FileVersion]] = {}
    for version in sorted(versions, key=lambda v: v.path):
        found.setdefault(_slug(version), []).append(version)
    return found


def _pick(versions: list[FileVersion]) -> FileVersion | None:
    """The version that counts: a readable one first (a duplicate slug is lint's to report)."""
    return next((v for v in versions if v.record is not None), versions[0] if versions else None)


def _describe(
    slug: str,
    old_versions: list[FileVersion],
    new_versions: list[FileVersion],
    known: KnownEvent | None,
    with_database: bool,
    planner: Planner,
    now: datetime,
    index: int,
) -> EventReport:
    old, new = _pick(old_versions), _pick(new_versions)
    paths = list(dict.fromkeys(v.path for v in [*old_versions, *new_versions]))
    # what the bot has now: the stored event, else (without a database) the base revision's file
    prior: EventFacts | None
    if with_database:
        prior = known.facts if known is not None else None
    else:
        prior = (
            facts_of_record(old.record, index, _EPOCH) if old is not None and old.record is not None else None
        )
    title = (new.record.title if new is not None and new.record is not None else None) or (
        prior.title if prior is not None else slug
    )
    zone = (
        new.record.timezone
        if new is not None and new.record is not None
        else prior.timezone
        if prior is not None
        else planner.options.timezone
    )
    report = EventReport(slug, title, [], paths, zone, now, before=prior)
    if len(new_versions) > 1:
        report.notes.append(
            f"{len(new_versions)} files have the slug `{slug}` ({', '.join(v.path for v in new_versions)}): "
            "each slug must be one file"
        )
    if new is None:
        _removed(report, prior, known, with_database, planner, now)
    elif new.error is not None:
        report.labels.append(BROKEN)
        keep = "the event stays as it is" if prior is not None else "it is not imported until it is fixed"
        report.notes.append(f"{new.error}: {keep}.")
        report.facts = prior
    elif new.skipped is not None:
        report.labels.append(SKIPPED)
        keep = "; the event stays as it is" if prior is not None else ""
        report.notes.append(f"{new.skipped}{keep}.")
        report.facts = prior
    else:
        assert new.record is not None
        _changed(report, new.record, prior, known, with_database, old, planner, now, index)
    if old is not None and new is not None and old.path != new.path and new.record is not None:
        report.notes.append(
            f"Renamed from `{old.path}` to `{new.path}`: the same event (its slug is unchanged)."
        )
    return report


def _channel_state(
    prior: EventFacts | None,
    known: KnownEvent | None,
    group: GroupConfig,
    settings: AnnouncementsConfig,
    now: datetime,
    with_database: bool,
) -> _Channel:
    channel = group.announce_channel_id
    if with_database:
        if known is None:
            return _Channel(False)
        row = known.post(ANNOUNCEMENT, channel)
        if row is None or row.status != ledger.SENT:
            return _Channel(False)
        snap = row.snapshot
        return _Channel(
            True,
            _parse_time(snap.get("starts_at")),
            _parse_time(snap.get("ends_at")),
            snap.get("place"),
            _cancellation_open(known, channel),
        )
    if prior is None or (prior.groups and group.name not in prior.groups and group.name != _NO_GROUP):
        return _Channel(False)
    announced = before(prior.starts_at, settings.lead_time, ZoneInfo(prior.timezone)) <= now
    if not announced:
        return _Channel(False)
    return _Channel(True, prior.starts_at, prior.ends_at, prior.place, prior.cancelled)


def _parse_time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _cancellation_open(known: KnownEvent, channel: int) -> bool:
    """A cancellation went out in the channel and no "back on" closed it (bot/schedule/sync.py's rule)."""
    cycles = {
        number: row.status
        for row in known.posts
        if row.channel_id == channel and (number := cancellation_cycle(row.kind)) is not None
    }
    if not cycles:
        return False
    latest = max(cycles)
    return known.post(restored_kind(latest), channel) is None and cycles[latest] == ledger.SENT


def _dm_line(known: KnownEvent | None, with_database: bool) -> str:
    if with_database:
        count = known.told if known is not None else 0
        if not count:
            return "no member has RSVP'd, so no DM goes out"
        return f"{count} member{'s' if count != 1 else ''} who RSVP'd going, maybe or waitlisted get a DM"
    return "members who RSVP'd going, maybe or waitlisted get a DM"


def _removed(
    report: EventReport,
    prior: EventFacts | None,
    known: KnownEvent | None,
    with_database: bool,
    planner: Planner,
    now: datetime,
) -> None:
    report.labels.append(REMOVED)
    if prior is None:
        report.notes.append("The file was no event the bot had: nothing changes.")
        return
    report.facts = prior
    if prior.ends_at <= now:
        report.labels.append(OVER)
        report.notes.append("Already over: only the file changes.")
        return
    groups, _ = planner.groups(prior)
    for group, settings in groups:
        state = _channel_state(prior, known, group, settings, now, with_database)
        if not state.announced:
            report.notes.append(f"{group.name}: nothing was posted for it yet, and nothing will be.")
        elif state.cancellation_open:
            report.notes.append(f"{group.name}: it was already cancelled there; nothing more is posted.")
        elif prior.starts_at > now:
            gone = replace(prior, removed=True)
            report.posts.append(
                PostLine("Cancellation notice", group.name, now, AT_ONCE, cancellation_text(gone))
            )
    if report.posts:
        report.notes.append(
            "The announcement is edited to say it is cancelled, the Discord event is cancelled and the remaining "
            f"reminders are dropped; {_dm_line(known, with_database)}."
        )


def _changed(
    report: EventReport,
    record: EventRecord,
    prior: EventFacts | None,
    known: KnownEvent | None,
    with_database: bool,
    old: FileVersion | None,
    planner: Planner,
    now: datetime,
    index: int,
) -> None:
    event_id = known.event.id if known is not None else index
    known_since = known.facts.known_since if known is not None else (_EPOCH if prior is not None else now)
    facts = replace(facts_of_record(record, event_id, known_since), content_hash="")
    report.facts = facts
    view = EventView.of(record)
    counts = known.counts if known is not None else RsvpCounts()
    capacity = record.capacity or planner.default_capacity
    report.announcement = announcement_content(view, rsvp_line(counts, planner.emojis, capacity))
    report.message = announcement_text(facts)
    report.notes.extend(f"Warning: {warning}" for warning in record.warnings)
    if prior is None:
        _new_event(report, facts, planner, now)
        return
    if facts.ends_at <= now:
        report.labels.append(OVER)
        report.notes.append("Already over: only the file changes.")
        return
    before_view: Any = (
        known.event if known is not None else (EventView.of(old.record) if old and old.record else None)
    )
    before_content = (
        announcement_content(
            before_view, rsvp_line(counts, planner.emojis, before_view.capacity or planner.default_capacity)
        )
        if before_view is not None
        else None
    )
    groups, unknown = planner.groups(facts)
    _unconfigured(report, unknown, groups)
    base_plan = _base_plan(prior, planner) if known is None else {}
    announced_anywhere = False
    for group, settings in groups:
        state = _channel_state(prior, known, group, settings, now, with_database)
        generation = known.generation(group.announce_channel_id) if known is not None else 0
        upcoming = facts.starts_at > now
        if state.announced:
            announced_anywhere = True
            if facts.cancelled:
                if state.cancellation_open:
                    report.notes.append(f"{group.name}: already cancelled there; nothing more is posted.")
                elif upcoming:
                    _label(report, CANCELLED)
                    report.posts.append(
                        PostLine("Cancellation notice", group.name, now, AT_ONCE, cancellation_text(facts))
                    )
                continue
            if state.cancellation_open and upcoming:
                _label(report, BACK_ON)
                report.posts.append(
                    PostLine("Back on notice", group.name, now, AT_ONCE, restored_text(facts))
                )
            time_changed = state.starts_at != facts.starts_at or state.ends_at != facts.ends_at
            if upcoming and time_changed:
                _label(report, RESCHEDULED_LABEL)
                generation += 1
                report.posts.append(
                    PostLine("Rescheduled notice", group.name, now, AT_ONCE, rescheduled_text(facts))
                )
            if upcoming and state.place != facts.place:
                _label(report, MOVED_LABEL)
                report.posts.append(PostLine("Moved notice", group.name, now, AT_ONCE, moved_text(facts)))
        elif facts.cancelled:
            _label(report, CANCELLED)
            report.notes.append(f"{group.name}: cancelled before it was announced: nothing is posted.")
            continue
        for post in planner.plan(facts, group, settings, generation):
            line = _post_line(post, group, state, known, base_plan, facts, now)
            if line is not None:
                report.posts.append(line)
    changed_text = before_content is not None and before_content != report.announcement
    if announced_anywhere:
        report.notes.append(
            "Announced already (the bot's database says so)."
            if with_database
            else "Taken to be announced already: its announcement time had passed on the base revision "
            "(no database to check)."
        )
    if announced_anywhere and changed_text and not facts.cancelled:
        report.notes.append("The announcement is edited in place to show the new details.")
        if not report.labels:
            report.labels.append(EDITED)
    if RESCHEDULED_LABEL in report.labels:
        report.notes.append(f"Reminders follow the new time; {_dm_line(known, with_database)}.")
    if CANCELLED in report.labels and announced_anywhere:
        report.notes.append(
            "The announcement is edited to say it is cancelled and the remaining reminders are dropped; "
            f"{_dm_line(known, with_database)}."
        )
    if not report.labels:
        if not announced_anywhere and groups and (changed_text or before_content is None):
            report.labels.append(CHANGED)
            report.notes.append("Not announced yet: the announcement will show the new details.")
        elif old is not None and report.paths and old.path != report.paths[-1]:
            report.labels.append(RENAMED)
        else:
            report.labels.append(UNCHANGED)
            report.notes.append("Nothing members see changes.")
    report.posts.sort(key=lambda line: (line.due_at, line.group))


def _label(report: EventReport, label: str) -> None:
    if label not in report.labels:
        report.labels.append(label)


def _new_event(report: EventReport, facts: EventFacts, planner: Planner, now: datetime) -> None:
    report.labels.append(NEW)
    if facts.ends_at <= now:
        report.labels.append(OVER)
        report.notes.append("Its date is past: it is stored, but nothing is posted.")
        report.announcement = None
        return
    if facts.cancelled:
        report.labels.append(CANCELLED)
        report.notes.append("The file says it is cancelled: nothing is posted.")
        report.announcement = None
        return
    groups, unknown = planner.groups(facts)
    _unconfigured(report, unknown, groups)
    for group, settings in groups:
        for post in planner.plan(facts, group, settings, 0):
            line = _post_line(post, group, _Channel(False), None, {}, facts, now)
            if line is not None:
                report.posts.append(line)
    if groups and not any(p.label == "Announcement" for p in report.posts):
        report.notes.append("It has started: it is never announced.")
    report.posts.sort(key=lambda line: (line.due_at, line.group))


def _unconfigured(report: EventReport, unknown: list[str], groups: list[Any]) -> None:
    if unknown and not groups:
        report.notes.append(
            f"Not posted: no configured group (Hosting Group {', '.join(unknown)}); the event is stored but never announced."
        )
    elif unknown:
        report.notes.append(f"Not posted for {', '.join(unknown)}: not a configured group.")


def _base_plan(prior: EventFacts, planner: Planner) -> dict[tuple[str, int], datetime]:
    """The posts the base revision planned, by (kind, channel): those due before now went out already."""
    planned: dict[tuple[str, int], datetime] = {}
    groups, _ = planner.groups(prior)
    for group, settings in groups:
        for post in planner.plan(prior, group, settings, 0):
            planned[(post.kind, post.channel_id)] = post.due_at
    return planned


def _post_line(
    post: PlannedPost,
    group: GroupConfig,
    state: _Channel,
    known: KnownEvent | None,
    base_plan: Mapping[tuple[str, int], datetime],
    facts: EventFacts,
    now: datetime,
) -> PostLine | None:
    label = post_label(post.kind, facts)
    if known is not None:
        row = known.post(post.kind, post.channel_id)
        if row is not None:
            state_of = _LEDGER_STATES.get(row.status, row.status)
            return PostLine(label, group.name, row.sent_at or post.due_at, state_of, post.text)
    else:
        earlier = base_plan.get((post.kind, post.channel_id))
        if post.kind in (ANNOUNCEMENT, SCHEDULED_EVENT) and state.announced:
            return PostLine(label, group.name, earlier or post.due_at, ASSUMED, post.text)
        if earlier is not None and earlier < now and post.due_at < now:
            return PostLine(label, group.name, earlier, ASSUMED, post.text)
    if now >= post.late_until:
        return None  # too late to make sense: the bot skips it
    if post.due_at <= now:
        return PostLine(label, group.name, now, AT_ONCE, post.text, late=is_late(post.due_at, now))
    return PostLine(label, group.name, post.due_at, PLANNED, post.text)


def post_label(kind: str, facts: EventFacts) -> str:
    """A post kind as organizers read it: "Reminder", "Agenda: Food and networking", ..."""
    base = kind.split("@", 1)[0]
    if base == ANNOUNCEMENT:
        return "Announcement"
    if base == SCHEDULED_EVENT:
        return "Discord event (Events tab)"
    if base.startswith("reminder:"):
        return f"Reminder ({_offset_words(base.removeprefix('reminder:'))} before)"
    if base == FORECAST:
        return "Turnout forecast (organizers' channel)"
    if base.startswith("agenda:"):
        _, number, part = base.split(":")
        slot = next((s for s in facts.agenda if s.index == int(number)), None)
        title = slot.title if slot is not None else f"item {int(number) + 1}"
        return f"Agenda: {title}" if part == "start" else f"Agenda: {title} starts soon"
    if base.startswith(RESCHEDULED):
        return "Rescheduled notice"
    if base.startswith(MOVED):
        return "Moved notice"
    if base.startswith(RESTORED):
        return "Back on notice"
    return kind


_UNITS = {"d": "day", "h": "hour", "m": "minute", "s": "second"}


def _offset_words(label: str) -> str:
    """ "1d" -> "1 day", "1d12h" -> "1 day 12 hours" (the reverse of plan.offset_label)."""
    parts = re.findall(r"(\d+)([dhms])", label)
    return " ".join(plural(int(number), _UNITS[unit]) for number, unit in parts) or label
