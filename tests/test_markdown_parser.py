"""The markdown event-page parser, on small pages written for these tests (not the corpus)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

import bot.catalog.markdown as markdown
from bot.catalog.markdown import parse_markdown
from bot.catalog.record import EventFileError, EventRecord, NotAnEvent, ParseOptions

CHICAGO = ZoneInfo("America/Chicago")
NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
DENVER = ZoneInfo("America/Denver")
SOURCE = "events/t.md"

FULL_PAGE = """\
# Profiling Go Services with pprof (Rescheduled)
https://www.meetup.com/StL-Go/events/300000001/
- https://community.cncf.io/events/details/cncf-saint-louis-presents-profiling/

## Meta\x20
| | |
| --- | --- |
| **When:** | Wednesday, March 20, 2024 |
| **Time:** | 6:00pm - 8:30pm CDT |
| **Where:** | [Venture Café](https://venturecafestl.org/), 4220 Duncan Ave - St. Louis, MO 63110 |
| **Presenter:** | Dana Ortiz, [@dortiz](https://twitter.com/dortiz) |
| | [Lee Park](https://example.com/lee) |
| **Hosting Group:** | Kubernetes &amp; Cloud Native STL |
| **Group Membership:** | StLGo: 712, KCN-STL: 530 |
| **Total RSVPs:** | 31 |
| **Total Attendance:** | ??? |

![](images/pprof.png)

## Presentation
Where does the time go? We profile a small web service with pprof.

### Bring a laptop
You can follow along.

## Event
The plan:
* 5:30 - 6:00 Pizza and networking
* 6:00 - 6:10 Announcements
* 6:10 - 7:10 Profiling Go services with [pprof](https://pkg.go.dev/runtime/pprof)
* 7:10 - 7:30 Q&amp;A

Please RSVP so that we order enough pizza.

## Recording
https://www.youtube.com/watch?v=abc123
"""


def parse(text: str, **options: object) -> EventRecord:
    return parse_markdown(text, slug="t", source=SOURCE, options=ParseOptions(**options))  # type: ignore[arg-type]


def page(*rows: str, title: str = "# Profiling Go Services", body: str = "") -> str:
    """A page whose Meta rows start on line 6 (title, blank, heading, header row, separator)."""
    return "\n".join([title, "", "## Meta", "| | |", "| --- | --- |", *rows]) + "\n\n" + body


WHEN = "| **When:** | Wednesday, March 20, 2024 |"


def at(hour: int, minute: int = 0, day: int = 20, zone: ZoneInfo = CHICAGO) -> datetime:
    return datetime(2024, 3, day, hour, minute, tzinfo=zone)


def error_of(text: str, **options: object) -> str:
    with pytest.raises(EventFileError) as caught:
        parse(text, **options)
    return str(caught.value)


# --------------------------------------------------------------------------- a whole page


def test_full_page() -> None:
    record = parse(FULL_PAGE, group_aliases={"kcn-stl": "Kubernetes & Cloud Native STL"})
    assert record.slug == "t" and record.source == SOURCE
    assert record.title == "Profiling Go Services with pprof"
    assert record.title_notes == ["Rescheduled"]
    assert record.cancelled is False
    assert record.links == [
        "https://www.meetup.com/StL-Go/events/300000001/",
        "https://community.cncf.io/events/details/cncf-saint-louis-presents-profiling/",
    ]
    assert record.timezone == "America/Chicago"
    assert record.starts_at == at(17, 30)  # the agenda wins over the Time row
    assert record.ends_at == at(19, 30)
    assert record.starts_at.utcoffset() == timedelta(hours=-5)
    assert record.online is False
    assert record.location == "Venture Café, 4220 Duncan Ave - St. Louis, MO 63110"
    assert record.stream_url is None and record.geo is None
    assert record.presenters == ["Dana Ortiz", "Lee Park"]
    assert record.hosting_groups == ["Kubernetes & Cloud Native STL", "StLGo"]
    assert record.reported == {"membership": 1242, "rsvps": 31, "attendance": None}
    assert record.reported_by_group == {"membership": {"StLGo": 712, "Kubernetes & Cloud Native STL": 530}}
    assert [(a.starts_at, a.ends_at, a.title) for a in record.agenda] == [
        (at(17, 30), at(18), "Pizza and networking"),
        (at(18), at(18, 10), "Announcements"),
        (at(18, 10), at(19, 10), "Profiling Go services with pprof"),
        (at(19, 10), at(19, 30), "Q&A"),
    ]
    assert list(record.sections) == ["Presentation", "Event", "Recording"]
    assert record.sections["Presentation"] == (
        "Where does the time go? We profile a small web service with pprof.\n\n"
        "### Bring a laptop\nYou can follow along."
    )
    assert record.sections["Recording"] == "https://www.youtube.com/watch?v=abc123"
    assert record.sections["Event"].startswith("The plan:\n* 5:30 - 6:00 Pizza")
    assert record.capacity is None
    assert record.warnings == []


def test_windows_line_ends_and_bom_read_the_same() -> None:
    plain_record = parse(FULL_PAGE)
    windows = parse("\ufeff" + FULL_PAGE.replace("\n", "\r\n"))
    assert windows == plain_record


# --------------------------------------------------------------------------- title and links


@pytest.mark.parametrize(
    ("heading", "title", "notes", "cancelled"),
    [
        ("# Mocking in Go (Rescheduled)", "Mocking in Go", ["Rescheduled"], False),
        ("# Mocking in Go (Cancelled)", "Mocking in Go", ["Cancelled"], True),
        ("# Mocking in Go (Canceled)", "Mocking in Go", ["Canceled"], True),
        ("# Mocking in Go (Event Cancelled)", "Mocking in Go", ["Event Cancelled"], True),
        ("# Mocking in Go (Postponed) (Online)", "Mocking in Go", ["Postponed", "Online"], False),
        ("# [GDN Event] Learning Go", "[GDN Event] Learning Go", [], False),
        ("# Generics (Part 2)", "Generics (Part 2)", [], False),
        ("# Go: Mistakes were Made (but not by me)", "Go: Mistakes were Made (but not by me)", [], False),
        ("# gRPC &amp; Protobuf", "gRPC & Protobuf", [], False),
        ("# [Cancelled] Holiday Party", "Holiday Party", ["Cancelled"], True),
        ("#   Spaces   around  ##", "Spaces around", [], False),
        ("# [] Odd brackets", "[] Odd brackets", [], False),
    ],
)
def test_title_and_notes(heading: str, title: str, notes: list[str], cancelled: bool) -> None:
    record = parse(page(WHEN, title=heading))
    assert (record.title, record.title_notes, record.cancelled) == (title, notes, cancelled)


def test_setext_title() -> None:
    record = parse("Profiling Go\n============\n\n## Meta\n| | |\n| --- | --- |\n" + WHEN + "\n")
    assert record.title == "Profiling Go"


def test_links_under_the_title_bare_or_listed() -> None:
    text = page(
        WHEN, title="# Talk\n\n* [Meetup](https://www.meetup.com/x/events/1/)\n- <https://bevy.example/e/2>"
    )
    assert parse(text).links == ["https://www.meetup.com/x/events/1/", "https://bevy.example/e/2"]


def test_no_title_is_an_error() -> None:
    text = "## Meta\n| | |\n| --- | --- |\n" + WHEN + "\n"
    assert error_of(text) == f'{SOURCE}:1: no title; expected a first line like "# Intro to Go"'


# --------------------------------------------------------------------------- the Meta table


def test_page_without_meta_is_not_an_event() -> None:
    with pytest.raises(NotAnEvent) as caught:
        parse("# StLGo talks\n\n* [Profiling](2024-03-20-Profiling/)\n\n## Older\nSee the archive.\n")
    assert caught.value.path == SOURCE
    assert 'no "## Meta" table' in caught.value.reason


def test_meta_heading_without_table() -> None:
    assert error_of("# Talk\n\n## Meta\nWhen: tomorrow\n").startswith(
        f"{SOURCE}:3: the Meta section has no table"
    )


def test_missing_when_row_points_at_the_meta_heading() -> None:
    message = error_of(page("| **Where:** | Online |"))
    assert message.startswith(f"{SOURCE}:3: the Meta table has no When row")


def test_key_variants() -> None:
    text = page(
        "| **When**: | Wednesday, March 20, 2024 |",
        "| Where: | Cortex |",
        "| __Presenters__ | Ann Lee |",
        "| **Hosting Groups:** | StLGo, Grafana & Friends |",
    )
    record = parse(text)
    assert record.starts_at.date().isoformat() == "2024-03-20"
    assert record.location == "Cortex"
    assert record.presenters == ["Ann Lee"]
    assert record.hosting_groups == ["StLGo", "Grafana & Friends"]
    assert record.warnings == []


def test_unknown_key_warns_with_line_and_parsing_goes_on() -> None:
    record = parse(page(WHEN, "| **Snacks:** | Pizza |", "| **Where:** | Cortex |"))
    assert record.location == "Cortex"
    assert len(record.warnings) == 1
    assert record.warnings[0].startswith('line 7: Meta: unknown key "Snacks" ignored; known keys: When, Time')


def test_plain_header_row_is_not_a_key() -> None:
    text = "# Talk\n\n## Meta\n| Key | Value |\n| --- | --- |\n" + WHEN + "\n"
    record = parse(text)
    assert record.warnings == []
    assert record.starts_at == at(18)


def test_two_meta_sections_merge() -> None:
    text = page(
        WHEN, body="## Presentation\nTalk.\n\n## Meta\n| | |\n| --- | --- |\n| **Total Attendance:** | 12 |\n"
    )
    record = parse(text)
    assert record.reported["attendance"] == 12
    assert list(record.sections) == ["Presentation"]


def test_repeated_row_keeps_the_first_and_warns() -> None:
    record = parse(page(WHEN, "| **When:** | Thursday, March 21, 2024 |"))
    assert record.starts_at == at(18)
    assert record.warnings == ["line 7: Meta: When given again (first on line 6); keeping the first"]


def test_row_with_one_cell() -> None:
    record = parse(page("| **When:** Wednesday, March 20, 2024", "| **Where:** Cortex |"))
    assert (record.starts_at, record.location) == (at(18), "Cortex")


def test_row_with_more_cells_and_escaped_pipe() -> None:
    record = parse(page(WHEN, "| **Where:** | Cortex \\| 4th floor | St. Louis |"))
    assert record.location == "Cortex | 4th floor, St. Louis"


def test_html_comment_in_a_value_is_ignored_and_lines_stay_right() -> None:
    text = page(
        "<!-- fill in\nafter the event -->",
        WHEN,
        "| **Total Attendance:** | <!-- later --> |",
        "| **Bogus:** | x |",
    )
    record = parse(text)
    assert record.reported["attendance"] is None
    assert record.warnings[0].startswith("line 10: Meta: unknown key")


# --------------------------------------------------------------------------- When


@pytest.mark.parametrize(
    "written",
    [
        "Wednesday, March 20, 2024",
        "Wednesday, March 20, 2024 (Rescheduled from 3/13)",
        "Wednesday, ~~March 13, 2024~~ March 20, 2024",
        "Wednesday, <del>March 13, 2024</del> March 20, 2024",
        "2024-03-20",
        "Wed, Mar 20, 2024",
        "Wednesday March 20th 2024",
        "Wednesday, 20 March 2024",
        "**Wednesday, March 20, 2024**",
    ],
)
def test_when_forms(written: str) -> None:
    record = parse(page(f"| **When:** | {written} |"))
    assert record.starts_at == at(18)
    assert record.ends_at == at(20)
    assert record.warnings == []


def test_weekday_that_disagrees_warns_and_the_date_wins() -> None:
    record = parse(page("| **When:** | Thursday, March 20, 2024 |"))
    assert record.starts_at == at(18)
    assert record.warnings == [
        'line 6: When: "Thursday" does not match the date: March 20, 2024 is a Wednesday; using the date'
    ]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("Someday", '"Someday" is not a date; expected e.g. "Wednesday, November 16, 2022"'),
        ("", '"" is not a date; expected e.g. "Wednesday, November 16, 2022"'),
        (
            "February 30, 2024",
            '"February 30, 2024" is not a valid date; expected e.g. "Wednesday, November 16, 2022"',
        ),
        (
            "~~March 20, 2024~~",
            '"~~March 20, 2024~~" is not a date; expected e.g. "Wednesday, November 16, 2022"',
        ),
    ],
)
def test_bad_when_is_an_error_with_the_line(written: str, message: str) -> None:
    text = page("| **Where:** | Cortex |", f"| **When:** | {written} |")
    assert error_of(text) == f"{SOURCE}:7: When: {message}"


def test_time_written_after_the_date() -> None:
    record = parse(page("| **When:** | Wednesday, March 20, 2024, 7:00pm - 9:00pm |"))
    assert (record.starts_at, record.ends_at) == (at(19), at(21))


# --------------------------------------------------------------------------- Time and zones


@pytest.mark.parametrize(
    ("written", "start", "end", "zone"),
    [
        ("12:00pm - 3:00pm CST", at(12), at(15), "America/Chicago"),
        ("6pm-8pm", at(18), at(20), "America/Chicago"),
        ("18:00 - 20:00", at(18), at(20), "America/Chicago"),
        ("6:00 PM", at(18), at(20), "America/Chicago"),  # no end: the default duration
        ("6:30 PM – 8:00 PM EDT", at(18, 30, zone=NEW_YORK), at(20, zone=NEW_YORK), "America/New_York"),
        ("7pm to 9pm PT", at(19, zone=LOS_ANGELES), at(21, zone=LOS_ANGELES), "America/Los_Angeles"),
        ("5:30pm - 7:30pm MST", at(17, 30, zone=DENVER), at(19, 30, zone=DENVER), "America/Denver"),
        ("6:00pm - 8:00pm ET", at(18, zone=NEW_YORK), at(20, zone=NEW_YORK), "America/New_York"),
        ("6 - 8", at(18), at(20), "America/Chicago"),
        ("10 - 2", at(10), at(14), "America/Chicago"),
        ("5:30 - 7:00pm", at(17, 30), at(19), "America/Chicago"),
        ("10pm - 1am", at(22), at(1, day=21), "America/Chicago"),
        ("noon - 2pm", at(12), at(14), "America/Chicago"),
        ("6:00pm - 8:00pm (doors at 5:30)", at(18), at(20), "America/Chicago"),
        ("TBD", at(18), at(20), "America/Chicago"),
    ],
)
def test_time_row(written: str, start: datetime, end: datetime, zone: str) -> None:
    record = parse(page(WHEN, f"| **Time:** | {written} |"))
    assert record.starts_at == start
    assert record.ends_at == end
    assert record.timezone == zone
    assert record.starts_at.tzinfo == ZoneInfo(zone)


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("25:99", '"25:99" is not a time; expected e.g. "6:00pm - 8:00pm CST" or "18:00 - 20:00"'),
        ("banana", '"banana" is not a time; expected e.g. "6:00pm - 8:00pm CST" or "18:00 - 20:00"'),
        (
            "6pm - 8pm - 9pm",
            '"6pm - 8pm - 9pm" is not a time; expected e.g. "6:00pm - 8:00pm CST" or "18:00 - 20:00"',
        ),
        ("8:00pm - 6:00pm", "ends before it starts"),
        (
            "6:00pm Mars/Olympus",
            '"Mars/Olympus" is not a time zone; expected e.g. "America/Chicago" or "CST"',
        ),
    ],
)
def test_bad_time_is_an_error_with_the_line(written: str, message: str) -> None:
    assert error_of(page(WHEN, f"| **Time:** | {written} |")) == f"{SOURCE}:7: Time: {message}"


def test_zone_from_options_and_from_a_timezone_row() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert parse(page(WHEN), timezone="Europe/Berlin").starts_at == at(18, zone=berlin)
    record = parse(page(WHEN, "| **Timezone:** | America/Denver |"), timezone="Europe/Berlin")
    assert (record.timezone, record.starts_at) == ("America/Denver", at(18, zone=ZoneInfo("America/Denver")))


def test_unknown_configured_zone_is_an_error() -> None:
    assert "the configured timezone" in error_of(page(WHEN), timezone="Nowhere/Atlantis")


def test_defaults_without_agenda_or_time() -> None:
    record = parse(page(WHEN), default_start=time(19, 15), default_duration=timedelta(minutes=90))
    assert (record.starts_at, record.ends_at) == (at(19, 15), at(20, 45))


# --------------------------------------------------------------------------- Where


def test_address_over_continuation_rows_with_pin() -> None:
    text = page(
        WHEN,
        "| **Where:** | Object Computing (OCI), |",
        "| | 12140 Woodcrest Executive Dr. |",
        "| | St. Louis, MO 63141 |",
        "| | :round_pushpin: 38.673912,-90.453064 |",
        "| **Presenter:** | Ann Lee |",
    )
    record = parse(text)
    assert record.location == "Object Computing (OCI), 12140 Woodcrest Executive Dr., St. Louis, MO 63141"
    assert record.geo == (38.673912, -90.453064)
    assert record.online is False
    assert record.presenters == ["Ann Lee"]


@pytest.mark.parametrize(
    ("written", "online", "location", "stream_url"),
    [
        ("VIRTUAL EVENT, Zoom/YouTube", True, "Zoom/YouTube", None),
        ("Virtual Event - CrowdCast", True, "CrowdCast", None),
        ("Online", True, "", None),
        ("Virtual: [YouTube](https://youtube.com/live/xyz)", True, "YouTube", "https://youtube.com/live/xyz"),
        ("Online, https://zoom.example/j/123", True, "", "https://zoom.example/j/123"),
        ("Zoom", True, "Zoom", None),
        ("Online Marketing Inc., 12 Main St", False, "Online Marketing Inc., 12 Main St", None),
        ("Cortex, Innovation Way", False, "Cortex, Innovation Way", None),
        ("[Cortex](https://cortexstl.com/)", False, "Cortex", None),
        ("Beer &amp; Code Bar,, 1 Main St", False, "Beer & Code Bar, 1 Main St", None),
        ("Cortex<br>4220 Duncan Ave", False, "Cortex, 4220 Duncan Ave", None),
    ],
)
def test_where(written: str, online: bool, location: str, stream_url: str | None) -> None:
    record = parse(page(WHEN, f"| **Where:** | {written} |"))
    assert (record.online, record.location, record.stream_url) == (online, location, stream_url)


def test_stream_row_gives_the_stream_url() -> None:
    record = parse(
        page(WHEN, "| **Where:** | Cortex |", "| **Stream:** | [YouTube](https://youtube.com/live/q) |")
    )
    assert (record.online, record.stream_url) == (False, "https://youtube.com/live/q")


def test_pin_out_of_range_is_an_error() -> None:
    text = page(WHEN, "| **Where:** | Cortex |", "| | :round_pushpin: 138.6,-90.4 |")
    assert (
        error_of(text)
        == f'{SOURCE}:8: Where: ":round_pushpin: 138.6,-90.4" is not a position; expected e.g. "38.67,-90.45"'
    )


# --------------------------------------------------------------------------- presenters and groups


@pytest.mark.parametrize(
    ("written", "names"),
    [
        ("Tom Wheeler, [@TemporalTom](https://twitter.com/TemporalTom)", ["Tom Wheeler"]),
        ("[Paul Balogh](https://www.linkedin.com/in/x/)", ["Paul Balogh"]),
        ("Anthony Lee, Dylan Bourque", ["Anthony Lee", "Dylan Bourque"]),
        ("Anthony Lee & Dylan Bourque", ["Anthony Lee", "Dylan Bourque"]),
        ("Anthony Lee and Dylan Bourque", ["Anthony Lee", "Dylan Bourque"]),
        ("Mitali Bisht (@EngrMitaliB)", ["Mitali Bisht"]),
        ("Bartłomiej Klimczak", ["Bartłomiej Klimczak"]),
        ("TBD", []),
    ],
)
def test_presenters(written: str, names: list[str]) -> None:
    assert parse(page(WHEN, f"| **Presenter:** | {written} |")).presenters == names


def test_presenter_per_continuation_row() -> None:
    text = page(
        WHEN,
        "| **Presenters:** | Daniel Mangum, [@hasheddan](https://twitter.com/hasheddan) |",
        "| | Mitali Bisht, [@EngrMitaliB](https://twitter.com/engrmitalib) |",
    )
    assert parse(text).presenters == ["Daniel Mangum", "Mitali Bisht"]


def test_groups_from_row_and_counts_canonical_and_once() -> None:
    text = page(
        WHEN,
        "| **Hosting Group:** | Kubernetes &amp; Cloud Native STL |",
        "| **Group Membership:** | KCN-STL: 476, StLGo: 673 |",
        "| **Total RSVPs:** | KCN-STL: 5, St. Louis Go: 6 |",
    )
    aliases = {"kcn-stl": "Kubernetes & Cloud Native STL", "st. louis go": "StLGo"}
    record = parse(text, group_aliases=aliases)
    assert record.hosting_groups == ["Kubernetes & Cloud Native STL", "StLGo"]
    assert record.reported_by_group == {
        "membership": {"Kubernetes & Cloud Native STL": 476, "StLGo": 673},
        "rsvps": {"Kubernetes & Cloud Native STL": 5, "StLGo": 6},
    }
    assert parse(text).hosting_groups == ["Kubernetes & Cloud Native STL", "KCN-STL", "StLGo", "St. Louis Go"]


def test_default_group_only_when_there_are_none() -> None:
    assert parse(page(WHEN), default_group="StLGo").hosting_groups == ["StLGo"]
    assert parse(page(WHEN)).hosting_groups == []
    with_group = page(WHEN, "| **Hosting Group:** | Grafana & Friends |")
    assert parse(with_group, default_group="StLGo").hosting_groups == ["Grafana & Friends"]


# --------------------------------------------------------------------------- counts, capacity, status


@pytest.mark.parametrize(
    ("written", "total", "by_group"),
    [
        ("602", 602, None),
        ("StLGo: 602, KCN-STL: 425", 1027, {"StLGo": 602, "KCN-STL": 425}),
        ("504 (14 in Bevy)", 504, None),
        ("9 YouTube, 2 Twitch", 11, None),
        ("9 YouTube & 2 Twitch", 11, None),
        ("???", None, None),
        ("?", None, None),
        ("TBD", None, None),
        ("-", None, None),
        ("", None, None),
        ("1,234", 1234, None),
        ("StLGo: 1,200, KCN-STL: 34", 1234, {"StLGo": 1200, "KCN-STL": 34}),
        ("StLGo: 9, KCN-STL: ???", None, {"StLGo": 9}),
        ("Kubernetes &amp; Cloud Native STL: 14", 14, {"Kubernetes & Cloud Native STL": 14}),
        ("~40", 40, None),
    ],
)
def test_counts(written: str, total: int | None, by_group: dict[str, int] | None) -> None:
    record = parse(page(WHEN, f"| **Total RSVPs:** | {written} |"))
    assert record.reported == {"membership": None, "rsvps": total, "attendance": None}
    assert record.reported_by_group == ({"rsvps": by_group} if by_group else {})


def test_bad_count_is_an_error_with_the_line() -> None:
    message = error_of(page(WHEN, "| **Total Attendance:** | lots |"))
    assert message == (
        f'{SOURCE}:7: Total Attendance: "lots" is not a count; '
        'expected e.g. "42", "StLGo: 9, KCN-STL: 14" or "???"'
    )


def test_capacity_and_status() -> None:
    record = parse(page(WHEN, "| **Capacity:** | 1,200 |", "| **Status:** | Cancelled |"))
    assert (record.capacity, record.cancelled) == (1200, True)
    record = parse(page(WHEN, "| **Capacity:** | ??? |", "| **Status:** | Confirmed |"))
    assert (record.capacity, record.cancelled, record.warnings) == (None, False, [])
    record = parse(page(WHEN, "| **Status:** | Maybe-ish |"))
    assert record.cancelled is False
    assert record.warnings == ['line 7: Status: "Maybe-ish" not understood; expected e.g. "Cancelled"']
    assert error_of(page(WHEN, "| **Capacity:** | plenty |")) == (
        f'{SOURCE}:7: Capacity: "plenty" is not a number; expected e.g. "50"'
    )


# --------------------------------------------------------------------------- agenda


def agenda_of(body: str, *rows: str) -> list[tuple[datetime, datetime | None, str]]:
    record = parse(page(WHEN, *rows, body=body))
    return [(a.starts_at, a.ends_at, a.title) for a in record.agenda]


def test_agenda_bare_times_are_evening_and_run_forward() -> None:
    body = "## Agenda\n- 12:00 - 12:45 Lunch\n- 1:00 - 1:45 Talk one\n- 11:30 - 12:15 Late talk\n"
    assert agenda_of(body) == [
        (at(12), at(12, 45), "Lunch"),
        (at(13), at(13, 45), "Talk one"),
        (at(23, 30), at(0, 15, day=21), "Late talk"),
    ]
    assert agenda_of("## Event\n* 5:30 - 6:00 Food\n") == [(at(17, 30), at(18), "Food")]


def test_agenda_in_the_morning_when_the_time_row_says_so() -> None:
    body = "## Event\n* 9:00 - 10:00 Breakfast\n* 10:00 - 12:00 Workshop\n* 12:00 - 1:00 Lunch\n"
    record = parse(page(WHEN, "| **Time:** | 9:00am - 1:00pm |", body=body))
    assert [(a.starts_at, a.ends_at) for a in record.agenda] == [
        (at(9), at(10)),
        (at(10), at(12)),
        (at(12), at(13)),
    ]
    assert (record.starts_at, record.ends_at) == (at(9), at(13))


def test_agenda_forms_and_open_ended_items() -> None:
    body = (
        "## Event\n"
        "The basic agenda follows:\n"
        "* 6:00pm: Doors open\n"
        "* 6:00pm-6:30pm: Snacks, drinks and networking\n"
        "* 6:30 PM – 7:30 PM Feature presentation\n"
        "* **7:30pm - 8:00pm** - [Q&A](https://example.com/qa)\n"
        "* Bring your questions\n"
        "* 3 lightning talks, ten minutes each\n"
        "\n"
        "Register at https://example.com/rsvp.\n"
    )
    assert agenda_of(body) == [
        (at(18), None, "Doors open"),
        (at(18), at(18, 30), "Snacks, drinks and networking"),
        (at(18, 30), at(19, 30), "Feature presentation"),
        (at(19, 30), at(20), "Q&A"),
    ]


def test_event_span_from_agenda_uses_the_latest_known_time() -> None:
    record = parse(
        page(WHEN, "| **Time:** | 5:00pm - 9:00pm |", body="## Event\n* 6:00pm Doors\n* 6:30pm Talk\n")
    )
    assert (record.starts_at, record.ends_at) == (at(18), at(18, 30))
    single = parse(page(WHEN, "| **Time:** | 5:00pm - 9:00pm |", body="## Event\n* 6:00pm Doors open\n"))
    assert (single.starts_at, single.ends_at) == (at(18), at(21))  # one point in time: the Time row's end


def test_agenda_only_in_event_or_agenda_sections() -> None:
    record = parse(page(WHEN, body="## Presentation\n* 5:30 - 6:00 Not an agenda item\n"))
    assert record.agenda == []
    assert record.starts_at == at(18)


def test_agenda_item_that_ends_before_it_starts() -> None:
    text = page(WHEN, body="## Event\n* 6:00pm - 7:00pm Talk\n* 7:30pm - 7:00pm Q&A\n")
    assert error_of(text) == f'{SOURCE}:10: agenda: "* 7:30pm - 7:00pm Q&A" ends before it starts'


@pytest.mark.parametrize(
    ("bullet", "bad"),
    [("* 25:99 - 6:00 Food", "25:99"), ("* 5:30 - 6:75 Food", "6:75"), ("* 13pm Food", "13pm")],
)
def test_agenda_item_with_an_impossible_time(bullet: str, bad: str) -> None:
    text = page(WHEN, body=f"## Event\n* 5:00 - 5:30 Doors\n{bullet}\n")
    assert error_of(text) == (
        f'{SOURCE}:10: agenda: "{bullet}" has an impossible time ({bad}); expected e.g. "* 5:30pm - 6:00pm Food"'
    )


def test_agenda_item_without_title_is_skipped_with_a_warning() -> None:
    record = parse(page(WHEN, body="## Event\n* 6:00 - 6:30\n* 6:30 - 7:30 Talk\n"))
    assert [a.title for a in record.agenda] == ["Talk"]
    assert record.warnings == ['line 9: agenda: "* 6:00 - 6:30" has no title; skipped']


def test_fenced_code_is_not_structure() -> None:
    body = (
        "## Presentation\n```markdown\n## Meta\n# Not a title\n* 5:30 - 6:00 nope\n```\n\n"
        "## Event\n* 6:00 - 7:00 Talk\n"
    )
    record = parse(page(WHEN, body=body))
    assert list(record.sections) == ["Presentation", "Event"]
    assert "# Not a title" in record.sections["Presentation"]
    assert [a.title for a in record.agenda] == ["Talk"]


def test_front_matter_is_skipped() -> None:
    record = parse("---\nlayout: event\n# tags: go\n---\n" + page(WHEN))
    assert record.title == "Profiling Go Services"


# --------------------------------------------------------------------------- never a traceback


def test_every_truncation_of_a_page_parses_or_fails_cleanly() -> None:
    """Cut the page at every character: each prefix is an event, not an event, or a clean error."""
    outcomes = {"ok": 0, "error": 0, "not an event": 0}
    for cut in range(len(FULL_PAGE) + 1):
        try:
            parse(FULL_PAGE[:cut])
            outcomes["ok"] += 1
        except EventFileError as exc:
            assert exc.path == SOURCE and exc.message
            assert "bug in the parser" not in exc.message, (cut, exc.message)
            outcomes["error"] += 1
        except NotAnEvent:
            outcomes["not an event"] += 1
    assert all(outcomes.values()), outcomes


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\0\0\0",
        "# T\n## Meta\n|",
        "# T\n## Meta\n| **When:** |",
        "## Meta\n" * 3,
        "|" * 500,
        "# T\n## Meta\n| x",
    ],
)
def test_garbage_fails_cleanly(text: str) -> None:
    with pytest.raises((EventFileError, NotAnEvent)) as caught:
        parse(text)
    assert "bug in the parser" not in str(caught.value)


def test_unexpected_exception_becomes_an_event_file_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise IndexError("list index out of range")

    monkeypatch.setattr(markdown, "parse_people", broken)
    message = error_of(FULL_PAGE)
    assert message == (
        f"{SOURCE}: could not be parsed (IndexError: list index out of range); this is a bug in the parser"
    )
