"""A teacher's browser against a served instance: keeps cookies, reads each form's CSRF
token from the page it came from, and posts the form as a browser would."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import select, update

from fedi.db.models import Account, User
from fedi.domain.site import Site
from tests.factories import teacher
from tests.servers import Instance

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"


def csrf_token(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found, f"no CSRF token on {page.url}"
    return found.group(1)


class Browser:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(path, **kwargs)

    async def submit(
        self, page: str, action: str, data: dict[str, Any], **kwargs: Any
    ) -> httpx.Response:
        """Open ``page``, then post ``data`` with its CSRF token to ``action``."""
        shown = await self.client.get(page)
        assert shown.status_code == 200, shown.text
        return await self.client.post(
            action, data={**data, "csrf_token": csrf_token(shown)}, **kwargs
        )

    async def log_in(self, login: str, password: str = PASSWORD) -> httpx.Response:
        return await self.submit("/login", "/login", {"login": login, "password": password})


@asynccontextmanager
async def browser(instance: Instance, **headers: str) -> AsyncIterator[Browser]:
    async with httpx.AsyncClient(base_url=instance.url, timeout=10, headers=headers) as client:
        yield Browser(client)


async def make_teacher(instance: Instance, username: str, *, role: str = "user") -> Account:
    async with instance.state.sessions() as session, session.begin():
        account = await teacher(session, username, site=Site.from_config(instance.config))
        if role != "user":
            await session.execute(
                update(User).where(User.account_id == account.id).values(role=role)
            )
        return account


async def speaks(instance: Instance, username: str, lang: str) -> None:
    """Set a teacher's interface language (their setting beats the browser's)."""
    async with instance.state.sessions() as session, session.begin():
        await session.execute(
            update(User)
            .where(User.account_id.in_(select(Account.id).where(Account.username == username)))
            .values(locale=lang)
        )
