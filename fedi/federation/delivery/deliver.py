"""The ``deliver`` job: one signed POST of one activity to one inbox, and what its answer means.

SECURITY.md's retry rules: 2xx done; 5xx, 429 (honouring Retry-After), 408, timeouts and
connection failures retried with backoff; 401 retried (after switching signature scheme
once, for fedify-style peers); 400, 403, 404, 410 never retried.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import orjson
import structlog

from fedi.db.base import utcnow
from fedi.federation.actors import host_of
from fedi.federation.context import Federation
from fedi.federation.fetcher import AddressRefused, FetchError, UrlRefused
from fedi.jobs import JobContext, PermanentFailure, RetryLater

log = structlog.get_logger(__name__)

DELIVER = "deliver"
NO_RETRY = frozenset({400, 403, 404, 410})
SCHEMES = ("cavage", "rfc9421")


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), if any."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - utcnow()).total_seconds())


def deliverer(federation: Federation) -> Any:
    async def deliver(payload: Mapping[str, Any], context: JobContext) -> None:
        inbox: str = payload["inbox"]
        host = host_of(inbox)
        await federation.policy.refresh()
        if not federation.policy.allows(host):
            return  # blocked since this was queued: dropped, as the rule says
        book = federation.peers
        peer = await book.get(host)
        if peer.unavailable_since is not None:
            raise PermanentFailure(f"{host} has been unreachable for days")
        scheme = peer.scheme
        key = await federation.local_key(int(payload["actor_id"]))
        body = orjson.dumps(payload["activity"])
        try:
            response = await federation.fetcher.post(
                inbox, body, signer=federation.signer(key, scheme)
            )
        except (AddressRefused, UrlRefused) as exc:
            raise PermanentFailure(exc.message) from None
        except FetchError as exc:
            await book.failed(host)
            raise RetryLater(exc.message) from None
        status = response.status
        if 200 <= status < 300:
            await book.succeeded(host)
            return
        log.info("delivery_refused", host=host, status=status, attempt=context.attempt)
        if status == 401 and context.attempt == 1:
            other = SCHEMES[1 - SCHEMES.index(scheme)] if scheme in SCHEMES else "cavage"
            await book.use_scheme(host, other)
            raise RetryLater(f"401 with {scheme}: trying {other}", after=1.0)
        if status in NO_RETRY or (400 <= status < 500 and status not in (401, 408, 429)):
            raise PermanentFailure(f"{host} answered {status}")
        await book.failed(host)
        raise RetryLater(
            f"{host} answered {status}", after=retry_after(response.headers.get("Retry-After"))
        )

    return deliver
