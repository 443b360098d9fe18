"""Logging set-up: readable lines on stderr, and the Discord token never written anywhere."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime

REDACTED = "[redacted]"
# A real Discord token is ~70 characters; anything shorter than this (the sandbox's "t", "x") protects
# nothing, and replacing it would turn every "t" in every line into "[redacted]".
MIN_SECRET_LENGTH = 8


def worth_redacting(secret: str) -> bool:
    """Only strings long enough to be a real credential are secrets; short ones are test placeholders."""
    return len(secret.strip()) >= MIN_SECRET_LENGTH


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with each whole occurrence of every secret worth redacting replaced by [redacted]."""
    for secret in sorted({s.strip() for s in secrets if worth_redacting(s)}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


class RedactingFormatter(logging.Formatter):
    """Redacts the finished line: the message, its arguments, exception messages and tracebacks
    (exc_text, formatException, stack_info) all pass through `format`, so none can carry the token out."""

    def __init__(self, fmt: str, datefmt: str | None = None, *, secrets: Iterable[str] = ()) -> None:
        super().__init__(fmt, datefmt)
        self._secrets = [s for s in secrets if worth_redacting(s)]

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self._secrets)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors (Loki, CloudWatch, journald's JSON mode); every string
    field is redacted like the text format, the traceback included."""

    def __init__(self, *, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if worth_redacting(s)]

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, tz=UTC)
        entry: dict[str, str] = {
            "time": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps({k: redact(v, self._secrets) for k, v in entry.items()}, ensure_ascii=False)


class DropVoiceWarnings(logging.Filter):
    """The bot never joins voice; discord.py's warnings about missing voice libraries are noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in record.getMessage()


def setup_logging(verbose: bool = False, secrets: list[str] | None = None, log_format: str = "text") -> None:
    """One handler on the root logger (readable lines, or JSON with log_format="json"); discord.py's
    chatter is kept at WARNING unless verbose."""
    handler = logging.StreamHandler()
    formatter: logging.Formatter
    if log_format == "json":
        formatter = JsonFormatter(secrets=secrets or [])
    else:
        formatter = RedactingFormatter(
            "%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S", secrets=secrets or []
        )
    handler.setFormatter(formatter)
    handler.addFilter(DropVoiceWarnings())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in (
        "discord",
        "aiosqlite",
        "sqlalchemy",
        "alembic",
        "apscheduler",
        "aiohttp.access",
        "bot.sandbox",
    ):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.WARNING)
