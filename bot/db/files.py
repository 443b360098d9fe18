"""The SQLite database's files: private to the bot's user, and checked before anything opens them.

The database holds member ids and names, RSVPs and the check-in code secrets, so it and the files SQLite keeps
beside it (`-wal`, `-shm`) and the migration lock are created 0600 and never left readable by other users.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from pathlib import Path
from urllib.parse import parse_qsl, unquote

log = logging.getLogger(__name__)

PRIVATE = 0o600
SIDE_FILES = ("-wal", "-shm", "-journal")
_reported: set[Path] = set()


# SQLAlchemy's URL grammar (sqlalchemy.engine.url._parse_url), so that reading the config needs no SQLAlchemy:
# `check-config` and `lint` never import it. tests/test_startup_imports.py checks it against make_url.
_URL = re.compile(
    r"""
        (?P<name>[\w\+]+)://
        (?:
            (?P<username>[^:/]*)
            (?::(?P<password>[^@]*))?
        @)?
        (?:
            (?:
                \[(?P<ipv6host>[^/\?]+)\] |
                (?P<ipv4host>[^/:\?]+)
            )?
            (?::(?P<port>[^/\?]*))?
        )?
        (?:/(?P<database>[^\?]*))?
        (?:\?(?P<query>.*))?
        """,
    re.X,
)


def sqlite_file(url: str) -> Path | None:
    """The database file a SQLite URL names; None for other backends and in-memory databases."""
    parsed = _URL.match(url)
    if parsed is None:
        return None
    if parsed["port"]:
        int(parsed["port"])  # as make_url does: a port that is not a number is an error
    if not parsed["name"].startswith("sqlite"):
        return None
    database = unquote(parsed["database"] or "")
    if database.startswith("file:"):  # a URI filename (`?uri=true`): file:PATH?mode=...
        database = database[len("file:") :].split("?", 1)[0]
        modes = [value for key, value in parse_qsl(parsed["query"] or "") if key == "mode"]
        if modes == ["memory"]:
            return None
    if not database or database == ":memory:":
        return None
    return Path(database)


def folder_problem(path: Path) -> str | None:
    """Why SQLite could not create or write `path` (a missing or read-only folder), or None if it can."""
    folder = path.parent
    if path.is_dir():
        return f"{path} is a folder, not a database file; name a file in it, e.g. {path / 'meetup.db'}"
    if not folder.exists():
        return f"the folder {folder} does not exist; create it (mkdir -p {folder}) or name a file in an existing one"
    if not folder.is_dir():
        return f"{folder} is not a folder; name a database file inside a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        # SQLite writes its -wal and -shm files beside the database, so the folder itself must be writable
        return (
            f"the folder {folder} is not writable by this user; fix its permissions or choose another folder"
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return f"{path} is not readable and writable by this user; fix its permissions"
    return None


def make_private(path: Path) -> None:
    """Creates the database file 0600 if it is missing; takes group and other access off existing files.

    SQLite creates `-wal` and `-shm` with the database file's mode, so a private database gets private
    side files; existing ones (from a run before this check) are tightened here too. Access is only ever
    taken away, never added; each tightened file is logged once.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE)  # an empty file is a valid, empty database
    os.close(fd)
    for file in (path, *(path.with_name(path.name + suffix) for suffix in SIDE_FILES)):
        tighten(file)


def tighten(path: Path) -> None:
    """Removes group and other permissions from `path` if it exists (never adds any)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077 == 0:
        return
    try:
        path.chmod(mode & 0o700)
    except PermissionError:  # another user's file, shared on purpose: say so once, and go on
        if path not in _reported:
            _reported.add(path)
            log.warning(
                "%s is readable by other local users (mode %04o) and belongs to another user, so it "
                "stays so; it holds member ids and check-in secrets: make it 0600 if it need not be shared",
                path,
                mode,
            )
        return
    if path not in _reported:
        _reported.add(path)
        log.info(
            "%s was readable by other local users (mode %04o); made it %04o: it holds member ids and "
            "check-in secrets",
            path,
            mode,
            mode & 0o700,
        )


def private_lock_file(path: Path) -> int:
    """Opens (creating 0600) the lock file at `path` and returns its descriptor."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE)
    tighten(path)
    return fd
