"""Snowflake ids and timestamps in Discord's format, so ids sort by creation time like the real ones."""

from __future__ import annotations

import time
from datetime import UTC, datetime

DISCORD_EPOCH_MS = 1_420_070_400_000


class SnowflakeGenerator:
    """Hands out strictly increasing snowflakes (timestamp << 22 | worker | increment)."""

    def __init__(self, worker_id: int = 1, process_id: int = 0) -> None:
        self._worker = worker_id & 0x1F
        self._process = process_id & 0x1F
        self._last_ms = 0
        self._increment = 0

    def next(self) -> int:
        now_ms = int(time.time() * 1000)
        if now_ms <= self._last_ms:
            self._increment += 1
            if self._increment > 0xFFF:
                self._last_ms += 1
                self._increment = 0
            now_ms = self._last_ms
        else:
            self._increment = 0
        self._last_ms = now_ms
        return (
            ((now_ms - DISCORD_EPOCH_MS) << 22)
            | (self._worker << 17)
            | (self._process << 12)
            | self._increment
        )


def snowflake_time(snowflake: int) -> datetime:
    """When a snowflake was made (seed ids that are small numbers map to Discord's epoch)."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 with microseconds and +00:00, the way Discord writes timestamps."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def utcnow() -> datetime:
    return datetime.now(UTC)
