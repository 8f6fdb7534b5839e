"""Per-client-IP sliding windows for log-in attempts and app registration (SECURITY.md).

In memory, per process: enough to slow a password-guesser down on a one-process pilot; a
deployment with several ``serve`` processes gets one window per process. The client IP is
the socket's peer: ``X-Forwarded-For`` is ignored, since there is no trusted-proxy setting
yet and believing the header would let anyone pick a fresh IP per request.

Refusals are Mastodon's: 429 with ``{"error": "Too many requests"}``, ``X-RateLimit-Limit``,
``X-RateLimit-Remaining``, ``X-RateLimit-Reset`` (ISO 8601) and ``Retry-After`` (seconds).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from starlette.requests import Request

from fedi.api.responses import JSONResponse

# Mastodon's rack-attack allows 25 sign-in attempts per IP in five minutes.
LOGIN_LIMIT = (25, 300.0)
APP_REGISTRATION_LIMIT = (30, 300.0)
_SWEEP_EVERY = 1000


@dataclass
class Window:
    """At most ``limit`` hits per ``period`` seconds for each key."""

    limit: int
    period: float
    clock: Callable[[], float] = time.monotonic
    _hits: dict[str, deque[float]] = field(default_factory=dict)
    _calls: int = 0

    def hit(self, key: str) -> JSONResponse | None:
        """Count one attempt; a 429 response when it is one too many, else None."""
        now = self.clock()
        self._calls += 1
        if self._calls % _SWEEP_EVERY == 0:
            self._sweep(now)
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.period:
            hits.popleft()
        if len(hits) >= self.limit:
            return self._refusal(hits[0] + self.period - now)
        hits.append(now)
        return None

    def _sweep(self, now: float) -> None:
        stale = [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.period]
        for key in stale:
            del self._hits[key]

    def _refusal(self, wait: float) -> JSONResponse:
        seconds = max(1, math.ceil(wait))
        reset = datetime.fromtimestamp(time.time() + seconds, tz=UTC)
        return JSONResponse(
            {"error": "Too many requests"},
            status_code=429,
            headers={
                "X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "Retry-After": str(seconds),
            },
        )


@dataclass
class RateLimits:
    """The windows of one running application."""

    login: Window = field(default_factory=lambda: Window(*LOGIN_LIMIT))
    app_registration: Window = field(default_factory=lambda: Window(*APP_REGISTRATION_LIMIT))


def rate_limits(request: Request) -> RateLimits:
    """This application's windows, made on first use (each app, and so each test server,
    counts on its own)."""
    state = request.app.state
    limits: RateLimits | None = getattr(state, "rate_limits", None)
    if limits is None:
        limits = RateLimits()
        state.rate_limits = limits
    return limits


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
