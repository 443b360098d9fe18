"""Hosting groups against a config, the GitHub Actions format (escaping included) and the exit statuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.lint.report import escape_data, escape_property
from tests.lint.conftest import LintRunner, page, write

KNOWN = "known: StLGo (St. Louis Go), Kubernetes & Cloud Native STL (KCN-STL)"


def test_unknown_hosting_group_is_an_error_with_a_config(
    lint: LintRunner, config_file: Path, tmp_path: Path
) -> None:
    write(tmp_path, "events/typo.md", page(rows=["**Hosting Group:** | StL Go"]))
    write(tmp_path, "events/alias.md", page(rows=["**Hosting Group:** | St. Louis Go"]))
    write(tmp_path, "events/cohost.md", page(rows=["**Hosting Group:** | KCN-STL, Rust STL"]))
    write(tmp_path, "events/partner.md", page(-60, rows=["**Hosting Group:** | Rust STL"]))
    run = lint("events", cwd=tmp_path, config=config_file)
    assert run.out == [
        f'events/partner.md:8: warning: hosting group "Rust STL" is not a configured group ({KNOWN}), so the '
        "event would never be announced; fix the name or add it to groups[].aliases in the config",
        f'events/typo.md:8: error: hosting group "StL Go" is not a configured group ({KNOWN}), so the event '
        "would never be announced; fix the name or add it to groups[].aliases in the config",
        "4 files checked: 1 error, 1 warning",
    ]
    assert run.code == 1


def test_the_config_is_found_as_for_every_command(
    lint: LintRunner, config_file: Path, tmp_path: Path
) -> None:
    """./config.yaml (config_file's folder) is used without --config, so groups are checked there."""
    write(tmp_path, "events/typo.md", page(rows=["**Hosting Group:** | StL Go"]))
    run = lint("events", cwd=tmp_path)
    assert run.code == 1
    assert "notice: no config" not in "\n".join(run.out)


def test_without_a_config_groups_are_not_checked_and_a_notice_says_so(
    lint: LintRunner, tmp_path: Path
) -> None:
    write(tmp_path, "events/typo.md", page(rows=["**Hosting Group:** | StL Go"]))
    run = lint("events", cwd=tmp_path)
    assert run.out == [
        "notice: no config: hosting groups not checked (pass --config)",
        "1 file checked: 0 errors, 0 warnings",
    ]
    assert run.code == 0


def test_strict_makes_warnings_fail(lint: LintRunner, tmp_path: Path) -> None:
    write(tmp_path, "warn.md", page(time=None))
    assert lint("warn.md", cwd=tmp_path).code == 0
    assert lint("--strict", "warn.md", cwd=tmp_path).code == 1
    write(tmp_path, "ok.md", page())
    assert lint("--strict", "ok.md", cwd=tmp_path).code == 0


def test_github_format_exactly(lint: LintRunner, tmp_path: Path) -> None:
    write(tmp_path, "events/warn.md", page(time=None))
    write(tmp_path, "events/one/50%,a:b.md", page())
    write(tmp_path, "events/two/50%,a:b.md", page())
    run = lint("--format", "github", "events", cwd=tmp_path)
    slug_message = (
        'slug "50%25,a:b" is also the slug of events/{other}/50%25,a:b.md; every event needs its own '
        "(the folder name for README.md, else the file name): rename one"
    )
    assert run.out == [
        "::notice title=meetup-bot lint::no config: hosting groups not checked (pass --config)",
        "::error file=events/one/50%25%2Ca%3Ab.md,line=1,title=meetup-bot lint::"
        + slug_message.format(other="two"),
        "::error file=events/two/50%25%2Ca%3Ab.md,line=1,title=meetup-bot lint::"
        + slug_message.format(other="one"),
        "::warning file=events/warn.md,line=6,title=meetup-bot lint::no agenda and no Time row: the start falls "
        'back to the default, 6:00 PM CST; add a row like "| **Time:** | 6:00pm - 8:00pm |" or an agenda under '
        '"## Event"',
        "3 files checked: 2 errors, 1 warning",
    ]
    assert run.code == 1


def test_github_format_escapes_line_breaks_and_paths_are_relative_to_the_current_folder(
    lint: LintRunner, tmp_path: Path
) -> None:
    """A newline (in a file name here) must not end the command, and an absolute PATH argument still
    annotates the file by its path in the repository (the current folder in a workflow)."""
    write(tmp_path, "a/x\r\ny.md", page())
    write(tmp_path, "b/x\r\ny.md", page())
    run = lint("--format", "github", str(tmp_path / "a"), str(tmp_path / "b"), cwd=tmp_path)
    assert run.out[1] == (
        "::error file=a/x%0D%0Ay.md,line=1,title=meetup-bot lint::"
        f'slug "x%0D%0Ay" is also the slug of {tmp_path}/b/x%0D%0Ay.md; every event needs its own '
        "(the folder name for README.md, else the file name): rename one"
    )
    assert len(run.out) == 4  # the notice, two errors, the summary: no line was split


def test_github_format_escapes_a_file_with_terminal_escapes(lint: LintRunner, tmp_path: Path) -> None:
    write(tmp_path, "t.md", page(rows=["**Vid\x1b]0;pwned\x07eo:** | x"]))
    run = lint("--format", "github", "t.md", cwd=tmp_path)
    assert "\x1b" not in "\n".join(run.out)
    assert run.out[1].startswith(
        "::warning file=t.md,line=8,title=meetup-bot lint::"
        'Meta: unknown key "Vid\\x1b]0;pwned\\x07eo" ignored; known keys: When, Time'
    )


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        ("100% done", "100%25 done", "100%25 done"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("path:7, col", "path:7, col", "path%3A7%2C col"),
        ("%0A", "%250A", "%250A"),
    ],
)
def test_escaping_as_github_requires(text: str, data: str, prop: str) -> None:
    assert escape_data(text) == data
    assert escape_property(text) == prop


def test_bad_usage_exits_2_with_one_line(lint: LintRunner, tmp_path: Path) -> None:
    run = lint("missing-folder", cwd=tmp_path)
    assert (run.code, run.out, run.err) == (
        2,
        [],
        "meetup-bot lint: missing-folder: no such file or folder\n",
    )


def test_an_empty_folder_is_checked_and_said_so(lint: LintRunner, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    run = lint("empty", cwd=tmp_path)
    assert run.code == 0
    assert run.out[1:] == [
        "notice: no event files found (.md, .markdown, .yaml or .yml)",
        "0 files checked: 0 errors, 0 warnings",
    ]
