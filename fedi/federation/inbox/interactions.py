"""Like and Announce of posts, and Undo of Follow, Like, Announce and Block."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fedi.db.models import Account, Block, Favourite, Follow, FollowRequest, Status
from fedi.domain import blocks, communities, community_relay, follows, interactions
from fedi.domain.communities import CommunityView
from fedi.errors import JamiiError, NotFound, ValidationFailed
from fedi.federation.actors import host_of, resolve_account
from fedi.federation.addressing import visibility_of
from fedi.federation.convert.incoming import ensure_note
from fedi.federation.fetcher import FetchError
from fedi.federation.inbox import communities as groups
from fedi.federation.inbox import community_moderation as moderation
from fedi.federation.inbox.base import Delivery, Refused


async def _local_status(delivery: Delivery) -> Status:
    """One of our posts, or a post in one of our communities (whose Group relays likes)."""
    status = await delivery.status_by_uri(delivery.activity.object_id)
    if status is None:
        raise Refused("not one of our posts")
    if not status.local:
        group = await community_relay.community_of(delivery.session, status.id)
        if group is None or not group.is_local:
            raise Refused("not one of our posts")
    return status


class LikeHandler:
    """Likes count on our posts and on the posts of our communities; a like of a post
    elsewhere is its server's business (or its community's, which relays it to us)."""

    async def verify(self, delivery: Delivery) -> None:
        await _local_status(delivery)

    async def receive(self, delivery: Delivery) -> None:
        status = await _local_status(delivery)
        try:
            await interactions.favourite(
                delivery.session, delivery.signer, status.id, uri=delivery.activity.id
            )
        except NotFound:
            raise Refused("the signer may not see that post") from None


class AnnounceHandler:
    async def verify(self, delivery: Delivery) -> None:
        if delivery.activity.object_id is None:
            raise Refused("no object")

    async def receive(self, delivery: Delivery) -> None:
        activity = delivery.activity
        if activity.object_type in WRAPPED:
            await self._relay(delivery)
            return
        # The Group's row first, as a relay does: two deliveries from one Group (its
        # Announce{Note} and Announce{Create}) then take their locks in the same order.
        group = await communities.find(delivery.session, delivery.signer)
        status = await ensure_note(
            delivery.federation, delivery.session, activity.object_id, delivery.budget
        )
        if status is None:
            raise Refused("the boosted post could not be found")
        if group is not None:
            # A Group's Announce{Note} (for Mastodon) also says the post is the community's.
            await groups.file_relayed(delivery, group, status, None)
        visibility = visibility_of(activity.to, activity.cc, delivery.signer.followers_url)
        try:
            await interactions.reblog(
                delivery.session,
                delivery.site,
                delivery.signer,
                status.id,
                visibility=visibility if visibility != "direct" else "private",
                uri=activity.id,
            )
        except (NotFound, ValidationFailed):
            raise Refused("that post cannot be boosted by the signer") from None

    async def _relay(self, delivery: Delivery) -> None:
        """A Group relaying a member's activity (FEP-1b12, as Lemmy does): the post is taken
        from its origin by id, never from the relayed copy, and no boost is recorded."""
        group = await groups.relaying_group(delivery)
        wrapped = delivery.activity.object
        assert isinstance(wrapped, dict)
        if not _undone_like(wrapped) and await moderation.relayed(delivery, group, wrapped):
            return
        if wrapped.get("type") in MODERATION:
            return  # a decision with nothing here to apply it to
        inner = wrapped.get("object")
        inner_id = inner.get("id") if isinstance(inner, dict) else inner
        if not isinstance(inner_id, str):
            return
        if wrapped.get("type") == "Like" or _undone_like(wrapped):
            await _relayed_like(delivery, group, wrapped)
            return
        if wrapped.get("type") == "Create":
            status = await ensure_note(
                delivery.federation, delivery.session, inner_id, delivery.budget
            )
            if status is not None:
                await groups.file_relayed(
                    delivery, group, status, inner if isinstance(inner, dict) else None
                )
            return
        await groups.relay_change(delivery, str(wrapped.get("type")), inner_id)


# Activities a Group wraps in its Announce (FEP-1b12): its members' posts, changes and
# likes, and its moderators' decisions.
MODERATION = frozenset({"Block", "Undo", "Add", "Remove", "Lock"})
WRAPPED = frozenset({"Create", "Update", "Delete", "Like"}) | MODERATION


def _undone_like(wrapped: dict[str, Any]) -> bool:
    inner = wrapped.get("object")
    return wrapped.get("type") == "Undo" and isinstance(inner, dict) and inner.get("type") == "Like"


async def _relayed_like(delivery: Delivery, view: CommunityView, wrapped: dict[str, Any]) -> None:
    """A member's like (or its undo) of a post in that community, relayed by its Group.

    A Like cannot be fetched back from its origin (Mastodon's ids do not resolve), so the
    Group is trusted this far only: the liker's id and the Like's id share one server, the
    post is one we hold in that community, and the liker may see it. At worst a Group
    misstates its own posts' counts."""
    like = wrapped.get("object") if wrapped.get("type") == "Undo" else wrapped
    assert isinstance(like, dict)
    like_id, liker_uri, object_uri = like.get("id"), like.get("actor"), like.get("object")
    if isinstance(object_uri, dict):
        object_uri = object_uri.get("id")
    if not (
        isinstance(like_id, str) and isinstance(liker_uri, str) and isinstance(object_uri, str)
    ):
        raise Refused("a like names its id, actor and object")
    if host_of(like_id) != host_of(liker_uri):
        raise Refused("a like's id is on its actor's server")
    status = await delivery.status_by_uri(object_uri)
    if status is None:
        return  # a post we never received: nothing to count
    group = await community_relay.community_of(delivery.session, status.id)
    if group is None or group.id != view.account.id:
        raise Refused("a Group relays likes of its own posts only")
    session = delivery.session
    try:
        liker = await resolve_account(
            delivery.federation, session, liker_uri, budget=delivery.budget
        )
    except (FetchError, JamiiError):
        raise Refused("the liker could not be found") from None
    try:
        if wrapped.get("type") == "Undo":
            await interactions.unfavourite(session, liker, status.id)
        else:
            await interactions.favourite(session, liker, status.id, uri=like_id)
    except NotFound:
        raise Refused("the liker may not see that post") from None


class UndoHandler:
    """Undo only what the signer itself did: every lookup is constrained to the signer."""

    async def verify(self, delivery: Delivery) -> None:
        if delivery.activity.object_id is None:
            raise Refused("no object")

    async def receive(self, delivery: Delivery) -> None:
        session, signer = delivery.session, delivery.signer
        undone = delivery.activity.object_id
        models: tuple[type[Follow] | type[FollowRequest], ...] = (Follow, FollowRequest)
        for model in models:
            relation: Follow | FollowRequest | None = await session.scalar(
                select(model).where(model.uri == undone, model.account_id == signer.id)
            )
            if relation is not None:
                target = await session.get(Account, relation.target_account_id)
                assert target is not None
                await follows.unfollow(session, signer, target)
                return
        like = await session.scalar(
            select(Favourite).where(Favourite.uri == undone, Favourite.account_id == signer.id)
        )
        if like is not None:
            await interactions.unfavourite(session, signer, like.status_id)
            return
        boost = await session.scalar(
            select(Status).where(Status.uri == undone, Status.account_id == signer.id)
        )
        if boost is not None and boost.reblog_of_id is not None:
            await interactions.unreblog(session, signer, boost.reblog_of_id)
            return
        block = await session.scalar(
            select(Block).where(Block.uri == undone, Block.account_id == signer.id)
        )
        if block is not None:
            target = await session.get(Account, block.target_account_id)
            assert target is not None
            await blocks.unblock(session, signer, target)
            return
        # Replays and undos of things we never had are no-ops, never toggles.
