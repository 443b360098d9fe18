"""Each lint check on real files: one that triggers it and one that does not (without a config)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.lint.conftest import LintRunner, day_in, page, write, written_date

NOTICE = "notice: no config: hosting groups not checked (pass --config)"


def problems(out: list[str]) -> list[str]:
    """The output without the run's notice and the summary."""
    return [line for line in out[:-1] if line != NOTICE]


def test_a_clean_file_passes_and_says_how_many_were_checked(lint: LintRunner, tmp_path: Path) -> None:
    write(tmp_path, "events/good.md", page())
    run = lint("events", cwd=tmp_path)
    assert run.code == 0
    assert run.out == [NOTICE, "1 file checked: 0 errors, 0 warnings"]


def test_weekday_that_disagrees_with_the_date(lint: LintRunner, tmp_path: Path) -> None:
    day = day_in(10)
    wrong = f"{day + timedelta(days=1):%A}"
    write(tmp_path, "bad.md", page(10, weekday=wrong))
    write(tmp_path, "good.md", page(10, weekday=f"{day:%A}"))
    run = lint("bad.md", "good.md", cwd=tmp_path)
    assert problems(run.out) == [
        f'bad.md:6: warning: When: "{wrong}" does not match the date: {day:%B} {day.day}, {day.year} '
        f"is a {day:%A}; using the date"
    ]
    assert run.code == 0
    assert lint("--strict", "bad.md", cwd=tmp_path).code == 1
    assert lint("--strict", "good.md", cwd=tmp_path).code == 0


def test_no_agenda_and_no_time_row(lint: LintRunner, tmp_path: Path) -> None:
    write(tmp_path, "no-time.md", page(time=None))
    write(tmp_path, "tbd.md", page(time="TBD"))
    write(tmp_path, "timed.md", page(time="7:00pm - 9:00pm"))
    write(tmp_path, "agenda.md", page(time=None, agenda=["5:30pm - 6:00pm Food", "6:00pm - 7:00pm Talk"]))
    write(tmp_path, "history.md", page(-30, time=None))  # an old page is not announced again
    run = lint(".", cwd=tmp_path)
    assert problems(run.out) == [
        "no-time.md:6: warning: no agenda and no Time row: the start falls back to the default, 6:00 PM CST; "
        'add a row like "| **Time:** | 6:00pm - 8:00pm |" or an agenda under "## Event"',
        "tbd.md:7: warning: no agenda and the Time says nothing definite: the start falls back to the default, "
        '6:00 PM CST; add a row like "| **Time:** | 6:00pm - 8:00pm |" or an agenda under "## Event"',
    ]
    assert run.out[-1] == "5 files checked: 0 errors, 2 warnings"


def test_the_default_start_is_the_configured_one_in_yaml_too(lint: LintRunner, tmp_path: Path) -> None:
    day = day_in(5)
    write(tmp_path, "e.yaml", f'title: YAML talk\nwhen: "{day.isoformat()}"\n')
    run = lint("e.yaml", cwd=tmp_path)
    assert problems(run.out) == [
        "e.yaml:2: warning: no agenda and no Time row: the start falls back to the default, 6:00 PM CST; "
        'add e.g. time: "6:00pm - 8:00pm" or an agenda:'
    ]


def test_agenda_that_runs_backwards(lint: LintRunner, tmp_path: Path) -> None:
    # explicit times: the parser sees the item starts before the one above it
    write(tmp_path, "explicit.md", page(agenda=["7:00pm - 7:30pm Q&A", "6:00pm - 6:30pm Food"]))
    # bare times run forward down the list, so the food lands the next morning
    write(tmp_path, "bare.md", page(agenda=["7:00 - 7:30 Q&A", "6:00 - 6:30 Food"]))
    write(tmp_path, "ordered.md", page(agenda=["6:00 - 6:30 Food", "7:00 - 7:30 Q&A"]))
    run = lint(".", cwd=tmp_path)
    # page(): line 7 Time, 8 blank, 9-10 Presentation, 11 blank, 12 "## Event", 13-14 the items
    assert problems(run.out) == [
        'bare.md:14: warning: agenda: "Food" is read as 6:00 AM CST the next day, 11 hours after the item '
        "above it (times run forward down the list); put the items in order, or write am/pm",
        'explicit.md:14: warning: agenda: "* 6:00pm - 6:30pm Food" starts before the item above it',
    ]


def test_capacity_below_the_rsvps_already_recorded(lint: LintRunner, tmp_path: Path) -> None:
    write(tmp_path, "over.md", page(rows=["**Capacity:** | 10", "**Total RSVPs:** | 12"]))
    write(tmp_path, "group.md", page(rows=["**Capacity:** | 10", "**Total RSVPs:** | StLGo: 11, KCN-STL: 3"]))
    write(tmp_path, "fits.md", page(rows=["**Capacity:** | 12", "**Total RSVPs:** | 12"]))
    write(tmp_path, "unknown.md", page(rows=["**Capacity:** | 10", "**Total RSVPs:** | ???"]))
    run = lint(".", cwd=tmp_path)
    assert problems(run.out) == [
        "group.md:8: error: Capacity 10 is below the 11 RSVPs already recorded (Total RSVPs for StLGo); "
        "raise the Capacity or correct the figure",
        "over.md:8: error: Capacity 10 is below the 12 RSVPs already recorded (Total RSVPs); "
        "raise the Capacity or correct the figure",
    ]
    assert run.code == 1


def test_duplicate_slugs_across_two_folders_name_both_files(lint: LintRunner, tmp_path: Path) -> None:
    write(tmp_path, "2026/go-talk/README.md", page(title="One"))
    write(tmp_path, "archive/go-talk.md", page(title="Two"))
    write(tmp_path, "2026/other/README.md", page(title="Three"))
    run = lint("2026", "archive", cwd=tmp_path)
    assert problems(run.out) == [
        '2026/go-talk/README.md:1: error: slug "go-talk" is also the slug of archive/go-talk.md; every event '
        "needs its own (the folder name for README.md, else the file name): rename one",
        'archive/go-talk.md:1: error: slug "go-talk" is also the slug of 2026/go-talk/README.md; every event '
        "needs its own (the folder name for README.md, else the file name): rename one",
    ]
    assert run.out[-1] == "3 files checked: 2 errors, 0 warnings"
    assert run.code == 1


def test_what_the_importer_rejects_is_an_error_with_its_line(lint: LintRunner, tmp_path: Path) -> None:
    write(tmp_path, "bad-date.md", page().replace(written_date(day_in(10)), "Smarch 45"))
    write(tmp_path, "no-when.yaml", "title: A talk\n")
    write(tmp_path, "binary.md", "# T\0\n")
    write(tmp_path, "index.md", "# Our events\n\nSee the folders.\n")
    write(tmp_path, "good.md", page())
    run = lint(".", cwd=tmp_path)
    out = problems(run.out)
    assert out[0].startswith('bad-date.md:6: error: When: "Smarch 45" is not a date')
    assert out[1] == "binary.md:1: error: is a binary file (it contains NUL bytes), not a text event file"
    assert out[2] == 'index.md: notice: skipped, no "## Meta" table, so not an event page'
    assert out[3] == 'no-when.yaml: error: when: missing; expected e.g. when: "2024-03-20"'
    assert len(out) == 4
    assert run.out[-1] == "5 files checked: 3 errors, 0 warnings"
    assert run.code == 1


def test_output_is_sorted_by_path_and_line_and_made_safe(lint: LintRunner, tmp_path: Path) -> None:
    day = day_in(10)
    wrong = f"{day + timedelta(days=2):%A}"
    rows = ["**Capacity:** | 1", "**Total RSVPs:** | 5", "**Video:** | none"]
    write(tmp_path, "b.md", page(time=None, weekday=wrong, rows=rows))
    write(tmp_path, "a\x1b[2J.md", page(time=None))
    run = lint("b.md", "a\x1b[2J.md", cwd=tmp_path)  # found in this order: b's unknown key (9) before line 6
    out = problems(run.out)
    assert [line.split(": ", 1)[0] for line in out] == [
        "a\\x1b[2J.md:6",
        "b.md:6",
        "b.md:6",
        "b.md:7",
        "b.md:9",
    ]
    assert "\x1b" not in "\n".join(run.out)
    assert [line.split(": ")[1] for line in out] == ["warning", "warning", "warning", "error", "warning"]


def test_a_past_event_is_only_checked_as_the_importer_checks_it(lint: LintRunner, tmp_path: Path) -> None:
    """History pages are never announced again: no start-time, agenda or capacity findings for them."""
    write(
        tmp_path,
        "old.md",
        page(-400, time=None, rows=["**Capacity:** | 1", "**Total RSVPs:** | 5"], agenda=[]),
    )
    run = lint("old.md", cwd=tmp_path)
    assert problems(run.out) == []
    assert run.code == 0


def test_a_large_folder_is_linted_in_worker_processes_with_the_same_result(tmp_path: Path) -> None:
    """From PARALLEL_FROM files on, chunks go to worker processes: the problems, and the duplicate slugs
    across chunks, are the same as linting in one process."""
    from bot.catalog.record import ParseOptions
    from bot.lint.linter import PARALLEL_FROM, lint_paths
    from tests.factories import NOW

    for index in range(PARALLEL_FROM):
        write(tmp_path, f"events/e{index}.md", page(time=None if index % 500 == 0 else "6:00pm - 8:00pm"))
    write(tmp_path, "events/zz/e1.md", page())  # the slug of e1.md, in another chunk
    write(tmp_path, "events/broken.md", "# Broken\n\n## Meta\n| | |\n")
    alone = lint_paths([tmp_path / "events"], ParseOptions(), NOW, check_groups=False, workers=1)
    shared = lint_paths([tmp_path / "events"], ParseOptions(), NOW, check_groups=False, workers=2)
    assert shared.sorted() == alone.sorted()
    assert (shared.files, shared.errors, shared.warnings) == (PARALLEL_FROM + 2, 3, 4)
