"""Events written as YAML: the same fields as a markdown Meta table, with strict keys."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.catalog.record import EventFileError, EventRecord, ParseOptions
from bot.catalog.yaml_event import parse_yaml

CHICAGO = ZoneInfo("America/Chicago")
SOURCE = "events/fuzz.yaml"
ALIASES = {"kcn-stl": "Kubernetes & Cloud Native STL"}

FULL = """\
title: Fuzzing Go Services (Rescheduled)
when: 2024-04-17
time: 18:00-20:30
where: |
  Object Computing (OCI),
  12140 Woodcrest Executive Dr.
  St. Louis, MO 63141
geo: [38.673912, -90.453064]
presenters:
  - Ada Lovelace, [@ada](https://twitter.com/ada)
  - "[Grace Hopper](https://example.com/grace)"
hosting_groups: [StLGo]
capacity: 40
links:
  - https://www.meetup.com/StL-Go/events/300000002/
agenda:
  - {time: 5:30 - 6:00, title: Food and networking}
  - 6:00pm-7:00pm Fuzzing in practice
  - time: "7:00"
    title: Q&A
sections:
  Presentation: |
    Go has had native fuzzing since 1.18.
  Recording: https://www.youtube.com/watch?v=xyz
reported:
  membership: 700
  rsvps: {StLGo: 9, KCN-STL: 14}
  attendance: "???"
"""


def parse(text: str, **options: object) -> EventRecord:
    return parse_yaml(text, slug="fuzz", source=SOURCE, options=ParseOptions(**options))  # type: ignore[arg-type]


def error_of(text: str) -> str:
    with pytest.raises(EventFileError) as caught:
        parse(text)
    return str(caught.value)


def at(hour: int, minute: int = 0, day: int = 17, zone: ZoneInfo = CHICAGO) -> datetime:
    return datetime(2024, 4, day, hour, minute, tzinfo=zone)


def test_full_event() -> None:
    record = parse(FULL, group_aliases=ALIASES)
    assert record.slug == "fuzz" and record.source == SOURCE
    assert (record.title, record.title_notes, record.cancelled) == (
        "Fuzzing Go Services",
        ["Rescheduled"],
        False,
    )
    assert (record.starts_at, record.ends_at, record.timezone) == (at(17, 30), at(19), "America/Chicago")
    assert record.location == "Object Computing (OCI), 12140 Woodcrest Executive Dr., St. Louis, MO 63141"
    assert (record.online, record.stream_url, record.geo) == (False, None, (38.673912, -90.453064))
    assert record.presenters == ["Ada Lovelace", "Grace Hopper"]
    assert record.hosting_groups == ["StLGo", "Kubernetes & Cloud Native STL"]
    assert record.capacity == 40
    assert record.links == ["https://www.meetup.com/StL-Go/events/300000002/"]
    assert [(a.starts_at, a.ends_at, a.title) for a in record.agenda] == [
        (at(17, 30), at(18), "Food and networking"),
        (at(18), at(19), "Fuzzing in practice"),
        (at(19), None, "Q&A"),
    ]
    assert record.sections == {
        "Presentation": "Go has had native fuzzing since 1.18.",
        "Recording": "https://www.youtube.com/watch?v=xyz",
    }
    assert record.reported == {"membership": 700, "rsvps": 23, "attendance": None}
    assert record.reported_by_group == {"rsvps": {"StLGo": 9, "Kubernetes & Cloud Native STL": 14}}
    assert record.warnings == []


def test_minimal_event_uses_the_defaults() -> None:
    record = parse("title: Lightning Talks\ndate: 2024-04-17\n", default_group="StLGo")
    assert (record.starts_at, record.ends_at) == (at(18), at(20))
    assert record.hosting_groups == ["StLGo"]
    assert record.reported == {"membership": None, "rsvps": None, "attendance": None}
    assert (record.location, record.presenters, record.agenda, record.sections) == ("", [], [], {})


@pytest.mark.parametrize(
    ("line", "start", "end"),
    [
        ("time: 18:00", at(18), at(20)),  # not the base-60 number 1080
        ("time: 18:00-20:00", at(18), at(20)),
        ('time: "6:00pm - 8:00pm"', at(18), at(20)),
        ("time: 6:30 PM – 8:00 PM", at(18, 30), at(20)),
        (
            "time: 7pm - 9pm EDT",
            at(19, zone=ZoneInfo("America/New_York")),
            at(21, zone=ZoneInfo("America/New_York")),
        ),
    ],
)
def test_time_forms(line: str, start: datetime, end: datetime) -> None:
    record = parse(f"title: T\nwhen: 2024-04-17\n{line}\n")
    assert (record.starts_at, record.ends_at) == (start, end)


def test_long_date_and_timezone_key() -> None:
    record = parse("title: T\nwhen: Wednesday, April 17, 2024\ntime: 6pm-8pm\ntimezone: America/Denver\n")
    denver = ZoneInfo("America/Denver")
    assert (record.timezone, record.starts_at, record.ends_at) == (
        "America/Denver",
        at(18, zone=denver),
        at(20, zone=denver),
    )
    assert parse("title: T\nwhen: 2024-04-17\ntimezone: PST\n").timezone == "America/Los_Angeles"


def test_online_event() -> None:
    record = parse(
        "title: T\nwhen: 2024-04-17\nlocation: VIRTUAL EVENT, Zoom\nstream_url: https://zoom.example/j/1\n"
    )
    assert (record.online, record.location, record.stream_url) == (True, "Zoom", "https://zoom.example/j/1")
    record = parse("title: T\nwhen: 2024-04-17\nwhere: Cortex\nonline: true\n")
    assert (record.online, record.location) == (True, "Cortex")


def test_cancelled_flag_or_title_note() -> None:
    assert parse("title: T\nwhen: 2024-04-17\ncancelled: true\n").cancelled is True
    assert parse("title: T (Canceled)\nwhen: 2024-04-17\n").cancelled is True
    assert parse("title: T\nwhen: 2024-04-17\ncancelled: false\n").cancelled is False


def test_yes_and_no_stay_text() -> None:
    record = parse("title: No\nwhen: 2024-04-17\nhosting_group: NO\npresenter: Yes\n")
    assert (record.title, record.hosting_groups, record.presenters) == ("No", ["NO"], ["Yes"])


def test_reported_forms() -> None:
    head = "title: T\nwhen: 2024-04-17\nreported:\n"
    text = head + "  membership: StLGo: 602, KCN-STL: 425\n  rsvps: 9 YouTube, 2 Twitch\n"
    message = error_of(text)  # "StLGo: 602" unquoted is a YAML mapping inside a mapping value
    assert message.startswith(f"{SOURCE}:4: is not valid YAML: mapping values are not allowed")
    text = (
        head + '  membership: "StLGo: 602, KCN-STL: 425"\n  rsvps: 9 YouTube, 2 Twitch\n  attendance: null\n'
    )
    record = parse(text)
    assert record.reported == {"membership": 1027, "rsvps": 11, "attendance": None}
    assert record.reported_by_group == {"membership": {"StLGo": 602, "KCN-STL": 425}}
    assert record.hosting_groups == ["StLGo", "KCN-STL"]
    record = parse("title: T\nwhen: 2024-04-17\nreported:\n  rsvps: {StLGo: 9, KCN-STL: null}\n")
    assert record.reported["rsvps"] is None
    assert record.reported_by_group == {"rsvps": {"StLGo": 9}}


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "title: T\nwhen: 2024-04-17\ntitel: U\n",
            f'{SOURCE}:3: unknown key "titel"; did you mean "title"? allowed keys: agenda, cancelled, '
            "capacity, date, geo, hosting_group, hosting_groups, links, location, online, presenter, "
            "presenters, reported, sections, stream_url, time, timezone, title, when, where",
        ),
        ("title: T\ntitle: U\nwhen: 2024-04-17\n", f'{SOURCE}:2: key "title" given twice (first on line 1)'),
        ("title: [T\nwhen: 2024-04-17\n", f"{SOURCE}:2: is not valid YAML: did not find expected ',' or ']'"),
        ("- title: T\n", f"{SOURCE}:1: is not a mapping; expected keys such as title:, when:"),
        ("", f"{SOURCE}: is empty; expected keys such as title:, when: and where:"),
        ("when: 2024-04-17\n", f'{SOURCE}: title: missing; expected e.g. title: "Intro to Go"'),
        ("title: T\n", f'{SOURCE}: when: missing; expected e.g. when: "2024-03-20"'),
        (
            "title: T\nwhen: Someday\n",
            f'{SOURCE}:2: when: "Someday" is not a date; expected e.g. "Wednesday, November 16, 2022"',
        ),
        (
            "title: T\nwhen: 2024-04-17\ntime: 25:99\n",
            f'{SOURCE}:3: time: "25:99" is not a time; '
            'expected e.g. "6:00pm - 8:00pm CST" or "18:00 - 20:00"',
        ),
        (
            "title: T\nwhen: 2024-04-17\ndate: 2024-04-18\n",
            f'{SOURCE}:3: date: give either "when" or "date", not both',
        ),
        (
            "title: T\nwhen: 2024-04-17\nonline: maybe\n",
            f'{SOURCE}:3: online: expected true or false, got the text "maybe"',
        ),
        (
            "title: T\nwhen: 2024-04-17\ngeo: [138, 1]\n",
            f"{SOURCE}:3: geo: [138.0, 1.0] is not a position; expected [38.67, -90.45]",
        ),
        (
            "title: T\nwhen: 2024-04-17\ngeo: north\n",
            f'{SOURCE}:3: geo: "north" is not a position; expected [38.67, -90.45]',
        ),
        (
            "title: T\nwhen: 2024-04-17\ncapacity: lots\n",
            f'{SOURCE}:3: capacity: "lots" is not a number; expected e.g. "50"',
        ),
        (
            "title: T\nwhen: 2024-04-17\nlinks: [meetup]\n",
            f'{SOURCE}:3: links: "meetup" is not a link; expected e.g. "https://www.meetup.com/..."',
        ),
        (
            "title: T\nwhen: 2024-04-17\npresenters: {a: 1}\n",
            f"{SOURCE}:3: presenters: expected a list of texts, got a mapping",
        ),
        (
            "title: T\nwhen: 2024-04-17\nreported:\n  guests: 4\n",
            f'{SOURCE}:3: reported: unknown count "guests"; allowed: membership, rsvps, attendance',
        ),
        (
            "title: T\nwhen: 2024-04-17\nreported:\n  rsvps: -3\n",
            f"{SOURCE}:3: reported: rsvps: the number -3 is not a count; "
            'expected e.g. "42", "StLGo: 9, KCN-STL: 14" or "???"',
        ),
        (
            "title: T\nwhen: 2024-04-17\nagenda:\n  - 6:00pm Doors\n  - Talks\n",
            f'{SOURCE}:5: agenda: "Talks" does not start with a time; expected e.g. "5:30pm - 6:00pm Talk"',
        ),
        (
            "title: T\nwhen: 2024-04-17\nagenda:\n  - 6:00pm Doors\n  - 25:99 Talks\n",
            f'{SOURCE}:5: agenda: "25:99 Talks" has an impossible time (25:99); '
            'expected e.g. "* 5:30pm - 6:00pm Food"',
        ),
        (
            "title: T\nwhen: 2024-04-17\nagenda:\n  - {time: 6pm, title: Doors, room: A}\n",
            f'{SOURCE}:4: agenda: unknown key "room" in an item; allowed keys: time, title',
        ),
        (
            "title: T\nwhen: 2024-04-17\nagenda:\n  - {time: 6pm}\n",
            f"{SOURCE}:4: agenda: each item needs a time and a title, "
            "e.g. {time: 5:30pm - 6:00pm, title: Talk}",
        ),
        (
            "title: T\nwhen: 2024-04-17\nagenda:\n  - 7:00pm - 6:00pm Talk\n",
            f'{SOURCE}:4: agenda: "7:00pm - 6:00pm Talk" ends before it starts',
        ),
        (
            "title: T\nwhen: 2024-04-17\nsections: [a, b]\n",
            f"{SOURCE}:3: sections: expected a mapping of heading to text, got a list",
        ),
    ],
)
def test_errors_name_the_key_and_line(text: str, message: str) -> None:
    assert error_of(text) == message


def test_yaml_syntax_error_has_the_line() -> None:
    # libyaml and pure-Python PyYAML end this message differently ("here" / "in this context")
    message = error_of("title: T\nwhen: 2024-04-17\n  where: x\n")
    assert message.startswith(f"{SOURCE}:3: is not valid YAML: mapping values are not allowed")
