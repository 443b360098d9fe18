"""Where an event's file is: imports store the absolute path, so every later command finds it from anywhere."""

from __future__ import annotations

from pathlib import Path


def stored_source(path: Path) -> str:
    """The form of a file's path kept in `events.source`: absolute and resolved (symlinks followed)."""
    return str(path.resolve())


def source_file(source: str, events_dir: Path) -> Path:
    """The file a stored source names.

    Absolute sources are used as they are. Relative ones come from databases imported before sources were
    stored absolute: they were relative to wherever `import` ran, which is most often the config's folder
    (events_dir's parent) or events_dir itself; the first candidate that exists wins, else the first.
    """
    path = Path(source)
    if path.is_absolute():
        return path
    candidates = [events_dir.parent / path, events_dir / path, Path.cwd() / path]
    return next((c for c in candidates if c.exists()), candidates[0])
