"""Planning: offsets in the event's zone (both DST changes of America/Chicago), quiet hours, late rules."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import AgendaRemindersConfig, AnnouncementsConfig, Config, QuietHours
from bot.schedule.plan import (
    AgendaSlot,
    EventFacts,
    before,
    is_late,
    out_of_quiet_hours,
    plan_event,
)

CHICAGO = ZoneInfo("America/Chicago")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHICAGO).astimezone(UTC)


def facts(
    start: datetime, *, agenda: tuple[AgendaSlot, ...] = (), known: datetime | None = None, **kw: object
) -> EventFacts:
    return EventFacts(
        id=1,
        slug="talk",
        title="Talk",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        timezone="America/Chicago",
        online=bool(kw.get("online", False)),
        location="Example Hall",
        stream_url=None,
        agenda=agenda,
        groups=("StLGo",),
        known_since=known or start - timedelta(days=60),
        cancelled=bool(kw.get("cancelled", False)),
    )


def by_kind(
    config: Config, event: EventFacts, settings: AnnouncementsConfig | None = None
) -> dict[str, datetime]:
    group = config.groups[0]
    settings = settings or config.announcements_for(group)
    return {p.kind: p.due_at for p in plan_event(event, group, settings, CHICAGO)}


def test_one_day_before_keeps_the_wall_clock_time_across_spring_forward(config: Config) -> None:
    # DST starts 2026-03-08 02:00 in Chicago: 17:30 CDT on the 9th, 17:30 CST on the 8th... and the 8th itself
    start = local(2026, 3, 8, 17, 30)
    due = by_kind(config, facts(start))
    assert due["reminder:1d"] == local(2026, 3, 7, 17, 30)
    assert due["reminder:1d"].astimezone(CHICAGO).time() == time(17, 30)
    assert start - due["reminder:1d"] == timedelta(hours=23)  # the day before was 23 hours long
    assert due["reminder:2h"] == start - timedelta(hours=2)
    assert due["announcement"] == local(2026, 3, 1, 17, 30)


def test_one_day_before_keeps_the_wall_clock_time_across_fall_back(config: Config) -> None:
    # DST ends 2026-11-01 02:00 in Chicago
    start = local(2026, 11, 1, 17, 30)
    due = by_kind(config, facts(start))
    assert due["reminder:1d"].astimezone(CHICAGO).replace(tzinfo=None) == datetime(2026, 10, 31, 17, 30)
    assert start - due["reminder:1d"] == timedelta(hours=25)
    assert due["announcement"].astimezone(CHICAGO).replace(tzinfo=None) == datetime(2026, 10, 25, 17, 30)


def test_hours_are_elapsed_time_even_across_the_change() -> None:
    start = local(2026, 3, 8, 3, 30)  # 03:30 CDT, an hour after the clocks jumped
    assert before(start, timedelta(hours=2), CHICAGO) == start - timedelta(hours=2)
    assert before(start, timedelta(days=1, hours=2), CHICAGO) == local(2026, 3, 7, 1, 30)


def test_quiet_hours_move_announcements_and_reminders_but_not_agenda(config: Config) -> None:
    start = local(2026, 12, 10, 9, 0)
    slot = AgendaSlot(0, start, start + timedelta(minutes=30), "Coffee")
    settings = config.announcements.model_copy(
        update={
            "quiet_hours": QuietHours(start=time(22, 0), end=time(8, 0)),
            "reminders": [timedelta(hours=10)],
        }
    )
    due = by_kind(config, facts(start, agenda=(slot,)), settings)
    assert due["reminder:10h"] == local(2026, 12, 10, 8, 0)  # 23:00 falls in 22:00-08:00
    assert due["announcement"] == local(2026, 12, 3, 9, 0)  # outside the window: unchanged
    assert due["agenda:0:start"] == start


def test_quiet_window_within_a_day() -> None:
    quiet = QuietHours(start=time(12, 0), end=time(13, 0))
    assert out_of_quiet_hours(local(2026, 6, 1, 12, 30), quiet, CHICAGO) == local(2026, 6, 1, 13, 0)
    assert out_of_quiet_hours(local(2026, 6, 1, 13, 0), quiet, CHICAGO) == local(2026, 6, 1, 13, 0)
    assert out_of_quiet_hours(local(2026, 6, 1, 11, 59), quiet, CHICAGO) == local(2026, 6, 1, 11, 59)


def test_agenda_items_and_the_main_presentation(config: Config) -> None:
    start = local(2026, 12, 10, 17, 30)
    slots = (
        AgendaSlot(0, start, start + timedelta(minutes=30), "Food and networking"),
        AgendaSlot(1, start + timedelta(minutes=45), start + timedelta(minutes=90), "Main presentation"),
    )
    plan = plan_event(facts(start, agenda=slots), config.groups[0], config.announcements, CHICAGO)
    kinds = {p.kind: p for p in plan}
    assert kinds["agenda:0:start"].due_at == start
    assert kinds["agenda:0:start"].late_until == start + timedelta(minutes=30)  # while the item runs
    assert kinds["agenda:1:main"].due_at == start + timedelta(minutes=40)
    assert kinds["agenda:1:main"].late_until == start + timedelta(minutes=45)
    assert "starts in 5 minutes" in kinds["agenda:1:main"].text
    assert "agenda:0:main" not in kinds
    disabled = config.announcements.model_copy(update={"agenda": AgendaRemindersConfig(enabled=False)})
    assert not any(
        p.is_agenda for p in plan_event(facts(start, agenda=slots), config.groups[0], disabled, CHICAGO)
    )


def test_imported_after_the_lead_time_is_announced_at_once_and_past_events_never(config: Config) -> None:
    start = local(2026, 12, 10, 17, 30)
    imported = start - timedelta(days=3)
    due = by_kind(config, facts(start, known=imported))
    assert due["announcement"] == imported
    assert due["reminder:1d"] == local(2026, 12, 9, 17, 30)
    assert by_kind(config, facts(start, known=start + timedelta(minutes=1))) == {}
    # imported an hour before: announced at once, without a burst of reminders that fell due earlier
    late = by_kind(config, facts(start, known=start - timedelta(hours=1)))
    assert late["announcement"] == start - timedelta(hours=1)
    assert not [kind for kind in late if kind.startswith("reminder:")]


def test_cancelled_online_and_generations(config: Config) -> None:
    start = local(2026, 12, 10, 17, 30)
    assert by_kind(config, facts(start, cancelled=True)) == {}
    assert "scheduled_event" not in by_kind(config, facts(start, online=True))
    assert "scheduled_event" in by_kind(config, facts(start))
    plan = plan_event(facts(start), config.groups[0], config.announcements, CHICAGO, generation=2)
    assert {p.kind for p in plan} >= {"reminder:1d@2", "reminder:2h@2", "announcement"}


def test_late_marking() -> None:
    due = datetime(2026, 12, 1, tzinfo=UTC)
    assert not is_late(due, due + timedelta(minutes=1))
    assert is_late(due, due + timedelta(minutes=3))


def test_forecast_goes_to_the_organizers_channel_the_day_before_when_configured(config: Config) -> None:
    start = local(2026, 12, 10, 17, 30)
    group = config.groups[0]
    settings = config.announcements_for(group)
    assert "forecast" not in {p.kind for p in plan_event(facts(start), group, settings, CHICAGO)}

    with_channel = group.model_copy(update={"organizer_channel_id": 100000000000000099})
    posts = {p.kind: p for p in plan_event(facts(start), with_channel, settings, CHICAGO)}
    forecast = posts["forecast"]
    assert forecast.channel_id == 100000000000000099
    assert forecast.due_at == local(2026, 12, 9, 17, 30)
    assert forecast.late_until == start
    assert posts["announcement"].channel_id == group.announce_channel_id
