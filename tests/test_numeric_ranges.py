"""One bad number in one file never stops the import of the others, nor the bot's start (issue 11, item 2)."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.catalog.importer import import_paths
from bot.catalog.markdown import parse_markdown
from bot.catalog.record import EventFileError, ParseOptions
from bot.catalog.yaml_event import parse_yaml
from bot.config import Config
from bot.db.models import Event, EventGroup
from tests.factories import NOW
from tests.test_cli import cli, sandbox_run

HUGE = "1000000000000000000000000000000"  # the issue's number: past SQLite's 64-bit INTEGER
DAY = (NOW + timedelta(days=30)).date()
WHEN = DAY.strftime("%A, %B %-d, %Y")
OPTIONS = ParseOptions()


def page(*rows: str, title: str = "Big Night") -> str:
    meta = "\n".join(rows)
    return f"# {title}\n\n## Meta\n| | |\n| --- | --- |\n| **When:** | {WHEN} |\n{meta}\n"


def yaml_doc(*lines: str) -> str:
    return "\n".join(["title: Big Night", f"when: {DAY.isoformat()}", *lines]) + "\n"


def write_good(events: Path, slug: str = "good") -> Path:
    path = events / f"{slug}.md"
    path.write_text(page("| **Capacity:** | 40 |", title="A good night"))
    return path


def test_import_reports_the_issues_capacity_and_imports_the_other_file(config_file: Path) -> None:
    events = config_file.parent / "events"
    (events / "big.md").write_text(page(f"| **Capacity:** | {HUGE} |"))
    write_good(events)
    result = cli(config_file, "import", str(events))
    assert result.returncode == 1, result.stderr
    assert "imported 1 new, 0 updated, 0 unchanged; 0 skipped, 1 failed" in result.stdout
    assert (
        f"error: {events / 'big.md'}:7: Capacity: {HUGE} is out of range (1–100000); fix the number"
        in result.stderr
    )
    assert "Traceback" not in result.stderr + result.stdout
    listed = json.loads(cli(config_file, "events", "--all", "--json").stdout)
    assert [(e["slug"], e["capacity"]) for e in listed] == [("good", 40)]


def test_an_out_of_range_number_leaves_the_stored_event_as_it_was(config_file: Path) -> None:
    events = config_file.parent / "events"
    good = write_good(events)
    assert cli(config_file, "import", str(events)).returncode == 0
    good.write_text(page(f"| **Capacity:** | {HUGE} |", title="A good night"))
    again = cli(config_file, "import", str(events))
    assert again.returncode == 1 and "Capacity: 1000" in again.stderr
    listed = json.loads(cli(config_file, "events", "--all", "--json").stdout)
    assert [(e["slug"], e["capacity"]) for e in listed] == [("good", 40)]


def test_yaml_numbers_out_of_range_fail_their_file_only(config_file: Path) -> None:
    events = config_file.parent / "events"
    (events / "capacity.yaml").write_text(yaml_doc(f"capacity: {HUGE}"))
    (events / "digits.yaml").write_text(yaml_doc("capacity: " + "9" * 5000))  # past int()'s 4,300 digits
    (events / "geo.yaml").write_text(yaml_doc("geo: [" + "9" * 25 + ", 1]"))  # too big for a float
    (events / "rsvps.yaml").write_text(yaml_doc("reported:", f"  rsvps: {HUGE}"))
    write_good(events)
    result = cli(config_file, "import", str(events))
    assert result.returncode == 1
    assert "imported 1 new, 0 updated, 0 unchanged; 0 skipped, 4 failed" in result.stdout
    errors = sorted(line for line in result.stderr.splitlines() if line.startswith("error:"))
    assert errors == [
        f"error: {events / 'capacity.yaml'}:3: capacity: {HUGE} is out of range (1–100000); fix the number",
        f"error: {events / 'digits.yaml'}:3: capacity: 99999999999999999999… (5000 characters) "
        "is out of range (1–100000); fix the number",
        f"error: {events / 'geo.yaml'}:3: geo: [{'9' * 25}, 1.0] is not a position; expected [38.67, -90.45]",
        f"error: {events / 'rsvps.yaml'}:3: reported: rsvps: {HUGE} is out of range (0–1000000); fix the number",
    ]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("| **Capacity:** | 0 |", "Capacity: 0 is out of range (1–100000); fix the number"),
        ("| **Capacity:** | 100,001 seats |", "Capacity: 100001 is out of range (1–100000); fix the number"),
        (
            f"| **Total RSVPs:** | {HUGE} |",
            f"Total RSVPs: {HUGE} is out of range (0–1000000); fix the number",
        ),
        (
            f"| **Group Membership:** | StLGo: 9, KCN-STL: {HUGE} |",
            f"Group Membership: {HUGE} is out of range (0–1000000); fix the number",
        ),
        (
            "| **Total Attendance:** | 900000 YouTube, 900000 Twitch |",
            "Total Attendance: the total 1800000 is out of range (0–1000000); fix the number",
        ),
        ("| **Total Attendance:** | ² |", 'Total Attendance: "²" is not a count'),  # isdigit, not a number
    ],
)
def test_markdown_counts_and_capacity_have_a_range(row: str, message: str) -> None:
    with pytest.raises(EventFileError) as caught:
        parse_markdown(page(row), slug="big", source="big.md", options=OPTIONS)
    assert str(caught.value).startswith(f"big.md:7: {message}")


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["capacity: 0"], "capacity: 0 is out of range (1–100000); fix the number"),
        (["capacity: -4"], "capacity: -4 is out of range (1–100000); fix the number"),
        (["geo: 'nan, -90.2'"], "geo: [nan, -90.2] is not a position"),
        (["geo: [38.6, 1.0e999]"], "geo: [38.6, inf] is not a position"),
        (["reported:", "  rsvps: {StLGo: 900000, KCN-STL: 900000}"], "reported: rsvps: the total 1800000"),
        (["reported:", f"  attendance: 'StLGo: {HUGE}'"], f"reported: attendance: {HUGE} is out of range"),
    ],
)
def test_yaml_counts_capacity_and_positions_have_a_range(lines: list[str], message: str) -> None:
    with pytest.raises(EventFileError) as caught:
        parse_yaml(yaml_doc(*lines), slug="big", source="big.yaml", options=OPTIONS)
    assert str(caught.value).startswith(f"big.yaml:3: {message}")


@pytest.mark.parametrize("years", [-NOW.year + 1, 1000])  # year 1 and a thousand years ahead
def test_years_have_a_range_so_date_arithmetic_cannot_overflow(years: int) -> None:
    year = NOW.year + years
    when = f"{year:04d}-12-31"
    with pytest.raises(EventFileError) as caught:
        parse_yaml(
            "\n".join(["title: T", f"when: {when}", "time: 11pm - 1am"]),
            slug="t",
            source="t.yaml",
            options=OPTIONS,
        )
    assert str(caught.value) == (
        f't.yaml:2: when: "{when}": the year {year} is out of range (1900–2999); fix the date'
    )
    text = page().replace(WHEN, f"December 31, {year:04d}")
    with pytest.raises(EventFileError) as caught:
        parse_markdown(text, slug="t", source="t.md", options=OPTIONS)
    assert "is out of range (1900–2999); fix the date" in str(caught.value)


def test_a_nul_character_fails_its_file_not_the_database(config_file: Path) -> None:
    """PostgreSQL refuses NUL in text (SQLite takes it): refused for the file on both, before storing."""
    events = config_file.parent / "events"
    (events / "nul.yaml").write_text(yaml_doc().replace("title: Big Night", 'title: "Big\\0Night"'))
    write_good(events)
    result = cli(config_file, "import", str(events))
    assert result.returncode == 1
    assert f"error: {events / 'nul.yaml'}: title contains a NUL character (\\0); remove it" in result.stderr
    assert "imported 1 new" in result.stdout


async def test_a_row_the_database_refuses_fails_only_its_file(
    config: Config, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """A real refusal by the database (a trigger aborts one row): the others are stored, with their groups,
    in the same transaction, and the refused file is an error with its path."""
    events = tmp_path / "events"
    for slug in ("a-first", "b-poison", "c-last"):
        (events / f"{slug}.md").write_text(page("| **Hosting Group:** | StLGo |", title=f"Talk {slug}"))
    with sqlite3.connect(tmp_path / "meetup.db") as db:
        db.execute(
            "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.slug = 'b-poison' "
            "BEGIN SELECT RAISE(ABORT, 'this row is refused'); END"
        )
    async with sessions.begin() as session:
        report = await import_paths(session, [events], config.parse_options(), NOW)
    assert report.created == ["a-first", "c-last"]
    assert [str(e) for e in report.errors] == [
        f"{events / 'b-poison.md'}: could not be stored in the database "
        "(IntegrityError: this row is refused); run with -v for the details"
    ]
    assert report.errors[0].detail is not None and "Traceback" in report.errors[0].detail
    async with sessions() as session:
        slugs = (await session.scalars(select(Event.slug).order_by(Event.slug))).all()
        groups = (await session.scalars(select(EventGroup.group_name))).all()
    assert slugs == ["a-first", "c-last"]
    assert groups == ["StLGo", "StLGo"]


async def test_run_starts_although_a_file_has_an_out_of_range_number(config_file: Path) -> None:
    events = config_file.parent / "events"
    (events / "big.md").write_text(page(f"| **Capacity:** | {HUGE} |"))
    (events / "big.yaml").write_text(yaml_doc(f"capacity: {HUGE}"))
    write_good(events)
    async with sandbox_run(config_file) as run:
        output = run.output
        assert f"Capacity: {HUGE} is out of range (1–100000); fix the number" in output
        assert f"capacity: {HUGE} is out of range (1–100000); fix the number" in output
        assert "imported 1 new, 0 updated, 0 unchanged; 0 skipped, 2 failed" in output
