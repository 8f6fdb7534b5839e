"""Favourites, boosts and bookmarks: idempotent, so a repeated tap or delivery is a no-op."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, Bookmark, Favourite, Status
from fedi.db.writes import execute_counting
from fedi.domain import community_relay, notifications, streams
from fedi.domain.events import emit
from fedi.domain.site import Site
from fedi.domain.visibility import can_see
from fedi.errors import NotFound, ValidationFailed
from fedi.ids import new_id


async def visible_status(session: AsyncSession, viewer: Account | None, status_id: int) -> Status:
    """The status, or NotFound when it is missing or hidden from ``viewer`` (same answer).

    A boost stands for the boosted post: acting on it acts on the original, as in Mastodon.
    """
    status = await session.get(Status, status_id)
    if status is not None and status.reblog_of_id is not None:
        status = await session.get(Status, status.reblog_of_id)
    if status is None or not await can_see(session, viewer, status):
        raise NotFound()
    return status


async def _count(session: AsyncSession, status_id: int, column: str, by: int) -> None:
    attribute = getattr(Status, column)
    await session.execute(
        update(Status).where(Status.id == status_id).values({column: attribute + by})
    )


async def _author(session: AsyncSession, status: Status) -> Account:
    author = await session.get(Account, status.account_id)
    assert author is not None
    return author


async def favourite(
    session: AsyncSession, account: Account, status_id: int, *, uri: str | None = None
) -> Status:
    status = await visible_status(session, account, status_id)
    existing = await session.scalar(
        select(Favourite.id).where(
            Favourite.account_id == account.id, Favourite.status_id == status.id
        )
    )
    if existing is None:
        favourite_id = new_id()
        session.add(
            Favourite(
                id=favourite_id,
                account_id=account.id,
                status_id=status.id,
                uri=uri or f"{account.uri}#likes/{favourite_id}",
            )
        )
        await session.flush()
        await _count(session, status.id, "favourites_count", 1)
        await emit(session, account, "favourite.created", favourite_id=favourite_id)
        await community_relay.relay_like(
            session, status.id, account, uri or f"{account.uri}#likes/{favourite_id}"
        )
        await notifications.notify(
            session,
            recipient=await _author(session, status),
            sender_id=account.id,
            type="favourite",
            status_id=status.id,
        )
    return status


async def unfavourite(session: AsyncSession, account: Account, status_id: int) -> Status:
    status = await visible_status(session, account, status_id)
    like_uri = await session.scalar(
        select(Favourite.uri).where(
            Favourite.account_id == account.id, Favourite.status_id == status.id
        )
    )
    removed = await execute_counting(
        session,
        delete(Favourite).where(
            Favourite.account_id == account.id, Favourite.status_id == status.id
        ),
    )
    if removed:
        await emit(session, account, "favourite.deleted", like_uri=like_uri, status_id=status.id)
        if like_uri:
            await community_relay.relay_like(session, status.id, account, like_uri, undone=True)
        await _count(session, status.id, "favourites_count", -1)
        await notifications.withdraw(
            session,
            recipient_id=status.account_id,
            sender_id=account.id,
            type="favourite",
            status_id=status.id,
        )
    return status


async def reblog(
    session: AsyncSession,
    site: Site,
    account: Account,
    status_id: int,
    *,
    visibility: str = "public",
    uri: str | None = None,
) -> Status:
    """Boost a status; returns the boost (a status whose ``reblog_of_id`` is the original)."""
    status = await visible_status(session, account, status_id)
    # Followers-only and direct posts were addressed to chosen readers; boosting would
    # re-address them. Mastodon allows only the author to boost their own followers-only post.
    if status.visibility == "direct" or (
        status.visibility == "private" and status.account_id != account.id
    ):
        raise ValidationFailed("This post cannot be boosted", field="id")
    if visibility not in ("public", "unlisted", "private"):
        raise ValidationFailed("Visibility must be public, unlisted or private", field="visibility")
    existing = await session.scalar(
        select(Status).where(Status.account_id == account.id, Status.reblog_of_id == status.id)
    )
    if existing is not None:
        return existing
    boost_id = new_id()
    boost = Status(
        id=boost_id,
        uri=uri or f"{site.status_uri(account.username, boost_id)}/activity",
        account_id=account.id,
        reblog_of_id=status.id,
        visibility=visibility,
        local=account.is_local,
        language=status.language,
    )
    session.add(boost)
    await session.flush()
    await _count(session, status.id, "reblogs_count", 1)
    await emit(session, account, "reblog.created", boost_id=boost.id)
    streams.status_created(session, boost)
    await notifications.notify(
        session,
        recipient=await _author(session, status),
        sender_id=account.id,
        type="reblog",
        status_id=status.id,
    )
    return boost


async def unreblog(session: AsyncSession, account: Account, status_id: int) -> Status:
    status = await visible_status(session, account, status_id)
    boost = await session.scalar(
        select(Status).where(Status.account_id == account.id, Status.reblog_of_id == status.id)
    )
    boost_uri = boost.uri if boost is not None else None
    if boost is not None:
        await streams.status_deleted(session, boost)
    removed = await execute_counting(
        session,
        delete(Status).where(Status.account_id == account.id, Status.reblog_of_id == status.id),
    )
    if removed:
        await emit(session, account, "reblog.deleted", boost_uri=boost_uri, status_id=status.id)
        await _count(session, status.id, "reblogs_count", -1)
        await notifications.withdraw(
            session,
            recipient_id=status.account_id,
            sender_id=account.id,
            type="reblog",
            status_id=status.id,
        )
    return status


async def bookmark(session: AsyncSession, account: Account, status_id: int) -> Status:
    status = await visible_status(session, account, status_id)
    existing = await session.scalar(
        select(Bookmark.id).where(
            Bookmark.account_id == account.id, Bookmark.status_id == status.id
        )
    )
    if existing is None:
        session.add(Bookmark(account_id=account.id, status_id=status.id))
        await session.flush()
    return status


async def unbookmark(session: AsyncSession, account: Account, status_id: int) -> Status:
    status = await visible_status(session, account, status_id)
    await session.execute(
        delete(Bookmark).where(Bookmark.account_id == account.id, Bookmark.status_id == status.id)
    )
    return status
