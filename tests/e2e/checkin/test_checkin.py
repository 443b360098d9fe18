"""/checkin, /checkin-code, /attendance and /stats through the sandbox, as organizers and members use them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.application import Application
from bot.clock import ManualClock
from bot.db.models import CheckIn
from bot.when import when_text
from tests.checkin.conftest import add_rsvps, insert_event
from tests.e2e.checkin.conftest import CHANNEL, GUILD, START
from tests.e2e.conftest import NOW, Member


async def _checked_in(
    sessions: async_sessionmaker[AsyncSession], event_id: int
) -> list[tuple[int | None, str, int]]:
    async with sessions() as session:
        rows = await session.execute(
            select(CheckIn.user_id, CheckIn.kind, CheckIn.guests)
            .where(CheckIn.event_id == event_id)
            .order_by(CheckIn.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_an_organizer_checks_people_in_at_the_door(
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    door_event: int,
    alice: Member,
    bob: Member,
    carol: Member,
    olivia: Member,
) -> None:
    await add_rsvps(sessions, door_event, [(alice.id, "Alice", "going"), (bob.id, "Bob", "maybe")])

    suggested = await olivia.command("checkin", GUILD, CHANNEL, focused="member", member="")
    assert suggested["choices"] == [
        {"name": "Alice (going)", "value": str(alice.id)},
        {"name": "Bob (maybe)", "value": str(bob.id)},
    ]
    done = await olivia.command("checkin", GUILD, CHANNEL, member=str(alice.id))
    assert done["ephemeral"] and done["content"] == "Checked in Alice to **Door Talk**."
    twice = await olivia.command("checkin", GUILD, CHANNEL, member=str(alice.id))
    assert twice["content"] == "Alice was already checked in to **Door Talk**; nothing changed."
    after = await olivia.command("checkin", GUILD, CHANNEL, focused="member", member="")
    assert [c["value"] for c in after["choices"]] == [str(bob.id)]

    walk_ins = await olivia.command("checkin", GUILD, CHANNEL, focused="member", member="car")
    assert walk_ins["choices"] == [{"name": "Carol (walk-in)", "value": str(carol.id)}]
    walked = await olivia.command("checkin", GUILD, CHANNEL, member="Carol")
    assert walked["content"] == "Checked in Carol as a walk-in (no RSVP) to **Door Talk**."
    nobody = await olivia.command("checkin", GUILD, CHANNEL, member="Zed")
    assert nobody["ephemeral"] and nobody["content"].startswith("No member of this server is called `Zed`.")

    guests = await olivia.command("checkin", GUILD, CHANNEL, guests=3)
    assert guests["content"] == "Counted 3 guests at **Door Talk**: 3 guests in all."
    fewer = await olivia.command("checkin", GUILD, CHANNEL, guests=1, undo=True)
    assert fewer["content"] == "Took back 1 guest at **Door Talk**: 2 guests in all."
    undone = await olivia.command("checkin", GUILD, CHANNEL, member=str(alice.id), undo=True)
    assert undone["content"] == "Undone: Alice is no longer checked in to **Door Talk**."
    confused = await olivia.command("checkin", GUILD, CHANNEL)
    assert confused["ephemeral"] and "`member:`" in confused["content"] and "`guests:`" in confused["content"]

    assert await _checked_in(sessions, door_event) == [
        (carol.id, "walk_in", 0),
        (None, "guests", 3),
        (None, "guests", -1),
    ]
    figures = await olivia.command("attendance", GUILD, CHANNEL)
    (embed,) = figures["embeds"]
    assert embed["title"] == "Attendance · Door Talk"
    # before the start nobody is a no-show yet: Alice (going) may still come
    assert embed["description"] == (
        "going 1 · maybe 1 · waitlist 0\n"
        "checked in 0 · walk-ins 1 · guests 2\n"
        "**3 present** · no-shows and show-up rate once the event is over"
    )
    assert [f["name"] for f in embed["fields"]] == ["Forecast"]
    (forecast,) = (f["value"] for f in embed["fields"])
    low = int(forecast.split("(")[1].split("-")[0])
    assert forecast.startswith("Expect ") and low >= 3  # never below the 3 people already in

    clock.set(START + timedelta(hours=2))  # the end: now Alice, who never came, is a no-show
    after = (await olivia.command("attendance", GUILD, CHANNEL, event="door-talk"))["embeds"][0]
    assert after["description"] == (
        "going 1 · maybe 1 · waitlist 0\n"
        "checked in 0 · walk-ins 1 · guests 2 · no-shows 1\n"
        "**3 present** · show-up rate 0%"
    )
    assert after.get("fields", []) == []  # no forecast for an event that is over


async def test_a_non_organizer_is_refused_everything(
    app: Application, sessions: async_sessionmaker[AsyncSession], door_event: int, alice: Member, bob: Member
) -> None:
    await add_rsvps(sessions, door_event, [(alice.id, "Alice", "going")])
    attempts = [
        (
            "checkin",
            {"member": str(alice.id)},
            "Only StLGo organizers can check members in. Nothing was changed.",
        ),
        ("checkin", {"guests": 4}, "Only StLGo organizers can check members in. Nothing was changed."),
        (
            "checkin",
            {"member": str(alice.id), "undo": True},
            "Only StLGo organizers can check members in. Nothing was changed.",
        ),
        (
            "checkin",
            {"event": "door-talk", "member": str(bob.id)},
            "Only StLGo organizers can check members in. Nothing was changed.",
        ),
        ("checkin-code", {}, "Only StLGo organizers can show the check-in code. Nothing was changed."),
        ("attendance", {}, "Only StLGo organizers can see attendance. Nothing was changed."),
        ("stats", {}, "Only StLGo organizers can see the stats. Nothing was changed."),
    ]
    for name, options, text in attempts:
        answer = await bob.command(name, GUILD, CHANNEL, **options)
        assert (answer["ephemeral"], answer["content"]) == (True, text), name
    for focused in ("member", "event"):
        hidden = await bob.command("checkin", GUILD, CHANNEL, focused=focused, **{focused: ""})
        assert hidden["choices"] == [], focused
    assert await _checked_in(sessions, door_event) == []


async def test_self_check_in_with_right_wrong_and_expired_codes(
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    door_event: int,
    alice: Member,
    bob: Member,
    carol: Member,
    olivia: Member,
) -> None:
    await add_rsvps(sessions, door_event, [(alice.id, "Alice", "going")])
    shown = await olivia.command("checkin-code", GUILD, CHANNEL)
    assert shown["ephemeral"] and shown["content"].startswith("Check-in code for **Door Talk**: **`")
    code = shown["content"].split("`")[1]
    assert len(code) == 6
    until = when_text(START + timedelta(hours=2), "America/Chicago", NOW)
    assert until.startswith("today at ") and shown["content"].endswith(f"; it works until {until}.")

    right = await alice.command("checkin", GUILD, CHANNEL, code=code.lower())
    assert right["ephemeral"] and right["content"] == "You're checked in to **Door Talk**. Welcome!"
    again = await alice.command("checkin", GUILD, CHANNEL, code=code)
    assert again["content"] == "You're already checked in to **Door Talk**. Enjoy!"
    wrong_code = "ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY"
    for left in ("4 more tries", "3 more tries", "2 more tries", "1 more try", "0 more tries"):
        wrong = await carol.command("checkin", GUILD, CHANNEL, code=wrong_code)
        assert wrong["ephemeral"] and wrong["content"].startswith("That is not the check-in code.")
        assert f"({left} before a 10-minute wait)" in wrong["content"]
    limited = await carol.command("checkin", GUILD, CHANNEL, code=code)
    assert limited["content"].startswith("Too many wrong codes: wait 10 minutes")

    clock.set(START + timedelta(hours=2))  # the event is over: the code has expired
    expired = await bob.command("checkin", GUILD, CHANNEL, code=code)
    assert expired["content"] == (
        "Self check-in is closed: codes work from an hour before an event starts until it ends."
    )
    async with sessions() as session:
        total = await session.scalar(select(func.count()).select_from(CheckIn))
    assert total == 1 and await _checked_in(sessions, door_event) == [(alice.id, "member", 0)]


async def test_autocomplete_with_500_rsvps_answers_within_the_deadline(
    app: Application, sessions: async_sessionmaker[AsyncSession], door_event: int, olivia: Member
) -> None:
    await add_rsvps(sessions, door_event, [(10_000 + i, f"Member {i:03d}", "going") for i in range(500)])
    answer = await olivia.command("checkin", GUILD, CHANNEL, focused="member", member="member 49")
    assert "error" not in answer
    assert [c["name"] for c in answer["choices"]] == [f"Member {i} (going)" for i in range(490, 500)]
    first = await olivia.command("checkin", GUILD, CHANNEL, focused="member", member="")
    assert len(first["choices"]) == 25 and first["choices"][0] == {
        "name": "Member 000 (going)",
        "value": "10000",
    }


async def test_stats_chart_and_event_choice(
    app: Application, sessions: async_sessionmaker[AsyncSession], olivia: Member
) -> None:
    for i, (rsvps, came) in enumerate([(23, 4), (19, 10), (11, 4)]):
        await insert_event(
            sessions,
            f"past-{i}",
            starts_at=NOW - timedelta(days=90 - 30 * i),
            reported_rsvps=rsvps,
            reported_attendance=came,
        )
    stats = await olivia.command("stats", GUILD, CHANNEL)
    assert stats["ephemeral"] and stats["content"] == "3 past StLGo events · show-up rate 34%"
    (chart,) = stats["attachments"]
    assert chart["filename"] == "stats.png" and chart["size"] > 1000
    nothing = await olivia.command("attendance", GUILD, CHANNEL)
    assert nothing["content"].startswith("No StLGo event is open for check-in now, and none is coming up")
    old = await olivia.command("attendance", GUILD, CHANNEL, event="past-0")
    assert old["embeds"][0]["fields"] == [
        {"name": "From the event file", "value": "Total RSVPs 23 · Total Attendance 4", "inline": False}
    ]
    choices = await olivia.command("attendance", GUILD, CHANNEL, focused="event", event="past-1")
    assert [c["value"] for c in choices["choices"]] == ["past-1"]


async def test_stats_of_one_past_event_says_event(
    app: Application, sessions: async_sessionmaker[AsyncSession], olivia: Member
) -> None:
    await insert_event(
        sessions, "past", starts_at=NOW - timedelta(days=30), reported_rsvps=10, reported_attendance=5
    )
    stats = await olivia.command("stats", GUILD, CHANNEL)
    assert stats["content"] == "1 past StLGo event · show-up rate 50%"


async def test_outside_the_window_check_in_says_when_it_opens(
    app: Application,
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    alice: Member,
    olivia: Member,
) -> None:
    """The issue: `/checkin member:` checked a member in to an event 15 days away."""
    far = NOW + timedelta(days=15)
    event_id = await insert_event(sessions, "far-talk", starts_at=far, title="Far Talk")
    await add_rsvps(sessions, event_id, [(alice.id, "Alice", "going")])
    opens = when_text(far - timedelta(hours=1), "America/Chicago", NOW)
    assert not opens.startswith(("today", "tomorrow"))  # weeks away: the answer names the date
    refusal = (
        f"Check-in for **Far Talk** opens {opens} (an hour before the start); "
        "no StLGo event is open for check-in now. To use another event, name it with the `event:` option."
    )
    for options in ({"member": str(alice.id)}, {"guests": 2}):
        answer = await olivia.command("checkin", GUILD, CHANNEL, **options)
        assert (answer["ephemeral"], answer["content"]) == (True, refusal), options
    suggested = await olivia.command("checkin", GUILD, CHANNEL, focused="member", member="")
    assert suggested["choices"] == []  # no event open: nobody to suggest
    code = await alice.command("checkin", GUILD, CHANNEL, code="ABC123")
    assert code["content"] == (
        f"Self check-in is closed now. Check-in for **Far Talk** opens {opens} (an hour before the start)."
    )
    assert await _checked_in(sessions, event_id) == []

    # an organizer who names the event still may (documented: a correction, or a list made in advance)
    named = await olivia.command("checkin", GUILD, CHANNEL, member=str(alice.id), event="far-talk")
    assert named["content"] == "Checked in Alice to **Far Talk**."
    assert await _checked_in(sessions, event_id) == [(alice.id, "member", 0)]

    clock.set(far - timedelta(hours=1))  # check-in opens: no `event:` needed
    guests = await olivia.command("checkin", GUILD, CHANNEL, guests=1)
    assert guests["content"] == "Counted 1 guest at **Far Talk**: 1 guest in all."


async def test_next_event_offers_an_ics_attachment(app: Application, door_event: int, alice: Member) -> None:
    import icalendar

    answer = await alice.command("next-event", GUILD, CHANNEL)
    (attachment,) = answer["attachments"]
    assert attachment["filename"] == "door-talk.ics"
    (event,) = icalendar.Calendar.from_ical(attachment["content"]).walk("VEVENT")
    assert (str(event["UID"]), str(event["SUMMARY"]), event.decoded("DTSTART")) == (
        "door-talk@meetup-bot",
        "Door Talk",
        START,
    )
