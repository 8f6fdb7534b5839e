"""A community of practice across instances: the steps the community tests and pages share
(create one, join it from home, post in it, and what each instance records)."""

from __future__ import annotations

from functools import partial

from sqlalchemy import select

from fedi.db.models import Account, CommunityPost, Follow, ReceivedActivity, Status
from fedi.domain import communities, statuses
from fedi.domain.communities import Settings
from fedi.domain.statuses import Draft
from tests.federation.trio import Peer, eventually


async def create_community(peer: Peer, creator: Account, settings: Settings) -> Account:
    async with peer.session() as session, session.begin():
        moderator = await session.get(Account, creator.id)
        view = await communities.create(session, peer.site, settings, creator=moderator)
        return view.account


async def join_community(peer: Peer, member: Account, group_uri: str) -> None:
    group = await peer.account(group_uri)
    async with peer.session() as session, session.begin():
        joining = await session.get(Account, member.id)
        target = await session.get(Account, group.id)
        assert joining is not None
        assert target is not None
        await communities.join(session, joining, target)


async def post_as(peer: Peer, author: Account, text: str, **draft: object) -> Status:
    async with peer.session() as session, session.begin():
        writer = await session.get(Account, author.id)
        assert writer is not None
        return await statuses.post(session, peer.site, writer, Draft(text=text, **draft))  # type: ignore[arg-type]


async def is_member_on(peer: Peer, member: Account, group: Account) -> bool:
    """Whether ``peer`` holds ``member``'s follow of ``group`` (each by its URI)."""
    async with peer.session() as session:
        found = await session.scalar(
            select(Follow.id)
            .join(Account, Account.id == Follow.account_id)
            .where(
                Account.uri == member.uri,
                Follow.target_account_id
                == select(Account.id).where(Account.uri == group.uri).scalar_subquery(),
            )
        )
        return found is not None


async def filing_of(peer: Peer, uri: str) -> CommunityPost | None:
    """How ``peer`` files the post ``uri`` in its community, if it does."""
    async with peer.session() as session:
        found: CommunityPost | None = await session.scalar(
            select(CommunityPost)
            .join(Status, Status.id == CommunityPost.status_id)
            .where(Status.uri == uri)
        )
        return found


async def join_all(group: Account, *joining: tuple[Peer, Account], wake: list[Peer]) -> None:
    """Each (instance, teacher) of ``joining`` joins the public ``group`` from home; back once
    every one's instance holds the membership."""
    for peer, member in joining:
        await join_community(peer, member, group.uri)
    for peer, member in joining:
        await eventually(partial(is_member_on, peer, member, group), wake=wake)


async def was_rejected(peer: Peer, group_uri: str) -> bool:
    """Whether ``peer`` received a Reject from the community ``group_uri``."""
    return (
        await peer.count(ReceivedActivity, ReceivedActivity.uri.like(f"{group_uri}/rejects/%")) > 0
    )


async def role_on(peer: Peer, group: Account, member: Account) -> str | None:
    """The role ``peer`` records for ``member`` in ``group`` (each named by its URI)."""
    async with peer.session() as session:
        group_id = await session.scalar(select(Account.id).where(Account.uri == group.uri))
        member_id = await session.scalar(select(Account.id).where(Account.uri == member.uri))
        if group_id is None or member_id is None:
            return None
        return await communities.role_of(session, group_id, member_id)
