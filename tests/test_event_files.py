"""Finding event files and reading them safely (fixtures in tests/fixtures/events/)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.catalog.files import iter_event_files, load_event_file, slug_for
from bot.catalog.record import EventFileError, NotAnEvent, ParseOptions

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "events"
OPTIONS = ParseOptions()
CHICAGO = ZoneInfo("America/Chicago")


def load_error(path: Path) -> EventFileError:
    with pytest.raises(EventFileError) as caught:
        load_event_file(path, OPTIONS)
    assert caught.value.path == str(path)
    return caught.value


@pytest.mark.parametrize(
    ("path", "slug"),
    [
        (
            "events/2023-06-29-StreamingIngestionIntoIceberg/README.md",
            "2023-06-29-StreamingIngestionIntoIceberg",
        ),
        ("events/2023-06-29-Iceberg/readme.MD", "2023-06-29-Iceberg"),
        ("events/2024-04-17-fuzzing.yaml", "2024-04-17-fuzzing"),
        ("events/2024/holiday-party.markdown", "holiday-party"),
        ("events/2024/NOTES.md", "NOTES"),
    ],
)
def test_slug_for(path: str, slug: str) -> None:
    assert slug_for(Path(path)) == slug


def test_load_markdown_readme() -> None:
    path = FIXTURES / "2024-03-20-ProfilingWithPprof" / "README.md"
    record = load_event_file(path, OPTIONS)
    assert (record.slug, record.source) == ("2024-03-20-ProfilingWithPprof", str(path))
    assert record.title == "Profiling Go Services with pprof"
    assert record.starts_at == datetime(2024, 3, 20, 17, 30, tzinfo=CHICAGO)
    assert record.ends_at == datetime(2024, 3, 20, 19, 30, tzinfo=CHICAGO)
    assert record.location == "Venture Café, 4220 Duncan Ave - St. Louis, MO 63110"
    assert record.presenters == ["Dana Ortiz"]
    assert record.reported == {"membership": 712, "rsvps": 31, "attendance": None}
    assert [a.title for a in record.agenda] == ["Pizza and networking", "Profiling Go services", "Q&A"]


def test_load_yaml_and_other_extensions() -> None:
    record = load_event_file(FIXTURES / "2024-04-17-fuzzing.yaml", OPTIONS)
    assert (record.slug, record.title, record.online) == ("2024-04-17-fuzzing", "Fuzzing Go Services", True)
    assert (record.location, record.stream_url) == ("Zoom", "https://example.com/zoom/123")
    assert record.starts_at == datetime(2024, 4, 17, 18, 0, tzinfo=CHICAGO)
    yml = load_event_file(FIXTURES / "archive" / "2019" / "2019-11-06-lightning-talks.yml", OPTIONS)
    assert (yml.starts_at.hour, yml.ends_at.hour) == (18, 20)
    party = load_event_file(FIXTURES / "archive" / "2019" / "2019-12-04-holiday-party.markdown", OPTIONS)
    assert (party.title, party.cancelled, party.location) == ("Holiday Party", True, "TBD")


def test_index_page_is_not_an_event() -> None:
    with pytest.raises(NotAnEvent) as caught:
        load_event_file(FIXTURES / "index.md", OPTIONS)
    assert caught.value.path == str(FIXTURES / "index.md")


def test_parse_errors_carry_the_path_and_line() -> None:
    error = load_error(FIXTURES / ".hidden.md")
    assert (error.line, error.message) == (
        6,
        'When: "Someday" is not a date; expected e.g. "Wednesday, November 16, 2022"',
    )


def test_missing_file(tmp_path: Path) -> None:
    assert load_error(tmp_path / "gone.md").message == "does not exist"


def test_wrong_extension(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    assert load_error(path).message == "is not an event file; expected .md, .markdown, .yaml or .yml"


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "odd.md"
    folder.mkdir()
    assert load_error(folder).message == "is a folder, not an event file"


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.md"
    path.write_text("# T\n")

    real_open = os.open

    def denied(file: os.PathLike[str] | str, flags: int, *args: int, **kwargs: object) -> int:
        if Path(file) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, flags, *args)

    monkeypatch.setattr(os, "open", denied)
    assert load_error(path).message == "cannot be read (Permission denied)"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied_for_real(tmp_path: Path) -> None:
    path = tmp_path / "locked.md"
    path.write_text("# T\n")
    path.chmod(0)
    assert load_error(path).message == "cannot be read (Permission denied)"


def test_binary_files(tmp_path: Path) -> None:
    nul = tmp_path / "image.md"
    nul.write_bytes(b"# T\n\n\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    error = load_error(nul)
    assert (error.line, error.message) == (
        5,
        "is a binary file (it contains NUL bytes), not a text event file",
    )
    latin = tmp_path / "latin1.md"
    latin.write_bytes("# Caf\u00e9 night\n\n## Meta\n".encode("latin-1"))
    error = load_error(latin)
    assert (error.line, error.message) == (
        1,
        "is not UTF-8 text (byte 0xe9 is not valid UTF-8); save it as UTF-8",
    )


def test_utf8_with_bom_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "bom.md"
    path.write_bytes(
        b"\xef\xbb\xbf# Caf\xc3\xa9 Night\n\n## Meta\n| | |\n| --- | --- |\n| **When:** | 2024-03-20 |\n"
    )
    assert load_event_file(path, OPTIONS).title == "Café Night"


def test_big_file(tmp_path: Path) -> None:
    path = tmp_path / "export.md"
    with path.open("wb") as handle:
        handle.truncate(5 * 1024 * 1024)  # sparse: costs no disk
    assert load_error(path).message == "is 5.0 MiB; event files are at most 1 MiB"
    just_over = tmp_path / "just-over.md"
    with just_over.open("wb") as handle:
        handle.truncate(1024 * 1024 + 10)
    assert load_error(just_over).message == "is 1,048,586 bytes; event files are at most 1 MiB"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / "pipe.md"
    os.mkfifo(path)
    assert load_error(path).message == "is not a regular file"


def test_iter_event_files_walks_sorted_and_skips_hidden_and_others() -> None:
    found = [p.relative_to(FIXTURES).as_posix() for p in iter_event_files([FIXTURES])]
    assert found == [
        "2024-03-20-ProfilingWithPprof/README.md",
        "2024-04-17-fuzzing.yaml",
        "archive/2019/2019-11-06-lightning-talks.yml",
        "archive/2019/2019-12-04-holiday-party.markdown",
        "index.md",
    ]


def test_iter_event_files_takes_files_directly_once(tmp_path: Path) -> None:
    notes = FIXTURES / "notes.txt"
    hidden = FIXTURES / ".hidden.md"
    found = list(iter_event_files([notes, hidden, FIXTURES / "archive", notes]))
    assert found == [
        notes,
        hidden,
        FIXTURES / "archive" / "2019" / "2019-11-06-lightning-talks.yml",
        FIXTURES / "archive" / "2019" / "2019-12-04-holiday-party.markdown",
    ]
    assert list(iter_event_files([tmp_path / "missing"])) == [tmp_path / "missing"]


def test_unreadable_subfolder_is_reported_not_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "README.md").write_text("# T\n")
    (tmp_path / "b.md").write_text("# T\n")
    real_scandir = os.scandir

    def scandir(path: os.PathLike[str]) -> object:
        if Path(path).name == "a":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = list(iter_event_files([tmp_path]))
    assert found == [tmp_path / "a", tmp_path / "b.md"]
    assert (
        load_error(tmp_path / "a").message
        == "is a folder that cannot be read (Permission denied), not an event file"
    )
