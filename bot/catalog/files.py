"""Find event files and read them safely: every problem with a file becomes an EventFileError.

The events folder is edited by people and synced by tools, so it holds the odd unreadable file, a
stray binary or a huge export; each must be reported clearly and must not stop the other files.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from bot.catalog.markdown import parse_markdown
from bot.catalog.record import EventFileError, EventRecord, NotAnEvent, ParseOptions
from bot.catalog.yaml_event import parse_yaml

__all__ = ["EVENT_SUFFIXES", "MAX_BYTES", "iter_event_files", "load_event_file", "slug_for"]

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
YAML_SUFFIXES = frozenset({".yaml", ".yml"})
EVENT_SUFFIXES = MARKDOWN_SUFFIXES | YAML_SUFFIXES
MAX_BYTES = 1024 * 1024
_SUFFIXES_TEXT = ".md, .markdown, .yaml or .yml"
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def slug_for(path: Path) -> str:
    """The event's slug: its folder's name for `2023-06-29-Iceberg/README.md`, else the file's stem."""
    if path.name.casefold() == "readme.md":
        folder = path.parent.name or path.resolve().parent.name
        if folder:
            return folder
    return path.stem


def _size_text(size: int) -> str:
    mib = size / MAX_BYTES
    return f"{mib:.1f} MiB" if mib >= 1.05 else f"{size:,} bytes"


def _unreadable_folder(path: Path) -> str | None:
    try:
        os.scandir(path).close()
    except OSError as exc:
        return f"is a folder that cannot be read ({exc.strerror or exc}), not an event file"
    return None


_PLAIN_FOLDER = "is a folder, not an event file"


def _folder_problem(path: Path) -> str:
    return _unreadable_folder(path) or _PLAIN_FOLDER


def _folder_outcome(path: Path) -> EventFileError | NotAnEvent:
    """A folder named `README.md` (the walk yields it) is skipped with a notice that says why: the files in
    it are imported on their own, and the folder is no event. Any other folder named like an event file,
    or one that cannot be read, is an error when it is loaded."""
    problem = _folder_problem(path)
    if path.name.casefold() != "readme.md" or problem != _PLAIN_FOLDER:
        return EventFileError(str(path), None, problem)
    return NotAnEvent(
        str(path),
        "it is a folder, not a file: an event's README.md is a file inside the event's folder "
        "(events/SLUG/README.md)",
    )


def _read(path: Path) -> bytes:
    """The file's bytes, or an EventFileError saying why they cannot be had.

    One open and an fstat of the descriptor (O_NONBLOCK: opening a named pipe must not hang), then a
    read sized by the file, not by the limit: allocating 1 MiB per file would cost more than parsing it.
    """
    source = str(path)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise EventFileError(source, None, "does not exist") from None
    except IsADirectoryError:
        raise _folder_outcome(path) from None
    except OSError as exc:
        raise EventFileError(source, None, f"cannot be read ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _folder_outcome(path)
        if not stat.S_ISREG(info.st_mode):  # a pipe or a device would block or never end
            raise EventFileError(source, None, "is not a regular file")
        if info.st_size > MAX_BYTES:
            raise EventFileError(
                source, None, f"is {_size_text(info.st_size)}; event files are at most 1 MiB"
            )
        data = b""
        while len(data) <= MAX_BYTES:
            chunk = os.read(fd, max(info.st_size + 1 - len(data), 64 * 1024))
            if not chunk:
                return data
            data += chunk
        raise EventFileError(source, None, "is over 1 MiB; event files are at most 1 MiB")  # it grew
    except OSError as exc:
        raise EventFileError(source, None, f"cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def _decode(data: bytes, source: str) -> str:
    """UTF-8 text (a BOM is fine); binary content gets a message that says what it is."""
    nul = data.find(b"\0")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise EventFileError(source, line, "is a binary file (it contains NUL bytes), not a text event file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise EventFileError(
            source,
            line,
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} is not valid UTF-8); save it as UTF-8",
        ) from None


def load_event_file(path: Path, options: ParseOptions) -> EventRecord:
    """Read and parse one event file, by its extension (.md/.markdown or .yaml/.yml).

    Raises EventFileError for anything wrong with the file or its content, and NotAnEvent for a
    markdown page that holds no event (an index page).
    """
    return parse_event_text(path, read_event_text(path), options)


def read_event_text(path: Path) -> str:
    """The text of an event file; EventFileError if it is not a readable UTF-8 event file."""
    source = str(path)
    if path.suffix.casefold() not in EVENT_SUFFIXES:
        problem = (
            _folder_problem(path) if path.is_dir() else f"is not an event file; expected {_SUFFIXES_TEXT}"
        )
        raise EventFileError(source, None, problem)
    return _decode(_read(path), source)


def parse_event_text(path: Path, text: str, options: ParseOptions) -> EventRecord:
    """Parse the text of the event file at `path`, by its extension."""
    slug = slug_for(path)
    if path.suffix.casefold() in MARKDOWN_SUFFIXES:
        return parse_markdown(text, slug=slug, source=str(path), options=options)
    return parse_yaml(text, slug=slug, source=str(path), options=options)


def _walk(folder: str) -> Iterator[str]:
    """Event files under `folder`, sorted, without hidden files or folders; an unreadable subfolder is
    yielded itself so that loading it reports the problem instead of silently skipping its events, and
    so is a folder named `README.md` (skipped with a notice; its files are walked too).

    Works on strings: a Path per entry would cost more than the walk itself (10,000 event folders).
    """
    try:
        with os.scandir(folder) as scan:
            entries = [(entry.name, entry) for entry in scan if entry.name[0] != "."]
    except OSError:
        yield folder
        return
    entries.sort(key=_first)
    for name, entry in entries:
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            if name.casefold() == "readme.md":
                yield entry.path  # loading it reports it as skipped: `README.md/` is a folder, not an event
            yield from _walk(entry.path)
        elif os.path.splitext(name)[1].casefold() in EVENT_SUFFIXES:
            yield entry.path


def _first(item: tuple[str, os.DirEntry[str]]) -> str:
    return item[0]


def iter_event_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Event files to load: files given directly (whatever their name, so that loading reports a wrong
    one), and folders walked recursively in sorted order; each path once."""
    seen: set[str] = set()  # str of a Path: the same for equal Paths
    for given in paths:
        found = _walk(str(given)) if given.is_dir() else iter((str(given),))
        for path in found:
            if path not in seen:
                seen.add(path)
                yield Path(path)
