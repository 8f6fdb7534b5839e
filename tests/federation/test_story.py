"""Teachers in Kenya, Senegal and Mozambique follow each other and talk across instances.

Three real instances on loopback, each with its own database and in-process worker; every
step crosses real HTTP with real signatures, and is checked on the receiving side.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fedi.db.models import (
    Account,
    Favourite,
    Follow,
    FollowRequest,
    Notification,
    Status,
    StatusEdit,
)
from fedi.domain import follows, interactions, statuses
from fedi.domain.statuses import Draft
from tests.databases import BACKENDS, Templates, postgres_url, require_postgres
from tests.federation.trio import Peer, eventually, trio


@pytest.fixture(params=BACKENDS)
async def federation(
    request: pytest.FixtureRequest, tmp_path: Path, db_templates: Templates
) -> AsyncIterator[tuple[Peer, Peer, Peer]]:
    if request.param == "postgresql":
        require_postgres()
    async with trio(request.param, tmp_path, db_templates, postgres_url()) as peers:
        yield peers


async def _count(peer: Peer, model: type, *where: object) -> int:
    async with peer.session() as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)  # type: ignore[arg-type]
        return int(await session.scalar(query) or 0)


async def _status(peer: Peer, uri: str) -> Status | None:
    async with peer.session() as session:
        found: Status | None = await session.scalar(select(Status).where(Status.uri == uri))
        return found


async def test_a_cross_border_conversation(federation: tuple[Peer, Peer, Peer]) -> None:
    ke, sn, mz = federation
    everyone = [ke, sn, mz]
    amina = await ke.teacher("amina")
    fatou = await sn.teacher("fatou")
    joao = await mz.teacher("joao")

    # Fatou in Senegal follows Amina in Kenya: a request until Kenya accepts.
    amina_on_sn = await sn.account(amina.uri)
    assert amina_on_sn.domain == ke.instance.config.domain
    async with sn.session() as session, session.begin():
        fatou_row = await session.get(Account, fatou.id)
        target = await session.get(Account, amina_on_sn.id)
        assert fatou_row is not None
        assert target is not None
        pending = await follows.follow(session, fatou_row, target)
        assert isinstance(pending, FollowRequest)
    await eventually(lambda: _count(sn, Follow, Follow.account_id == fatou.id), wake=everyone)
    assert await _count(ke, Follow) == 1
    assert await _count(sn, FollowRequest) == 0

    # Amina posts; it reaches Senegal through the shared inbox.
    async with ke.session() as session, session.begin():
        author = await session.get(Account, amina.id)
        assert author is not None
        post = await statuses.post(
            session,
            ke.site,
            author,
            Draft(text="Fractions with paper strips! #maths", language="en"),
        )
    copy = await eventually(lambda: _status(sn, post.uri), wake=everyone)
    assert "paper strips" in copy.content
    assert copy.language == "en"
    assert copy.visibility == "public"
    assert not copy.local

    # Fatou replies mentioning Amina: Kenya stores the reply and notifies Amina.
    handle = f"@amina@{ke.instance.config.domain}"
    async with sn.session() as session, session.begin():
        author = await session.get(Account, fatou.id)
        assert author is not None
        reply = await statuses.post(
            session,
            sn.site,
            author,
            Draft(text=f"{handle} Merci ! J'essaie demain.", language="fr", in_reply_to_id=copy.id),
        )
    reply_on_ke = await eventually(lambda: _status(ke, reply.uri), wake=everyone)
    assert reply_on_ke.in_reply_to_id == post.id
    assert await _count(ke, Notification, Notification.type == "mention") == 1

    # João in Mozambique likes Amina's post, fetched from Kenya by its URI.
    from fedi.federation.convert.incoming import ensure_note
    from fedi.federation.fetcher import FetchBudget

    mz_fed = mz.instance.state.federation
    assert mz_fed is not None
    async with mz.session() as session, session.begin():
        on_mz = await ensure_note(mz_fed, session, post.uri, FetchBudget(remaining=5))
        assert on_mz is not None
        liker = await session.get(Account, joao.id)
        assert liker is not None
        await interactions.favourite(session, liker, on_mz.id)
    await eventually(lambda: _count(ke, Favourite, Favourite.status_id == post.id), wake=everyone)

    # Amina edits: Senegal's copy changes and keeps the history.
    async with ke.session() as session, session.begin():
        author = await session.get(Account, amina.id)
        assert author is not None
        await statuses.edit(
            session,
            ke.site,
            author,
            post.id,
            Draft(text="Fractions with folded paper strips! #maths", language="en"),
        )

    async def edited() -> Status | None:
        found = await _status(sn, post.uri)
        return found if found and "folded" in found.content else None

    await eventually(edited, wake=everyone)
    assert await _count(sn, StatusEdit) == 2

    # Amina deletes: gone from Senegal, and a late copy would stay deleted.
    async with ke.session() as session, session.begin():
        author = await session.get(Account, amina.id)
        assert author is not None
        await statuses.delete_status(session, author, post.id)

    async def gone() -> bool:
        return await _status(sn, post.uri) is None

    await eventually(gone, wake=everyone)
