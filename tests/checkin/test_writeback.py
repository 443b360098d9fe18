"""Writing Total RSVPs / Total Attendance back: only those cells change, and the file imports again."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from bot.catalog.files import load_event_file
from bot.checkin.writeback import Kept, Totals, WriteBackError, merge, rewrite, write_back
from bot.config import Config
from tests.conftest import CORPUS

PAGE = """\
# Failure Is Not an Option
https://www.meetup.com/StL-Go/events/1/

## Meta
| | |
| --- | --- |
| **When:** | Wednesday, November 16, 2022 |
| **Where:** | Somewhere, St. Louis |
| **Group Membership:** | StLGo: 602, KCN-STL: 425 |
| **Total RSVPs:** |  StLGo: 9, KCN-STL: 14  |
| **Total Attendance:** | ??? |

## Presentation
| **Total RSVPs:** | 1 |  (not Meta: left alone)
"""
KCN = "Kubernetes & Cloud Native STL"


def _changed(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_only_the_value_cells_change(tmp_path: Path, config: Config) -> None:
    path = tmp_path / "events" / "2022-11-16-fail.md"
    path.write_bytes(PAGE.replace("\n", "\r\n").encode())
    values = {
        "rsvps": Totals(25, {"StLGo": 10, KCN: 15}),
        "attendance": Totals(6, {"StLGo": 2, KCN: 4}),
    }
    canonical = config.parse_options().canonical_group
    before = path.read_bytes().decode()
    assert write_back(path, values, canonical).changed
    after = path.read_bytes().decode()
    assert _changed(before, after) == [
        "-| **Total RSVPs:** |  StLGo: 9, KCN-STL: 14  |",
        "-| **Total Attendance:** | ??? |",
        "+| **Total RSVPs:** |  StLGo: 10, KCN-STL: 15  |",
        "+| **Total Attendance:** | 6 |",
    ]
    assert after.count("\r\n") == before.count("\r\n") and "\n" not in after.replace("\r\n", "")
    assert not write_back(path, values, canonical).changed  # again: nothing to change
    record = load_event_file(path, config.parse_options())
    assert record.reported["rsvps"] == 25 and record.reported["attendance"] == 6
    assert record.reported_by_group["rsvps"] == {"StLGo": 10, KCN: 15}


def test_a_missing_row_is_added_after_the_last_meta_row() -> None:
    text = PAGE.replace("| **Total Attendance:** | ??? |\n", "")
    new = rewrite(text, {"attendance": Totals(4)}, str)
    assert _changed(text, new) == ["+| **Total Attendance:** | 4 |"]
    assert new.index("| **Total Attendance:** | 4 |") < new.index("## Presentation")
    with pytest.raises(WriteBackError):
        rewrite("# Title\n\nNo table.\n", {"rsvps": Totals(1)}, str)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus/stlgo-presentations is absent")
def test_round_trip_on_a_copy_of_a_real_page(tmp_path: Path, config: Config) -> None:
    copy = tmp_path / "README.md"
    shutil.copyfile(CORPUS / "2022-11-16-FailureIsNotAnOption" / "README.md", copy)
    options = config.parse_options()
    original = load_event_file(copy, options)
    before = copy.read_bytes()
    write_back(
        copy, {"rsvps": Totals(30, {"StLGo": 12, KCN: 18}), "attendance": Totals(7)}, options.canonical_group
    )
    after = copy.read_bytes()
    assert _changed(before.decode(), after.decode()) == [
        "-| **Total RSVPs:** | StLGo: 9, KCN-STL: 14 |",
        "-| **Total Attendance:** | 4 |",
        "+| **Total RSVPs:** | StLGo: 12, KCN-STL: 18 |",
        "+| **Total Attendance:** | 7 |",
    ]
    assert len(after) == len(before) + 1  # "9" became "12"
    again = load_event_file(copy, options)
    assert again.reported == {**original.reported, "rsvps": 30, "attendance": 7}
    assert (again.slug, again.title, again.starts_at, again.ends_at) == (
        original.slug,
        original.title,
        original.starts_at,
        original.ends_at,
    )


def test_a_figure_the_bot_would_lower_is_kept_unless_forced() -> None:
    text = PAGE.replace("| ??? |", "| 15 |").replace(" StLGo: 9, KCN-STL: 14 ", "24")
    values = {"rsvps": Totals(2), "attendance": Totals(3)}
    kept = merge(text, values, str)
    assert kept.text == text and not kept.changed
    assert kept.kept == [Kept("Total RSVPs", "24", 2), Kept("Total Attendance", "15", 3)]
    forced = merge(text, values, str, force=True)
    assert _changed(text, forced.text) == [
        "-| **Total RSVPs:** | 24 |",
        "-| **Total Attendance:** | 15 |",
        "+| **Total RSVPs:** | 2 |",
        "+| **Total Attendance:** | 3 |",
    ]
    assert forced.kept == []


def test_unknown_cells_are_filled_and_lower_figures_raised() -> None:
    text = PAGE.replace(" StLGo: 9, KCN-STL: 14 ", "20").replace("| ??? |", "| TBD |")
    merged = merge(text, {"rsvps": Totals(21), "attendance": Totals(3)}, str)
    assert _changed(text, merged.text) == [
        "-| **Total RSVPs:** | 20 |",
        "-| **Total Attendance:** | TBD |",
        "+| **Total RSVPs:** | 21 |",
        "+| **Total Attendance:** | 3 |",
    ]
    assert merged.kept == []


def test_a_cell_that_says_more_than_a_number_is_kept_unless_forced() -> None:
    text = PAGE.replace("| ??? |", "| 9 YouTube, 2 Twitch |")
    merged = merge(text, {"attendance": Totals(30)}, str)
    assert merged.text == text and merged.kept == [Kept("Total Attendance", "9 YouTube, 2 Twitch", 30)]
    forced = merge(text, {"attendance": Totals(30)}, str, force=True)
    assert _changed(text, forced.text) == [
        "-| **Total Attendance:** | 9 YouTube, 2 Twitch |",
        "+| **Total Attendance:** | 30 |",
    ]


def test_per_group_cells_keep_groups_without_data_and_figures_that_would_drop(config: Config) -> None:
    canonical = config.parse_options().canonical_group
    text = PAGE.replace(" StLGo: 9, KCN-STL: 14 ", "StLGo: 9, KCN-STL: 14, Other:???")
    # the bot has RSVPs only for StLGo (lower than the file's 9) and for KCN (higher than 14)
    values = {"rsvps": Totals(20, {"StLGo": 3, KCN: 17})}
    merged = merge(text, values, canonical)
    assert _changed(text, merged.text) == [
        "-| **Total RSVPs:** | StLGo: 9, KCN-STL: 14, Other:??? |",
        "+| **Total RSVPs:** | StLGo: 9, KCN-STL: 17, Other:??? |",
    ]
    assert merged.kept == [Kept("Total RSVPs (StLGo)", "9", 3)]
    forced = merge(text, values, canonical, force=True)
    assert "| **Total RSVPs:** | StLGo: 3, KCN-STL: 17, Other:??? |" in forced.text
    # an unknown group part is filled where the bot has that group's figure
    unknown = text.replace("KCN-STL: 14", "KCN-STL: ???")
    assert "| StLGo: 9, KCN-STL: 17, Other:??? |" in merge(unknown, values, canonical).text


def test_write_back_leaves_the_file_alone_when_every_figure_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "talk.md"
    text = PAGE.replace("| ??? |", "| 15 |")
    path.write_bytes(text.encode())
    before = path.stat().st_mtime_ns
    merged = write_back(path, {"attendance": Totals(2)}, str)
    assert not merged.changed and merged.kept == [Kept("Total Attendance", "15", 2)]
    assert path.read_bytes() == text.encode() and path.stat().st_mtime_ns == before
