"""The real event pages of stlgo/presentations (../shared/corpus, MIT, never copied into the project).

Every page must parse; the expected values below were read off the pages by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.catalog.files import iter_event_files, load_event_file
from bot.catalog.record import EventRecord, ParseOptions

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "stlgo-presentations"
CHICAGO = ZoneInfo("America/Chicago")
OPTIONS = ParseOptions()  # America/Chicago, 18:00 for two hours, no aliases
KCN = "Kubernetes & Cloud Native STL"
ALIASED = ParseOptions(group_aliases={"kcn-stl": KCN, "stlgo": "StLGo"})
OCI = "Object Computing (OCI), 12140 Woodcrest Executive Dr. Ste 310 - St. Louis, MO 63141"
CORTEX = "4220 Duncan Ave - St. Louis, MO 63110"

ABSENT = (
    "../shared/corpus/stlgo-presentations is absent (a user's clone has no ../shared); corpus tests need it"
)
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=ABSENT)


def pages() -> list[str]:
    return sorted(p.name for p in CORPUS.iterdir() if (p / "README.md").is_file()) if CORPUS.is_dir() else []


def load(folder: str, options: ParseOptions = OPTIONS) -> EventRecord:
    if not CORPUS.is_dir():
        pytest.skip(ABSENT)
    return load_event_file(CORPUS / folder / "README.md", options)


def clock(record_time: datetime) -> str:
    assert record_time.tzinfo == CHICAGO
    return record_time.strftime("%H:%M")


@needs_corpus
def test_the_corpus_is_there() -> None:
    assert len(pages()) == 29


@needs_corpus
@pytest.mark.parametrize("folder", pages())
def test_every_page_parses_cleanly(folder: str) -> None:
    record = load(folder)
    assert record.slug == folder
    assert record.title
    assert record.starts_at.date() == date.fromisoformat(folder[:10])  # folders are named by date
    assert record.starts_at < record.ends_at
    assert record.warnings == []


@needs_corpus
def test_walking_the_corpus_finds_every_page() -> None:
    found = [p for p in iter_event_files([CORPUS]) if p.name == "README.md"]
    assert [p.parent.name for p in found] == pages()


@dataclass(frozen=True)
class Facts:
    """What a page says, read off it by hand."""

    title: str
    start: str
    end: str
    online: bool
    location: str
    presenters: list[str]
    counts: tuple[int | None, int | None, int | None]  # membership, RSVPs, attendance
    notes: tuple[str, ...] = ()


FACTS = {
    "2020-02-26-Mocka": Facts(
        "Mocka - Function in Golang",
        "18:00",
        "20:00",
        False,
        "Object Computing (OCI), 12140 Woodcrest Executive Dr., St. Louis, MO 63141",
        ["Chris Marfia"],
        (317, 28, 15),
        notes=("Rescheduled",),
    ),
    "2020-03-25-GrayHatGo": Facts(
        "Gray Hat Go", "18:00", "20:00", True, "CrowdCast", ["Michael Madden"], (332, 37, 18)
    ),
    "2020-04-29-MuphysLawAnIntrospective": Facts(
        "Murphy's Law: An Introspective",
        "18:00",
        "20:00",
        True,
        "CrowdCast",
        ["Steering Committee"],
        (352, 47, 10),
    ),
    "2020-05-27-KubeControllers": Facts(
        "Writing General Purpose Kubernetes Controllers in Go",
        "18:00",
        "20:00",
        True,
        "CrowdCast",
        ["Daniel Mangum", "Mitali Bisht"],
        (367, 37, 23),
    ),
    "2020-06-24-gRPCAndProtobuf": Facts(
        "gRPC & Protobuf: High Performance APIs, High Performance Development Teams",
        "18:00",
        "20:00",
        True,
        "CrowdCast",
        ["John Corry"],
        (392, 46, 22),
    ),
    "2020-08-26-Generics": Facts(
        "Generics Draft Proposal Review",
        "18:00",
        "20:00",
        True,
        "CrowdCast/Zoom",
        ["Bill Kennedy", "Sabree Blackmon"],
        (421, 47, 22),
    ),
    "2020-09-23-MistakesWereMade": Facts(
        "Go: Mistakes were Made (but not by me)",
        "18:00",
        "20:00",
        True,
        "Crowdcast",
        ["Ken Sipe"],
        (435, 36, 17),
    ),
    "2021-01-27-GDN": Facts(
        "[GDN Event] Learning Go - Tips for all Gopher Levels",
        "12:00",
        "15:00",
        True,
        "Zoom",
        ["Go Developer Network"],
        (445, 30, None),
    ),
    "2021-02-24-UntanglingMonorepo": Facts(
        "Untangling the Monorepo: Moving to Go Modules",
        "18:00",
        "20:00",
        True,
        "Zoom/YouTube",
        ["Anthony Lee", "Dylan Bourque"],
        (454, 22, 14),
    ),
    "2021-03-24-AnyoneCanBeAGopher": Facts(
        "Anyone Can Be A Gopher!", "18:00", "20:00", True, "Zoom/YouTube", ["Angelica Hill"], (465, 31, None)
    ),
    "2021-10-27-MyGoProverbs": Facts(
        "My Go Proverbs", "18:00", "20:00", True, "Zoom/YouTube", ["Bartłomiej Klimczak"], (502, 19, 6)
    ),
    "2022-02-23-BuildingCLIApps": Facts(
        "Building CLI Apps with Golang",
        "18:00",
        "20:00",
        True,
        "YouTube/Twitch",
        ["Chamod Shehanka Perera"],
        (557, 52, 11),
    ),
    "2022-04-27-RealTimeDataApps": Facts(
        "Building Real-Time Data Apps with Go and Turbine",
        "18:00",
        "20:00",
        True,
        "YouTube/Twitch",
        ["DeVaris Brown"],
        (586, 30, 5),
    ),
    "2022-10-20-DistributedLoadTests": Facts(
        "Running distributed load tests with k6",
        "18:00",
        "20:00",
        False,
        CORTEX,
        ["Paul Balogh"],
        (411, 13, 6),
    ),
    "2022-11-16-FailureIsNotAnOption": Facts(
        "Failure is Not an Option: Durable Code Execution with Temporal",
        "17:30",
        "19:30",
        False,
        CORTEX,
        ["Tom Wheeler"],
        (1027, 23, 4),
    ),
    "2023-03-16-TraceBasedTestingWithTracetest": Facts(
        "Trace-based Testing with Tracetest",
        "18:00",
        "20:00",
        False,
        f"Cambridge Innovation Center (CIC), {CORTEX}",
        ["Paul Balogh"],
        (451, 11, 4),
    ),
    "2023-05-18-ReliabilityPipelinesWithKeptn": Facts(
        "Creating Reliability Pipelines With Keptn Quality Gates",
        "18:00",
        "20:00",
        False,
        OCI,
        ["Paul Balogh"],
        (468, 14, 4),
    ),
    "2023-06-13-GrafanaConLocal": Facts(
        "GrafanaCON Local St. Louis", "17:30", "19:00", False, OCI, ["Paul Balogh"], (25, 8, 7)
    ),
    "2023-06-29-StreamingIngestionIntoIceberg": Facts(
        "Streaming Ingestion Into Apache Iceberg",
        "18:00",
        "20:00",
        False,
        OCI,
        ["Cliff Gilmore"],
        (None, None, 12),
    ),
    "2023-07-20-OpenFeature": Facts(
        "OpenFeature: Revolutionizing Feature Management",
        "17:30",
        "20:00",
        False,
        OCI,
        ["James Carr"],
        (1149, 11, 9),
    ),
    "2023-12-13-ReduceAlertFatigue": Facts(
        "Reduce Security Alert Fatigue – Focus on What Matters",
        "17:30",
        "20:00",
        False,
        OCI,
        ["John Richards II"],
        (499, 8, 3),
    ),
}


@pytest.mark.parametrize("folder", list(FACTS))
def test_page_facts(folder: str) -> None:
    facts = FACTS[folder]
    record = load(folder)
    assert (record.title, record.title_notes, record.cancelled) == (facts.title, list(facts.notes), False)
    assert (clock(record.starts_at), clock(record.ends_at), record.timezone) == (
        facts.start,
        facts.end,
        CHICAGO.key,
    )
    assert (record.online, record.location) == (facts.online, facts.location)
    assert record.presenters == facts.presenters
    membership, rsvps, attendance = facts.counts
    assert record.reported == {"membership": membership, "rsvps": rsvps, "attendance": attendance}


def test_mocka_address_rows_and_pin() -> None:
    record = load("2020-02-26-Mocka")
    assert record.geo == (38.673912, -90.453064)
    assert record.starts_at == datetime(2020, 2, 26, 18, 0, tzinfo=CHICAGO)
    assert record.starts_at.utcoffset() == timedelta(hours=-6)  # CST in February
    assert record.links == ["https://www.meetup.com/StL-Go/events/268159688/"]
    assert record.hosting_groups == []
    assert record.stream_url is None
    assert list(record.sections) == ["Presentation", "Presenter", "Photos"]


def test_murphys_law_rescheduled_date_in_parentheses() -> None:
    record = load("2020-04-29-MuphysLawAnIntrospective")
    assert record.starts_at.date() == date(2020, 4, 29)  # not 4/22
    assert record.sections["Recording"] == "https://www.crowdcast.io/e/20200422-stlgomeetup"
    assert "### Shownotes:" in record.sections["Presentation"]


def test_keptn_struck_through_date() -> None:
    record = load("2023-05-18-ReliabilityPipelinesWithKeptn")
    assert record.starts_at == datetime(2023, 5, 18, 18, 0, tzinfo=CHICAGO)  # not April 18
    assert record.hosting_groups == [KCN]  # "&amp;" decoded
    assert record.sections["Notes"].startswith(
        "- This was our first post-pandemic event held at OCI offices."
    )


def test_gdn_time_row_with_zone() -> None:
    record = load("2021-01-27-GDN")
    assert (record.starts_at, record.ends_at) == (
        datetime(2021, 1, 27, 12, 0, tzinfo=CHICAGO),
        datetime(2021, 1, 27, 15, 0, tzinfo=CHICAGO),
    )
    assert record.agenda == []
    assert record.hosting_groups == []
    assert load("2021-01-27-GDN", ParseOptions(default_group="StLGo")).hosting_groups == ["StLGo"]


def test_kube_controllers_second_presenter_and_subsections() -> None:
    record = load("2020-05-27-KubeControllers")
    assert record.presenters == ["Daniel Mangum", "Mitali Bisht"]
    assert list(record.sections) == [
        "Presentation",
        "Presenter",
        "Lightning Talk",
        "Recording",
        "Action Shots",
        "Giveaways",
    ]
    assert "### Presenter: Mitali Bisht, @EngrMitaliB" in record.sections["Lightning Talk"]


def test_per_group_counts_without_and_with_aliases() -> None:
    failure = load("2022-11-16-FailureIsNotAnOption")
    assert failure.hosting_groups == ["StLGo", "KCN-STL"]
    assert failure.reported_by_group == {
        "membership": {"StLGo": 602, "KCN-STL": 425},
        "rsvps": {"StLGo": 9, "KCN-STL": 14},
    }
    aliased = load("2022-11-16-FailureIsNotAnOption", ALIASED)
    assert aliased.hosting_groups == ["StLGo", KCN]
    assert aliased.reported_by_group["rsvps"] == {"StLGo": 9, KCN: 14}

    feature = load("2023-07-20-OpenFeature")
    assert feature.hosting_groups == [KCN, "KCN-STL", "StLGo"]
    assert feature.reported_by_group == {
        "membership": {"KCN-STL": 476, "StLGo": 673},
        "rsvps": {"KCN-STL": 5, "StLGo": 6},
    }
    assert load("2023-07-20-OpenFeature", ALIASED).hosting_groups == [KCN, "StLGo"]


def test_counts_with_details_platforms_and_unknowns() -> None:
    assert load("2023-12-13-ReduceAlertFatigue").reported["membership"] == 499  # "499 (12 in Bevy)"
    cli = load("2022-02-23-BuildingCLIApps")
    assert (cli.reported["attendance"], cli.reported_by_group) == (11, {})  # "9 YouTube, 2 Twitch"
    assert load("2021-03-24-AnyoneCanBeAGopher").reported["attendance"] is None  # "???"


def test_hosting_groups() -> None:
    assert load("2023-06-13-GrafanaConLocal").hosting_groups == ["Grafana & Friends"]
    assert load("2023-04-26-IntroToWebScraping").hosting_groups == ["StLGo"]
    assert load("2023-06-29-StreamingIngestionIntoIceberg").hosting_groups == [
        "St. Louis Apache Kafka Meetup by Confluent"
    ]
    assert load("2023-01-19-SeeInsideYourCloudWithOpenTelemetry").hosting_groups == [KCN]


def test_failure_is_not_an_option_agenda_runs_into_the_evening() -> None:
    record = load("2022-11-16-FailureIsNotAnOption")
    assert [(clock(a.starts_at), a.ends_at and clock(a.ends_at), a.title) for a in record.agenda] == [
        ("17:30", "18:00", "Food and networking (Go excels at networking)."),
        ("18:00", "18:10", "Announcements, intros, and so forth."),
        ("18:15", "19:00", "Main presentation of the month."),
        ("19:00", "19:30", "Q&A"),
    ]
    assert record.links == []
    assert list(record.sections) == [
        "Presentation", "Presenter", "Event", "Sponsors", "Resources", "Recording", "Action Shots",
    ]  # fmt: skip
    assert record.sections["Recording"] == "https://www.youtube.com/watch?v=IjCqIz-Y5so"


def test_iceberg_agenda_with_am_pm_and_an_open_item() -> None:
    record = load("2023-06-29-StreamingIngestionIntoIceberg")
    assert [(clock(a.starts_at), a.ends_at and clock(a.ends_at), a.title) for a in record.agenda] == [
        ("18:00", None, "Doors open"),
        ("18:00", "18:30", "Snack, drinks and networking"),
        ("18:30", "19:30", "Feature presentation"),
        ("19:30", "20:00", "Additional Q&A & Networking"),
    ]
    assert record.links == ["https://www.meetup.com/kubernetes-cloud-native-stl/events/294460154/"]


def test_grafana_agenda_and_the_later_format() -> None:
    record = load("2023-06-13-GrafanaConLocal")
    assert [(clock(a.starts_at), a.title) for a in record.agenda] == [
        ("17:30", "Arrivals and food and drink"),
        ("18:00", "Presentation and Q&A"),
        ("18:30", "Wrap up and departures"),
    ]
    assert record.starts_at == datetime(2023, 6, 13, 17, 30, tzinfo=CHICAGO)
    assert record.starts_at.utcoffset() == timedelta(hours=-5)  # CDT in June


def test_links_listed_under_the_title() -> None:
    assert load("2023-09-20-EKSScalableCloud").links == [
        "https://community.cncf.io/events/details/cncf-saint-louis-presents-eks-efficient-on-prem-to-scalable-cloud/",
        "https://www.meetup.com/kubernetes-cloud-native-stl/events/295594357/",
    ]
    assert load("2023-12-13-ReduceAlertFatigue").links == [
        "https://community.cncf.io/events/details/cncf-saint-louis-presents-reduce-security-alert-fatigue-focus-on-what-matters/",
        "https://www.meetup.com/kubernetes-cloud-native-stl/events/297820732/",
    ]


def test_default_start_applies_to_pages_without_agenda_or_time() -> None:
    evening = ParseOptions(default_start=time(19, 0))
    record = load("2021-05-26-HowWeGoLinkerd", evening)
    assert (clock(record.starts_at), clock(record.ends_at)) == ("19:00", "21:00")
    assert record.presenters == ["Charles Pretzer"]
