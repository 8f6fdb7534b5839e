"""Follow, Accept and Reject."""

from __future__ import annotations

from sqlalchemy import or_, select

from fedi.db.models import Account, Follow, FollowRequest
from fedi.domain import follows
from fedi.domain.events import emit
from fedi.errors import Forbidden, NotFound
from fedi.federation.inbox.base import Delivery, Refused


class FollowHandler:
    async def verify(self, delivery: Delivery) -> None:
        target = await delivery.local_account(delivery.activity.object_id)
        if target.actor_type == "Application":
            raise Refused("the instance actor takes no followers")

    async def receive(self, delivery: Delivery) -> None:
        target = await delivery.local_account(delivery.activity.object_id)
        follower = delivery.signer
        already = await delivery.session.scalar(
            select(Follow).where(
                Follow.account_id == follower.id, Follow.target_account_id == target.id
            )
        )
        if already is not None:
            # The peer lost our Accept and asks again: answer again, change nothing.
            await emit(
                delivery.session,
                target,
                "follow.accepted",
                follower_id=follower.id,
                follow_uri=delivery.activity.id,
            )
            return
        try:
            await follows.follow(delivery.session, follower, target, uri=delivery.activity.id)
        except (Forbidden, NotFound):
            await emit(
                delivery.session,
                target,
                "follow.rejected",
                follower_id=follower.id,
                follow_uri=delivery.activity.id,
            )


async def _our_request(delivery: Delivery) -> tuple[Account, FollowRequest | Follow]:
    """The follow of ours that an Accept or Reject answers; it must target the signer."""
    activity = delivery.activity
    embedded = activity.object if isinstance(activity.object, dict) else {}
    follower_uri = embedded.get("actor") if isinstance(embedded.get("actor"), str) else None
    models: tuple[type[FollowRequest] | type[Follow], ...] = (FollowRequest, Follow)
    for model in models:
        conditions = [model.uri == activity.object_id]
        if follower_uri is not None:
            follower = await delivery.session.scalar(
                select(Account).where(Account.uri == follower_uri)
            )
            if follower is not None:
                conditions.append(model.account_id == follower.id)
        relation: FollowRequest | Follow | None = await delivery.session.scalar(
            select(model).where(model.target_account_id == delivery.signer.id, or_(*conditions))
        )
        if relation is not None:
            local = await delivery.session.get(Account, relation.account_id)
            if local is not None and local.is_local:
                return local, relation
    raise Refused("no follow of ours to that actor")


class AcceptHandler:
    async def verify(self, delivery: Delivery) -> None:
        await _our_request(delivery)

    async def receive(self, delivery: Delivery) -> None:
        local, _ = await _our_request(delivery)
        await follows.authorize(delivery.session, delivery.signer, local)


class RejectHandler:
    async def verify(self, delivery: Delivery) -> None:
        await _our_request(delivery)

    async def receive(self, delivery: Delivery) -> None:
        local, _ = await _our_request(delivery)
        await follows.reject(delivery.session, delivery.signer, local)
