"""Client API tests' shared steps: teachers with tokens, Mastodon.py driven from a thread.

Mastodon.py is synchronous (requests); the served instance runs on the test's event loop,
so every Mastodon.py call goes through ``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from mastodon import Mastodon

from fedi.db.models import Account
from fedi.domain.site import Site
from tests.api.scopes import bearer, token_for
from tests.factories import teacher
from tests.servers import Instance

T = TypeVar("T")
EVERYTHING = "read write follow"
_OPEN: list[Mastodon] = []


@pytest.fixture(autouse=True)
def close_clients() -> Iterator[None]:
    """Close the test's Mastodon.py connection pools (else their sockets warn when freed)."""
    yield
    while _OPEN:
        _OPEN.pop().session.close()


async def call(method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one Mastodon.py call without blocking the served instance."""
    return await asyncio.to_thread(method, *args, **kwargs)


async def mastodon(instance: Instance, username: str, scopes: str = EVERYTHING) -> Mastodon:
    """Mastodon.py signed in as ``username`` (created if new) with ``scopes``."""
    token = await token_for(instance, username, scopes)
    client = await call(Mastodon, access_token=token, api_base_url=instance.url)
    _OPEN.append(client)
    return client


async def headers(instance: Instance, username: str, scopes: str = EVERYTHING) -> dict[str, str]:
    """An Authorization header for raw HTTP requests as ``username``."""
    return bearer(await token_for(instance, username, scopes))


async def local_teacher(instance: Instance, username: str, *, locked: bool = False) -> Account:
    async with instance.state.sessions() as session, session.begin():
        return await teacher(
            session, username, site=Site.from_config(instance.config), locked=locked
        )
