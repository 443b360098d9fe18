"""Per-route rate limits with Discord's headers and 429 body; off unless a route is configured."""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field

# Routes without a configured limit still get headers, from a window nobody reaches.
UNLIMITED = 10_000
UNLIMITED_WINDOW = 1.0
MAJOR_PARAMETERS = ("channel_id", "guild_id", "webhook_id", "interaction_id")


@dataclass(frozen=True)
class RateLimit:
    """`limit` requests per `per` seconds for one route and top-level resource."""

    limit: int
    per: float

    def __post_init__(self) -> None:
        if self.limit < 1 or self.per <= 0:
            raise ValueError("a rate limit needs limit >= 1 and per > 0")


@dataclass
class _Window:
    started: float
    count: int = 0


@dataclass
class Verdict:
    """What the limiter decided for one request, with the headers to send either way."""

    allowed: bool
    headers: dict[str, str]
    retry_after: float = 0.0


@dataclass
class RateLimiter:
    """Fixed windows per (route, major parameter); `routes` maps "POST /channels/{channel_id}/messages"."""

    routes: dict[str, RateLimit] = field(default_factory=dict)
    _windows: dict[tuple[str, str], _Window] = field(default_factory=dict)

    def configure(self, route: str, limit: RateLimit | None) -> None:
        key = normalise_route(route)
        if limit is None:
            self.routes.pop(key, None)
        else:
            self.routes[key] = limit
        for window_key in [k for k in self._windows if k[0] == key]:
            del self._windows[window_key]

    def check(self, route: str, major: str) -> Verdict:
        key = normalise_route(route)
        limit = self.routes.get(key)
        cap, per = (limit.limit, limit.per) if limit else (UNLIMITED, UNLIMITED_WINDOW)
        now = time.monotonic()
        window = self._windows.get((key, major))
        if window is None or now - window.started >= per:
            window = _Window(started=now)
            self._windows[(key, major)] = window
        reset_after = max(0.0, window.started + per - now)
        allowed = window.count < cap
        if allowed:
            window.count += 1
        headers = {
            "X-RateLimit-Limit": str(cap),
            "X-RateLimit-Remaining": str(max(0, cap - window.count)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": hashlib.sha1(key.encode()).hexdigest()[:16],
        }
        if not allowed:
            headers["Retry-After"] = str(max(1, math.ceil(reset_after)))
            headers["X-RateLimit-Scope"] = "user"
        return Verdict(allowed=allowed, headers=headers, retry_after=round(reset_after, 3))


def normalise_route(route: str) -> str:
    method, _, path = route.strip().partition(" ")
    path = path.strip()
    if path.startswith("/api/v"):
        path = "/" + path.split("/", 3)[3]
    return f"{method.upper()} {path}"
