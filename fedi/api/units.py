"""Units of work for client API requests: one read session, or one write transaction.

A write commits once, at the end of the request; if it queued jobs (deliveries to other
servers) the in-process worker is woken after the commit, so followers elsewhere see a post
in moments rather than at the next poll.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from starlette.requests import Request

from fedi.api.auth import authenticate, optional_viewer
from fedi.db.models import Account, Job, User
from fedi.domain.pagination import MAX_ID
from fedi.errors import NotFound
from fedi.state import AppState


def state_of(request: Request) -> AppState:
    state: AppState = request.app.state.jamii
    return state


def path_id(request: Request, name: str = "id") -> int:
    """A numeric id from the path; anything else is as unknown as a missing record."""
    raw: str = request.path_params[name]
    if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise NotFound()
    return int(raw)


@asynccontextmanager
async def reading(request: Request) -> AsyncIterator[AsyncSession]:
    async with state_of(request).readers() as session:
        yield session


@asynccontextmanager
async def writing(request: Request) -> AsyncIterator[AsyncSession]:
    """A session in a transaction committed when the block ends (rolled back on error)."""
    state = state_of(request)
    queued: list[bool] = []

    def watch(session: Session, *_: Any) -> None:
        if not queued and any(isinstance(item, Job) for item in session.new):
            queued.append(True)

    async with state.sessions() as session:
        event.listen(session.sync_session, "before_flush", watch)
        async with session.begin():
            yield session
    if queued and state.worker is not None:
        state.worker.wake()


async def signed_in(request: Request, session: AsyncSession, *scopes: str) -> tuple[Account, User]:
    """The teacher behind the request's token, holding one of ``scopes``."""
    viewer = await authenticate(request, session, *scopes)
    # authenticate refuses (422) a token with no teacher behind it unless told otherwise.
    assert viewer.account is not None
    assert viewer.user is not None
    return viewer.account, viewer.user


async def maybe_signed_in(request: Request, session: AsyncSession, *scopes: str) -> Account | None:
    """The signed-in teacher, or None for anonymous callers and apps' own tokens."""
    viewer = await optional_viewer(request, session, *scopes)
    return viewer.account if viewer is not None else None
