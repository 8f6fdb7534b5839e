"""Add and Remove: a remote actor pinning or unpinning one of its own posts, which Mastodon
federates as an Add to (or Remove from) the actor's featured collection.

Only that one use is understood; an Add to any other collection (Lemmy's moderators, a
featured-tags collection) is dropped.
"""

from __future__ import annotations

from fedi.db.models import Status
from fedi.domain import pins
from fedi.errors import ValidationFailed
from fedi.federation.actors import host_of
from fedi.federation.convert.incoming import ensure_note
from fedi.federation.inbox.base import Delivery, Refused


def _check(delivery: Delivery) -> str:
    activity = delivery.activity
    featured = delivery.signer.featured_url
    if featured is None or activity.target != featured:
        raise Refused("not the signer's featured collection")
    if activity.object_id is None or host_of(activity.object_id) != host_of(delivery.signer.uri):
        raise Refused("an actor features only its own posts")
    return activity.object_id


def _own(delivery: Delivery, status: Status | None) -> Status:
    if status is None or status.account_id != delivery.signer.id:
        raise Refused("not a post of the signer")
    return status


class AddHandler:
    async def verify(self, delivery: Delivery) -> None:
        _check(delivery)

    async def receive(self, delivery: Delivery) -> None:
        uri = _check(delivery)
        found = await ensure_note(delivery.federation, delivery.session, uri, delivery.budget)
        try:
            await pins.record_remote(delivery.session, delivery.signer, _own(delivery, found))
        except ValidationFailed as refusal:
            raise Refused(refusal.message) from None


class RemoveHandler:
    async def verify(self, delivery: Delivery) -> None:
        _check(delivery)

    async def receive(self, delivery: Delivery) -> None:
        found = await delivery.status_by_uri(_check(delivery))
        if found is not None:
            await pins.forget_remote(delivery.session, delivery.signer, _own(delivery, found))
