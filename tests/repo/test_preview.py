"""`meetup-bot preview`: what merging a pull request of the events repository makes the bot do, read from a
real git repository (a `main` branch and a pull-request branch), with and without the bot's database."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.catalog.importer import import_paths
from bot.cli.main import main
from bot.cli.preview import preview_command
from bot.clock import ManualClock
from bot.config import Config
from bot.schedule import ledger
from bot.schedule.facts import upcoming_facts
from bot.schedule.service import planned_posts
from bot.schedule.sync import snapshot_of
from tests.factories import NOW
from tests.repo.event_repo import EventRepo, event_text

EAST = "America/New_York"  # not the config's zone: times must be shown in the event's own


def at(days: int, hour: int, zone: str = EAST, minute: int = 0) -> datetime:
    """`hour:minute` local time in `zone`, `days` after NOW's local day."""
    tz = ZoneInfo(zone)
    day = (NOW + timedelta(days=days)).astimezone(tz).date()
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def shown(moment: datetime, zone: str = EAST) -> str:
    """How the preview writes a moment, spelled out here independently: `Wed, Dec 9, 2026 at 6:00 PM EST`."""
    local = moment.astimezone(ZoneInfo(zone))
    hour = local.hour % 12 or 12
    return f"{local:%a, %b} {local.day}, {local.year} at {hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'} {local:%Z}"


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[EventRepo]:
    yield EventRepo(tmp_path / "presentations")


def preview(
    repo: EventRepo, capsys: pytest.CaptureFixture[str], *args: str, now: datetime = NOW
) -> tuple[int, str, str]:
    """Runs `meetup-bot preview` (no config: the defaults) on the repository; (status, stdout, stderr)."""
    code = main(
        ["preview", "--repo", str(repo.path), "--base", "main", "--head", "pr", *args], ManualClock(now)
    )
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def section(output: str, slug: str) -> str:
    """The part of the preview about one event."""
    parts = [part for part in output.split("\n### ") if f"(`{slug}`)" in part.split("\n", 1)[0]]
    assert len(parts) == 1, output
    return parts[0]


@pytest.fixture(autouse=True)
def no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No ./config.yaml and no $MEETUP_BOT_CONFIG: the preview runs on the defaults."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MEETUP_BOT_CONFIG", raising=False)
    monkeypatch.delenv("MEETUP_BOT_DATABASE_URL", raising=False)


def test_a_new_event_shows_its_announcement_reminders_and_agenda_in_its_zone(
    repo: EventRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.commit("start")
    repo.branch("pr")
    start = at(10, 18)
    agenda = [
        (timedelta(0), timedelta(minutes=30), "Food and networking"),
        (timedelta(minutes=45), timedelta(minutes=45), "Main presentation"),
    ]
    repo.write(
        "events/go-generics.md",
        event_text(
            "Go <Generics>",
            start,
            zone=EAST,
            where="Example Coworking, 100 Market St",
            agenda=agenda,
            presentation="Type parameters <b>in practice</b>, with @gopher.",
        ),
    )
    repo.commit("add an event")
    code, out, err = preview(repo, capsys)
    assert code == 0, err
    assert "**1 event: 1 new**" in out
    part = section(out, "go-generics")
    assert part.startswith("New: Go &lt;Generics> (`go-generics`)")
    assert f"Announcement will be posted **{shown(start - timedelta(days=7))}**" in part
    assert f"Reminder (1 day before) will be posted **{shown(start - timedelta(days=1))}**" in part
    assert f"Reminder (2 hours before) will be posted **{shown(start - timedelta(hours=2))}**" in part
    assert f"Agenda: Food and networking will be posted **{shown(start)}**" in part
    main_at = start + timedelta(minutes=45)
    assert (
        f"Agenda: Main presentation starts soon will be posted **{shown(main_at - timedelta(minutes=5))}**"
        in part
    )
    # the announcement as members will see it: title, when, where, agenda, the description's start
    assert f"> 📣 New meetup: **Go &lt;Generics>**, {shown(start)}" in part
    assert f"> **When:** {shown(start)} – 7:30 PM EST (in 7 days)" in part
    assert "> **Where:** Example Coworking, 100 Market St" in part
    assert "> 6:00 PM EST–6:30 PM EST Food and networking" in part
    # nothing from the file can become HTML or mention a GitHub user in the comment
    assert "> Type parameters &lt;b>in practice&lt;/b>, with @\u2060gopher." in part


def test_an_event_announced_later_than_its_lead_time_is_announced_at_once(
    repo: EventRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.commit("start")
    repo.branch("pr")
    start = at(3, 18)
    repo.write("events/soon.md", event_text("Soon", start, zone=EAST))
    repo.commit("add")
    code, out, _ = preview(repo, capsys)
    assert code == 0
    part = section(out, "soon")
    assert "Announcement will be posted **at once** when the change is synced" in part
    assert f"Reminder (1 day before) will be posted **{shown(start - timedelta(days=1))}**" in part


def test_a_rescheduled_announced_event_gets_the_notice_and_new_reminders(
    repo: EventRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = at(3, 18), at(5, 19)
    repo.write("events/talk.md", event_text("Talk", old, zone=EAST))
    repo.commit("talk")
    repo.branch("pr")
    repo.write("events/talk.md", event_text("Talk", new, zone=EAST))
    repo.commit("move it two days later")
    code, out, _ = preview(repo, capsys)
    assert code == 0
    assert "**1 event: 1 rescheduled**" in out
    part = section(out, "talk")
    assert f"Was {shown(old)} – 8:00 PM EST." in part
    assert "Taken to be announced already" in part  # no database: its announcement time had passed
    assert f"Announcement: already posted ({shown(old - timedelta(days=7))}; assumed, no database)" in part
    assert "Rescheduled notice will be posted **at once**" in part
    assert (
        f"> 📅 Rescheduled: **Talk** is now {shown(new)} (in 5 days). Reminders follow the new time." in part
    )
    assert f"Reminder (1 day before) will be posted **{shown(new - timedelta(days=1))}**" in part
    assert shown(old - timedelta(days=1)) not in part  # the old reminders are not planned
    assert "get a DM" in part


def test_a_moved_event_gets_the_moved_notice(repo: EventRepo, capsys: pytest.CaptureFixture[str]) -> None:
    start = at(1, 10)  # tomorrow morning: the 1-day reminder went out this morning
    repo.write("events/talk.md", event_text("Talk", start, zone=EAST, where="Old Hall"))
    repo.commit("talk")
    repo.branch("pr")
    repo.write("events/talk.md", event_text("Talk", start, zone=EAST, where="New Hall, 2 Side St"))
    repo.commit("new place")
    _, out, _ = preview(repo, capsys)
    part = section(out, "talk")
    assert part.startswith("Moved: Talk")
    assert "Was at Old Hall." in part
    assert "> 📍 Moved: **Talk** is now at New Hall, 2 Side St." in part
    assert "Rescheduled" not in part
    assert (
        f"Reminder (1 day before): already posted ({shown(start - timedelta(days=1))}; assumed, no database)"
        in part
    )
    assert f"Reminder (2 hours before) will be posted **{shown(start - timedelta(hours=2))}**" in part


def test_a_removed_upcoming_file_posts_the_cancellation(
    repo: EventRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    start = at(2, 18)
    repo.write("events/talk.md", event_text("Talk", start, zone=EAST))
    repo.write("events/later.md", event_text("Later", at(30, 18), zone=EAST))
    repo.commit("two")
    repo.branch("pr")
    repo.remove("events/talk.md")
    repo.remove("events/later.md")
    repo.commit("remove both")
    _, out, _ = preview(repo, capsys)
    assert "**2 events: 2 removed**" in out
    talk = section(out, "talk")
    assert "Cancellation notice will be posted **at once**" in talk
    assert f"> ❌ **Talk** ({shown(start)}) was removed from the schedule." in talk
    later = section(out, "later")  # never announced: nothing to take back
    assert "nothing was posted for it yet, and nothing will be" in later
    assert "Cancellation notice" not in later


def test_a_file_that_fails_to_parse_leaves_the_event_as_it_is(
    repo: EventRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write("events/talk.md", event_text("Talk", at(4, 18), zone=EAST))
    repo.commit("talk")
    repo.branch("pr")
    repo.write(
        "events/talk.md",
        re.sub(
            r"\| \*\*When:\*\* \|.*", "| **When:** | Smarch 40 |", event_text("Talk", at(4, 18), zone=EAST)
        ),
    )
    repo.commit("break it")
    code, out, _ = preview(repo, capsys)
    assert code == 0
    part = section(out, "talk")
    assert part.startswith("Fails to parse: Talk")
    assert '- events/talk.md:6: When: "Smarch 40" is not a date' in part
    assert "the event stays as it is." in part
    assert "will be posted" not in part


def test_a_past_event_changes_only_its_file(repo: EventRepo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("events/old.md", event_text("Old", at(-20, 18), zone=EAST))
    repo.commit("old")
    repo.branch("pr")
    repo.write(
        "events/old.md",
        event_text("Old", at(-20, 18), zone=EAST, extra_rows="| **Total Attendance:** | 31 |\n"),
    )
    repo.commit("totals")
    _, out, _ = preview(repo, capsys)
    part = section(out, "old")
    assert part.startswith("Already over: Old")
    assert "Already over: only the file changes." in part
    assert "will be posted" not in part


def test_reminders_across_a_daylight_saving_change_keep_the_wall_clock_time(
    repo: EventRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """An event on the day the clocks change: "1 day before" is the same local time the day before, in the
    other offset; "2 hours before" is two real hours."""
    zone = ZoneInfo(EAST)
    moment = NOW.replace(minute=0, second=0, microsecond=0)
    offset = moment.astimezone(zone).utcoffset()
    while moment.astimezone(zone).utcoffset() == offset:
        moment += timedelta(hours=1)
    change_day = moment.astimezone(zone).date()
    start = datetime.combine(change_day, time(18, 0), tzinfo=zone)
    day_before = datetime.combine(change_day - timedelta(days=1), time(18, 0), tzinfo=zone)
    assert start.utcoffset() != day_before.utcoffset()  # the test crosses the change
    repo.commit("start")
    repo.branch("pr")
    repo.write("events/dst.md", event_text("DST Night", start, zone=EAST))
    repo.commit("add")
    _, out, _ = preview(repo, capsys)
    part = section(out, "dst")
    assert f"Reminder (1 day before) will be posted **{shown(day_before)}**" in part
    assert (
        f"Reminder (2 hours before) will be posted **{shown(start.astimezone(UTC) - timedelta(hours=2))}**"
        in part
    )
    assert (
        f"Announcement will be posted **{shown(datetime.combine(change_day - timedelta(days=7), time(18, 0), tzinfo=zone))}**"
        in part
    )


def test_a_renamed_file_with_the_same_slug_is_the_same_event(
    repo: EventRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write("events/2026/talk.md", event_text("Talk", at(20, 18), zone=EAST))
    repo.commit("talk")
    repo.branch("pr")
    repo.move("events/2026/talk.md", "events/archive/talk.md")
    repo.commit("move the file")
    _, out, _ = preview(repo, capsys)
    assert "**1 event: 1 renamed**" in out
    assert "Renamed from `events/2026/talk.md` to `events/archive/talk.md`" in section(out, "talk")


def test_nothing_changed_under_the_folder(repo: EventRepo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("events/talk.md", event_text("Talk", at(20, 18), zone=EAST))
    repo.commit("talk")
    repo.branch("pr")
    repo.write("README.md", "# Our events\n")
    repo.write("notes/talk.md", event_text("Not in the folder", at(9, 18), zone=EAST))
    repo.write(
        "events/.drafts/idea.md", event_text("Hidden draft", at(9, 18), zone=EAST)
    )  # the importer skips it
    repo.commit("docs")
    code, out, _ = preview(repo, capsys, "--path", "events")
    assert code == 0
    assert "No event files changed." in out
    assert "###" not in out


def test_a_bad_revision_or_repository_is_one_error_line(
    repo: EventRepo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    repo.commit("start")
    repo.branch("pr")
    code = main(["preview", "--repo", str(repo.path), "--base", "origin/nope"], ManualClock(NOW))
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: --base origin/nope is not a commit in ") and err.count("\n") == 1
    plain = tmp_path / "plain"
    plain.mkdir()
    code = main(["preview", "--repo", str(plain), "--base", "main"], ManualClock(NOW))
    err = capsys.readouterr().err
    assert code == 1
    assert err == f"error: --repo {plain} is not a git repository (or git cannot read it)\n"


# ------------------------------------------------------------------------- with the bot's database


async def post_sent(
    sessions: async_sessionmaker[AsyncSession], config: Config, slug: str, kinds: set[str], when: datetime
) -> None:
    """Records `kinds` of the event's planned posts as sent, the way the scheduler does (ledger + snapshot)."""
    async with sessions.begin() as session:
        facts = next(f for f in await upcoming_facts(session, when) if f.slug == slug)
        posts = [p for p in planned_posts(config, [facts], {}) if p.kind in kinds]
        assert {p.kind for p in posts} == kinds
        await ledger.claim_new(session, [(p, snapshot_of(facts, p.text)) for p in posts], "test", when)
        for post in await ledger.claimed(session, "test"):
            assert await ledger.record_sent(session, post.id, "test", 1234, when)


async def test_with_the_database_it_says_what_was_posted_and_what_is_edited(
    repo: EventRepo,
    config: Config,
    config_file: Path,
    sessions: async_sessionmaker[AsyncSession],
    capsys: pytest.CaptureFixture[str],
) -> None:
    start = at(0, 18, "America/Chicago") + timedelta(days=1)  # tomorrow evening: the 1-day reminder is due
    quiet = at(5, 18, "America/Chicago")  # announcement time past, but the bot has not posted it
    repo.write(
        "events/talk.md", event_text("Talk", start, zone="America/Chicago", presentation="First words.")
    )
    repo.write("events/quiet.md", event_text("Quiet", quiet, zone="America/Chicago"))
    repo.commit("two")
    imported = NOW - timedelta(days=10)
    async with sessions.begin() as session:
        report = await import_paths(session, [repo.path / "events"], config.parse_options(), imported)
        assert not report.errors
    await post_sent(sessions, config, "talk", {"announcement", "reminder:1d"}, NOW - timedelta(hours=1))
    repo.branch("pr")
    repo.write(
        "events/talk.md", event_text("Talk", start, zone="America/Chicago", presentation="Better words.")
    )
    repo.write(
        "events/quiet.md", event_text("Quiet", quiet, zone="America/Chicago", presentation="Now with a talk.")
    )
    repo.commit("better words")
    args = argparse.Namespace(repo=str(repo.path), base="main", head="pr", path="events")
    assert await preview_command(config, args, ManualClock(NOW)) == 0
    out = capsys.readouterr().out
    assert "from the bot's database" in out
    talk = section(out, "talk")
    assert "Announced already (the bot's database says so)." in talk
    sent = shown(NOW - timedelta(hours=1), "America/Chicago")
    assert f"Announcement: already posted ({sent})" in talk
    assert "assumed" not in talk
    assert "Reminder (1 day before): already posted" in talk
    assert (
        f"Reminder (2 hours before) will be posted **{shown(start - timedelta(hours=2), 'America/Chicago')}**"
        in talk
    )
    assert "The announcement is edited in place to show the new details." in talk
    assert "> Better words." in talk
    assert talk.startswith("Edited: Talk")
    quiet_part = section(out, "quiet")  # past its announcement time, but the ledger says it was not posted
    assert "Announcement will be posted **at once**" in quiet_part
    assert "edited in place" not in quiet_part


def test_only_what_the_pull_request_changes_counts_not_what_landed_on_main_since(
    repo: EventRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write("events/talk.md", event_text("Talk", at(20, 18), zone=EAST))
    repo.commit("talk")
    repo.branch("pr")
    repo.write("events/ours.md", event_text("Ours", at(21, 18), zone=EAST))
    repo.commit("the pull request's event")
    repo.checkout("main")
    repo.write("events/theirs.md", event_text("Theirs", at(22, 18), zone=EAST))
    repo.commit("merged elsewhere meanwhile")
    _, out, _ = preview(repo, capsys)
    assert "**1 event: 1 new**" in out
    assert "(`ours`)" in out and "theirs" not in out
