"""What the bot will post for one event in one group, and when: pure functions, no database, no Discord.

Offsets are applied in the event's own zone. Whole days are wall-clock days (1 day before a 17:30 meetup
is 17:30 the day before, even across a daylight-saving change); the rest is elapsed time (2 hours before
is 2 real hours before).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import AnnouncementsConfig, GroupConfig, QuietHours
from bot.when import clock_time, day_text, when_text

ANNOUNCEMENT = "announcement"
SCHEDULED_EVENT = "scheduled_event"
CANCELLATION = "cancellation"
RESCHEDULED = "notice:rescheduled"
MOVED = "notice:moved"
# "back on": an event called off (its file removed, or marked cancelled) that is on again before its start;
# numbered by the cancellation it answers, so a second remove/restore cycle posts again
RESTORED = "notice:restored"
# DMs to the members who said they would come (going, maybe, waitlisted) when the event is called off or
# moved in time: one ledger row each, whose channel_id is the member's user id (a DM channel exists only
# once opened)
DM_PREFIX = "dm:"
DM_CANCELLATION = "dm:cancellation"
DM_RESCHEDULED = "dm:rescheduled"
DM_RESTORED = "dm:restored"
# the turnout forecast for the organizers' channel, the day before; its text is computed when it is sent
FORECAST = "forecast"
FORECAST_LEAD = timedelta(days=1)
# within a channel, what goes first when several posts fall due together
_ORDER = {
    ANNOUNCEMENT: 0,
    SCHEDULED_EVENT: 1,
    "reminder": 2,
    "notice": 3,
    "agenda": 4,
    CANCELLATION: 5,
    FORECAST: 6,
}
# a post sent this long after its due time says it is late
LATE_AFTER = timedelta(minutes=2)
LATE_PREFIX = "*(Posted late: the bot was offline when this was due.)*\n"
# an agenda item without an end time may still be announced this long after it started
AGENDA_GRACE = timedelta(minutes=15)


@dataclass(frozen=True)
class AgendaSlot:
    index: int
    starts_at: datetime
    ends_at: datetime | None
    title: str


@dataclass(frozen=True)
class EventFacts:
    """What planning needs to know about an event (a light copy of the row)."""

    id: int
    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    online: bool
    location: str
    stream_url: str | None
    agenda: tuple[AgendaSlot, ...]
    groups: tuple[str, ...]
    known_since: datetime
    content_hash: str = ""
    cancelled: bool = False
    removed: bool = False

    @property
    def place(self) -> str:
        if self.online:
            return f"online: {self.stream_url}" if self.stream_url else "online"
        return self.location or "venue to be announced"


@dataclass(frozen=True)
class PlannedPost:
    """One post the bot owes: `due_at` (UTC) is when; after `late_until` it no longer makes sense."""

    event_id: int
    kind: str
    group_name: str
    guild_id: int
    channel_id: int
    due_at: datetime
    late_until: datetime
    text: str

    @property
    def key(self) -> tuple[int, str, int]:
        return (self.event_id, self.kind, self.channel_id)

    @property
    def is_agenda(self) -> bool:
        return self.kind.startswith("agenda:")


def order_of(kind: str) -> int:
    return _ORDER.get(kind, _ORDER.get(kind.split(":", 1)[0], 9))


def agenda_slots(raw: Sequence[dict[str, str]]) -> tuple[AgendaSlot, ...]:
    """The stored agenda (ISO strings in the event's zone) as UTC slots."""
    slots = []
    for index, item in enumerate(raw):
        ends = item.get("ends_at")
        slots.append(
            AgendaSlot(
                index=index,
                starts_at=datetime.fromisoformat(item["starts_at"]).astimezone(UTC),
                ends_at=datetime.fromisoformat(ends).astimezone(UTC) if ends else None,
                title=str(item.get("title", "")),
            )
        )
    return tuple(slots)


def before(when: datetime, offset: timedelta, zone: ZoneInfo) -> datetime:
    """`when` minus `offset`: whole days on the local calendar (same wall-clock time), the rest elapsed."""
    days = timedelta(days=offset.days)
    local = when.astimezone(zone) - days  # aware arithmetic in one zone is wall-clock arithmetic
    return local.astimezone(UTC) - (offset - days)


def out_of_quiet_hours(when: datetime, quiet: QuietHours | None, zone: ZoneInfo) -> datetime:
    """`when`, or the end of the quiet window (local time) it falls in."""
    if quiet is None or quiet.start == quiet.end:
        return when
    local = when.astimezone(zone)
    now = local.time().replace(tzinfo=None)
    if quiet.start < quiet.end:
        inside = quiet.start <= now < quiet.end
    else:  # the window spans midnight, e.g. 22:00-08:00
        inside = now >= quiet.start or now < quiet.end
    if not inside:
        return when
    end = datetime.combine(local.date(), quiet.end, tzinfo=zone)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), quiet.end, tzinfo=zone)
    return end.astimezone(UTC)


def offset_label(offset: timedelta) -> str:
    """ "1d", "2h", "1d12h", "90m" -> a stable part of a post kind."""
    seconds = int(offset.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0m"


def generation_suffix(generation: int) -> str:
    """Reminders of a rescheduled event are new posts: their kinds carry the reschedule count."""
    return f"@{generation}" if generation else ""


def ts(when: datetime, style: str = "F") -> str:
    """A Discord timestamp tag: each reader sees it in their own zone."""
    return f"<t:{int(when.timestamp())}:{style}>"


def _duration_words(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return "1 day" if days == 1 else f"{days} days"
    if minutes % 60 == 0:
        hours = minutes // 60
        return "1 hour" if hours == 1 else f"{hours} hours"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def reminder_text(event: EventFacts) -> str:
    return (
        f"⏰ Reminder: **{event.title}** starts {ts(event.starts_at, 'R')} "
        f"({ts(event.starts_at, 'F')}) · {event.place}"
    )


def agenda_start_text(event: EventFacts, slot: AgendaSlot) -> str:
    until = f" (until {ts(slot.ends_at, 't')})" if slot.ends_at else ""
    return f"🕒 Now at **{event.title}**: {slot.title}{until}"


def agenda_main_text(event: EventFacts, slot: AgendaSlot, lead: timedelta) -> str:
    return (
        f"🎤 {slot.title} starts in {_duration_words(lead)} ({ts(slot.starts_at, 't')}) · **{event.title}**"
    )


def rescheduled_text(event: EventFacts) -> str:
    return (
        f"📅 Rescheduled: **{event.title}** is now {ts(event.starts_at, 'F')} ({ts(event.starts_at, 'R')}). "
        "Reminders follow the new time."
    )


def moved_text(event: EventFacts) -> str:
    return f"📍 Moved: **{event.title}** is now at {event.place}."


def cancellation_text(event: EventFacts) -> str:
    why = "was removed from the schedule" if event.removed and not event.cancelled else "is cancelled"
    return f"❌ **{event.title}** ({ts(event.starts_at, 'F')}) {why}. Sorry for the change of plans."


def cancellation_dm_text(event: EventFacts) -> str:
    """The DM a member who said they would come gets: the day and time in the event's zone, no guessing."""
    zone = event.timezone
    return (
        f"❌ **{event.title}** on {day_text(event.starts_at, zone)} at {clock_time(event.starts_at, zone)} "
        "is cancelled. Sorry for the change of plans."
    )


def rescheduled_dm_text(event: EventFacts, now: datetime) -> str:
    return (
        f"📅 **{event.title}** moved to {when_text(event.starts_at, event.timezone, now)}. "
        "Your RSVP stands; change it if the new time does not suit you."
    )


def cancellation_kind(cycle: int) -> str:
    """The first cancellation is `cancellation` (as before restores existed); later ones `cancellation:N`."""
    return CANCELLATION if cycle == 1 else f"{CANCELLATION}:{cycle}"


def cancellation_dm_kind(cycle: int) -> str:
    return DM_CANCELLATION if cycle == 1 else f"{DM_CANCELLATION}:{cycle}"


def cancellation_cycle(kind: str) -> int | None:
    """N of a cancellation kind (1 for `cancellation`), None for other kinds."""
    if kind == CANCELLATION:
        return 1
    head, _, number = kind.partition(":")
    return int(number) if head == CANCELLATION and number.isdigit() else None


def restored_kind(cycle: int) -> str:
    return f"{RESTORED}:{cycle}"


def restored_dm_kind(cycle: int) -> str:
    return f"{DM_RESTORED}:{cycle}"


def restored_text(event: EventFacts) -> str:
    return (
        f"✅ Back on: **{event.title}** is happening after all, {ts(event.starts_at, 'F')} "
        f"({ts(event.starts_at, 'R')}) · {event.place}. RSVPs still count."
    )


def restored_dm_text(event: EventFacts) -> str:
    zone = event.timezone
    return (
        f"✅ **{event.title}** on {day_text(event.starts_at, zone)} at {clock_time(event.starts_at, zone)} "
        "is back on after all. Your RSVP stands; change it if your plans changed."
    )


def is_dm(kind: str) -> bool:
    return kind.startswith(DM_PREFIX)


def announcement_text(event: EventFacts) -> str:
    return f"📣 New meetup: **{event.title}**, {ts(event.starts_at, 'F')}"


def _is_main(title: str, keywords: Sequence[str]) -> bool:
    folded = title.casefold()
    return any(word.casefold() in folded for word in keywords)


def plan_event(
    event: EventFacts,
    group: GroupConfig,
    settings: AnnouncementsConfig,
    quiet_zone: ZoneInfo,
    generation: int = 0,
) -> list[PlannedPost]:
    """Every post `group` gets for `event`, in due order; nothing for a cancelled, removed or past event."""
    if event.cancelled or event.removed:
        return []
    zone = ZoneInfo(event.timezone)
    start = event.starts_at
    posts: list[PlannedPost] = []

    def add(
        kind: str,
        due: datetime,
        late_until: datetime,
        text: str,
        *,
        quiet: bool = True,
        channel_id: int = group.announce_channel_id,
    ) -> None:
        due = max(due, event.known_since)  # nothing is due before the bot knew of the event
        if quiet:
            due = out_of_quiet_hours(due, settings.quiet_hours, quiet_zone)
        if due >= late_until:
            return
        posts.append(
            PlannedPost(event.id, kind, group.name, group.guild_id, channel_id, due, late_until, text)
        )

    announce_at = before(start, settings.lead_time, zone)
    add(ANNOUNCEMENT, announce_at, start, announcement_text(event))
    if settings.scheduled_events and not event.online:
        add(SCHEDULED_EVENT, announce_at, start, f"Discord event for {event.title}")
    suffix = generation_suffix(generation)
    for offset in settings.reminders:
        if before(start, offset, zone) < event.known_since:
            continue  # due before the bot knew of the event: the announcement, posted at once, says it all
        add(
            f"reminder:{offset_label(offset)}{suffix}",
            before(start, offset, zone),
            start,
            reminder_text(event),
        )
    if group.organizer_channel_id is not None:
        add(
            f"{FORECAST}{suffix}",
            before(start, FORECAST_LEAD, zone),
            start,
            f"Turnout forecast for **{event.title}**",
            quiet=False,  # organizers' channel: they want it the day before, whatever the hour
            channel_id=group.organizer_channel_id,
        )
    agenda = settings.agenda
    if agenda.enabled:
        for slot in event.agenda:
            until = slot.ends_at or slot.starts_at + AGENDA_GRACE
            add(
                f"agenda:{slot.index}:start{suffix}",
                slot.starts_at - agenda.before_item,
                until,
                agenda_start_text(event, slot),
                quiet=False,
            )
            if agenda.before_main and _is_main(slot.title, agenda.main_keywords):
                add(
                    f"agenda:{slot.index}:main{suffix}",
                    slot.starts_at - agenda.before_main,
                    slot.starts_at,
                    agenda_main_text(event, slot, agenda.before_main),
                    quiet=False,
                )
    posts.sort(key=lambda p: (p.due_at, order_of(p.kind)))
    return posts


def is_forecast(kind: str) -> bool:
    return kind.split("@", 1)[0] == FORECAST


def is_late(post_due: datetime, now: datetime) -> bool:
    return now - post_due > LATE_AFTER


def with_time(day: datetime, at: time, zone: ZoneInfo) -> datetime:
    """`day`'s date at local time `at` in `zone`, as UTC (for tests and the CLI)."""
    return datetime.combine(day.astimezone(zone).date(), at, tzinfo=zone).astimezone(UTC)
