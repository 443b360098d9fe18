"""`lint --base REV` on a real git repository: a past date is a warning only on files new since REV."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.lint.conftest import LintRunner, day_in, git, page, write


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose `main` holds a history page and an upcoming event; HEAD is a branch off it."""
    root = tmp_path / "presentations"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, "2026-old/README.md", page(-40, title="Old talk"))
    write(root, "upcoming/README.md", page(20, title="Upcoming"))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "events")
    git(root, "checkout", "-q", "-b", "new-events")
    return root


def past_warning(path: str, days: int) -> str:
    day = day_in(days)
    return (
        f"{path}:6: warning: a new file with a past date: the event starts {day:%a, %b} {day.day}, {day.year} "
        "at 6:00 PM CST, before now; check the date (a record of a past event is fine)"
    )


def test_a_past_date_on_a_new_file_is_a_warning(lint: LintRunner, repo: Path) -> None:
    write(repo, "typo-year/README.md", page(-5, title="Meant for next year"))  # committed on the branch
    write(repo, "next/README.md", page(12, title="Next month"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "two new events")
    write(repo, "untracked-past/README.md", page(-2, title="Not committed yet"))  # new, too
    git(repo, "mv", "2026-old", "archive-2026-old")  # a moved history page is not new
    git(repo, "commit", "-q", "-m", "move")
    run = lint("--base", "main", ".", cwd=repo)
    assert run.out[1:] == [
        past_warning("typo-year/README.md", -5),
        past_warning("untracked-past/README.md", -2),
        "5 files checked: 0 errors, 2 warnings",
    ]
    assert run.code == 0
    assert lint("--strict", "--base", "main", ".", cwd=repo).code == 1
    # without --base nothing is known to be new: no past-date warnings
    without = lint(".", cwd=repo)
    assert without.out[1:] == ["5 files checked: 0 errors, 0 warnings"]


def test_base_works_from_another_folder_and_on_single_files(
    lint: LintRunner, repo: Path, tmp_path: Path
) -> None:
    write(repo, "typo-year/README.md", page(-5))
    run = lint(
        "--base", "main", str(repo / "typo-year" / "README.md"), "presentations/upcoming", cwd=tmp_path
    )
    assert run.out[1] == past_warning(f"{repo}/typo-year/README.md", -5)
    assert run.out[-1] == "2 files checked: 0 errors, 1 warning"
    # through a symlink to the repository (git names the real folder): the same files are new
    (tmp_path / "alias").symlink_to(repo)
    via_link = lint("--base", "main", "alias", cwd=tmp_path)
    assert via_link.out[1:] == [
        past_warning("alias/typo-year/README.md", -5),
        "3 files checked: 0 errors, 1 warning",
    ]


@pytest.mark.parametrize("base", ["no-such-branch", "main~5", "--output=/tmp/x", ""])
def test_base_that_is_not_a_revision_exits_2(lint: LintRunner, repo: Path, base: str) -> None:
    run = lint(f"--base={base}", ".", cwd=repo)
    assert run.code == 2
    assert run.out == []
    assert run.err.count("\n") == 1
    assert run.err.startswith(f'meetup-bot lint: --base "{base}" is not a')


def test_base_outside_a_git_repository_exits_2(lint: LintRunner, tmp_path: Path) -> None:
    write(tmp_path, "plain/e.md", page())
    run = lint("--base", "main", "plain", cwd=tmp_path)
    assert (run.code, run.out, run.err) == (
        2,
        [],
        "meetup-bot lint: --base: plain is not in a git repository\n",
    )


def test_an_unexpected_error_in_one_file_is_that_files_error(
    lint: LintRunner, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any exception while checking one file (here the OS running out of memory opening it) is one line
    about that file, no traceback, and the other files are still checked."""
    write(repo, "odd/README.md", page())
    real_open = os.open

    def failing_open(path: str | os.PathLike[str], flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith(os.path.join("odd", "README.md")):
            raise MemoryError("no memory left")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", failing_open)
    run = lint("--base", "main", ".", cwd=repo)
    assert run.out[1] == (
        "odd/README.md: error: could not be checked (MemoryError: no memory left); run with -v for the details"
    )
    assert run.out[-1] == "3 files checked: 1 error, 0 warnings"
    assert run.code == 1
