"""The API quota, as Mastodon's: X-RateLimit-* on every authenticated answer, 429 once spent."""

from __future__ import annotations

import time
from datetime import datetime

from fedi.api.ratelimit import API_LIMIT, FixedWindows, RateLimits
from tests.api.client_api import call, close_clients, headers, mastodon
from tests.api.oauth_flow import ke
from tests.api.scopes import app_token, bearer
from tests.servers import Instance

__all__ = ["close_clients", "ke"]


def _reset(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


async def test_authenticated_answers_carry_the_quota(ke: Instance) -> None:
    auth = await headers(ke, "amina")
    first = await ke.client.get("/api/v1/accounts/verify_credentials", headers=auth)
    second = await ke.client.get("/api/v1/timelines/home", headers=auth)
    limit, period = API_LIMIT
    assert first.headers["x-ratelimit-limit"] == str(limit)
    assert int(first.headers["x-ratelimit-remaining"]) - 1 == int(
        second.headers["x-ratelimit-remaining"]
    )
    reset = _reset(first.headers["x-ratelimit-reset"])
    assert time.time() < reset <= time.time() + period
    assert reset % period == 0  # windows are aligned on the clock, as rack-attack's
    # Refusals after authentication carry it too (the request was counted).
    token = await app_token(ke, "read")
    wrong = await ke.client.post("/api/v1/statuses", json={"status": "x"}, headers=bearer(token))
    assert wrong.status_code == 403
    assert "x-ratelimit-limit" in wrong.headers
    # Anonymous requests and pages are not counted per teacher.
    anonymous = await ke.client.get("/api/v1/timelines/public")
    assert "x-ratelimit-limit" not in anonymous.headers

    # Mastodon.py reads them (its "pace" mode needs exactly these).
    client = await mastodon(ke, "baraka")
    await call(client.account_verify_credentials)
    assert client.ratelimit_limit == limit
    assert client.ratelimit_remaining == limit - 1


async def test_a_spent_quota_is_429_until_the_next_window(ke: Instance) -> None:
    now = [1_800_000_000.0]
    ke.app.state.rate_limits = RateLimits(api=FixedWindows(3, 300, clock=lambda: now[0]))
    amina = await headers(ke, "amina")
    for _ in range(3):
        ok = await ke.client.get("/api/v1/accounts/verify_credentials", headers=amina)
        assert ok.status_code == 200
    assert ok.headers["x-ratelimit-remaining"] == "0"
    refused = await ke.client.get("/api/v1/accounts/verify_credentials", headers=amina)
    assert refused.status_code == 429
    assert refused.json() == {"error": "Too many requests"}
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert 1 <= int(refused.headers["retry-after"]) <= 300
    # Each teacher has their own quota.
    baraka = await headers(ke, "baraka")
    other = await ke.client.get("/api/v1/accounts/verify_credentials", headers=baraka)
    assert other.status_code == 200
    now[0] += 300
    again = await ke.client.get("/api/v1/accounts/verify_credentials", headers=amina)
    assert again.status_code == 200
    assert again.headers["x-ratelimit-remaining"] == "2"
