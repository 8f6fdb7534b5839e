"""Rate limits: sliding windows per client IP for log-in attempts and app registration
(SECURITY.md), and Mastodon's quota on the API for each signed-in teacher or app.

In memory, per process: enough to slow a password-guesser down on a one-process pilot; a
deployment with several ``serve`` processes gets one window per process. The client IP is
the socket's peer: ``X-Forwarded-For`` is ignored, since there is no trusted-proxy setting
yet and believing the header would let anyone pick a fresh IP per request.

Refusals are Mastodon's: 429 with ``{"error": "Too many requests"}``, ``X-RateLimit-Limit``,
``X-RateLimit-Remaining``, ``X-RateLimit-Reset`` (ISO 8601) and ``Retry-After`` (seconds).

The API quota is Mastodon's ``throttle_authenticated_api``: 1500 requests per teacher (an
app's own token counts on its own) in fixed five-minute windows aligned on the clock, so
one counter per caller and a reset time everyone agrees on. Every authenticated API answer
carries the three ``X-RateLimit-*`` headers, as Mastodon's do, so clients (Mastodon.py's
"pace" mode, Tusky) can slow down before they are refused. Counting costs a dict update;
the headers are added by ``RateLimitHeaders`` on the way out.
"""

from __future__ import annotations

import functools
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fedi.api.responses import JSONResponse
from fedi.errors import JamiiError

# Mastodon's rack-attack allows 25 sign-in attempts per IP in five minutes.
LOGIN_LIMIT = (25, 300.0)
APP_REGISTRATION_LIMIT = (30, 300.0)
# Mastodon's throttle_authenticated_api: 1500 requests per user in five minutes.
API_LIMIT = (1500, 300)
_SWEEP_EVERY = 1000
STATE_KEY = "rate_limit"


@functools.lru_cache(maxsize=64)
def reset_header(moment: float) -> str:
    """``X-RateLimit-Reset``: ISO 8601 in UTC with milliseconds, as Mastodon writes it.

    Cached: every counted request of a five-minute window shares its end (formatting it
    each time was ~1% of a home timeline's CPU, benchmarks/home_http.py)."""
    return datetime.fromtimestamp(moment, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


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
        return JSONResponse(
            {"error": "Too many requests"},
            status_code=429,
            headers={
                "X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset_header(time.time() + seconds),
                "Retry-After": str(seconds),
            },
        )


@dataclass(frozen=True)
class Quota:
    """One caller's standing in the current window, after counting this request."""

    limit: int
    remaining: int
    reset_at: float  # epoch seconds

    @property
    def exceeded(self) -> bool:
        return self.remaining < 0

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(max(self.remaining, 0)).encode()),
            (b"x-ratelimit-reset", reset_header(self.reset_at).encode()),
        ]


class TooManyRequests(JamiiError):
    """The caller spent this window's quota: 429 with Retry-After, as Mastodon."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many requests")
        self.retry_after = retry_after


@dataclass
class FixedWindows:
    """At most ``limit`` requests per caller in each ``period`` seconds, counted in windows
    aligned on the clock (as rack-attack's): when a window ends, every count starts over,
    so memory holds only the callers active in the current one."""

    limit: int
    period: int
    clock: Callable[[], float] = time.time
    _window: int = -1
    _counts: dict[str, int] = field(default_factory=dict)

    def count(self, key: str) -> Quota:
        now = self.clock()
        window = int(now // self.period)
        if window != self._window:
            self._window = window
            self._counts = {}
        used = self._counts.get(key, 0) + 1
        self._counts[key] = used
        return Quota(self.limit, self.limit - used, (window + 1) * self.period)


@dataclass
class RateLimits:
    """The windows of one running application."""

    login: Window = field(default_factory=lambda: Window(*LOGIN_LIMIT))
    app_registration: Window = field(default_factory=lambda: Window(*APP_REGISTRATION_LIMIT))
    api: FixedWindows = field(default_factory=lambda: FixedWindows(*API_LIMIT))


def rate_limits(request: HTTPConnection) -> RateLimits:
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


def count_api_request(request: HTTPConnection, key: str) -> None:
    """Count an authenticated API request against ``key``'s quota (once per request, however
    often the endpoint authenticates); TooManyRequests once it is spent."""
    # The scope's path, not request.url: building the whole URL was ~0.7% of a home
    # timeline's server CPU (py-spy, benchmarks/home_http.py).
    path: str = request.scope["path"]
    if not path.startswith("/api/") or STATE_KEY in request.scope.get("state", {}):
        return
    windows = rate_limits(request).api
    quota = windows.count(key)
    request.state.rate_limit = quota
    if quota.exceeded:
        raise TooManyRequests(max(1, math.ceil(quota.reset_at - windows.clock())))


class RateLimitHeaders:
    """Adds ``X-RateLimit-*`` to answers of requests that were counted (pure ASGI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_quota(message: Message) -> None:
            if message["type"] == "http.response.start":
                quota = scope.get("state", {}).get(STATE_KEY)
                headers = message.get("headers", [])
                if isinstance(quota, Quota) and not any(
                    name == b"x-ratelimit-limit" for name, _ in headers
                ):
                    message["headers"] = [*headers, *quota.headers()]
            await send(message)

        await self.app(scope, receive, send_with_quota)
