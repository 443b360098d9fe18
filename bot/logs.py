"""Logging set-up: readable lines on stderr, and the Discord token never written anywhere."""

from __future__ import annotations

import logging


class RedactFilter(logging.Filter):
    """Replaces every occurrence of the given secrets in log records."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            if any(secret in message for secret in self._secrets):
                for secret in self._secrets:
                    message = message.replace(secret, "[redacted]")
                record.msg = message
                record.args = None
        return True


class DropVoiceWarnings(logging.Filter):
    """The bot never joins voice; discord.py's warnings about missing voice libraries are noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in record.getMessage()


def setup_logging(verbose: bool = False, secrets: list[str] | None = None) -> None:
    """One handler on the root logger; discord.py's chatter is kept at WARNING unless verbose."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S"))
    handler.addFilter(RedactFilter(secrets or []))
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
