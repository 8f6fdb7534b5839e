"""Create, Update and Delete: posts arrive, change and go — only ever by their author."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from fedi.db.base import utcnow
from fedi.db.models import Account, Follow, Status, Tombstone
from fedi.db.writes import insert_ignore
from fedi.domain import polls
from fedi.domain.received import receive_delete, receive_edit, receive_post
from fedi.federation.actors import ACTOR_TYPES, host_of, parse_actor, store_actor
from fedi.federation.convert.incoming import (
    note_to_incoming,
    parse_note,
    parse_time,
    question_to_poll,
)
from fedi.federation.fetcher import BadDocument
from fedi.federation.inbox import communities as groups
from fedi.federation.inbox.base import Delivery, Refused
from fedi.federation.wire import Note


async def _authored_note(delivery: Delivery) -> Note:
    """The activity's Note, trusted only if it is the signer's own on the signer's server;
    a Note given by reference, or embedded from elsewhere, is fetched from its origin."""
    if delivery.note is not None:
        return delivery.note
    activity = delivery.activity
    note = delivery.embedded
    if note is None and isinstance(activity.object, dict):
        note = parse_note(activity.object)
    trusted = (
        note is not None
        and host_of(note.id) == host_of(delivery.signer.uri)
        and note.attributed_to == delivery.signer.uri
    )
    if not trusted:
        if activity.object_id is None:
            raise Refused("no object")
        ident, document = await delivery.federation.fetch(activity.object_id, delivery.budget)
        note = parse_note(document)
        if note is None or note.id != ident:
            raise Refused("the object is not a note")
    assert note is not None
    if note.attributed_to != delivery.signer.uri:
        raise Refused("only a note's author may create or change it")
    if host_of(note.id) != host_of(delivery.signer.uri):
        # Even when its origin vouches for the signer: a note lives on its author's server.
        raise Refused("the note is not on its author's server")
    delivery.note = note
    return note


async def _counted_as_vote(delivery: Delivery, note: Note) -> bool:
    """A vote on one of our polls: a Note named after an answer, replying to the Question,
    with no content (Mastodon's shape). Counted, never stored as a reply."""
    if note.type != "Note" or not note.name or note.in_reply_to is None or note.content:
        return False
    question = await delivery.status_by_uri(note.in_reply_to)
    if question is None or not question.local:
        return False
    return await polls.receive_vote(delivery.session, delivery.signer, question, note.name, note.id)


def _only_counts_changed(status: Status, note: Note) -> bool:
    """An Update{Question} that brings new counts but no edit (its ``updated`` is not newer
    than the version we hold): the poll changes, the history does not."""
    edited = parse_time(note.updated)
    if edited is None:
        return status.edited_at is None
    return status.edited_at is not None and edited <= status.edited_at


class CreateHandler:
    async def verify(self, delivery: Delivery) -> None:
        await _authored_note(delivery)

    async def receive(self, delivery: Delivery) -> None:
        note = await _authored_note(delivery)
        if await _counted_as_vote(delivery, note):
            return
        # A post sent to one of our communities is checked before anything is stored.
        community = await groups.addressed_community(delivery, note)
        if community is not None:
            parent = await delivery.status_by_uri(note.in_reply_to) if note.in_reply_to else None
            if await groups.refused(delivery, community, parent):
                return
        post = await note_to_incoming(
            delivery.federation, delivery.session, note, delivery.signer, delivery.budget
        )
        if community is None:
            community = await groups.thread_community(delivery, post.in_reply_to)
            if community is not None and await groups.refused(
                delivery, community, post.in_reply_to
            ):
                return
        status = await receive_post(
            delivery.session,
            delivery.signer,
            post,
            detect_in=delivery.federation.site.detection_languages,
            site=delivery.federation.site,
        )
        if status is not None and community is not None:
            await groups.file_received(delivery, community, status, note)


def _embedded_actor(delivery: Delivery) -> dict[str, Any] | None:
    obj = delivery.activity.object
    if isinstance(obj, dict) and obj.get("type") in ACTOR_TYPES:
        return obj
    return None


class UpdateHandler:
    async def verify(self, delivery: Delivery) -> None:
        embedded = _embedded_actor(delivery)
        if embedded is not None:
            if embedded.get("id") != delivery.signer.uri:
                raise Refused("an actor updates only itself")
            return
        await _authored_note(delivery)

    async def receive(self, delivery: Delivery) -> None:
        embedded = _embedded_actor(delivery)
        if embedded is not None:
            try:
                actor = parse_actor(embedded)
            except BadDocument as exc:
                raise Refused(str(exc)) from None
            # The profile changes; a key in the payload does not replace the one we hold.
            await store_actor(delivery.session, actor, key_from_origin=False)
            return
        note = await _authored_note(delivery)
        post = await note_to_incoming(
            delivery.federation, delivery.session, note, delivery.signer, delivery.budget
        )
        status = await delivery.status_by_uri(note.id)
        if status is None:
            # The Update overtook its Create (or we never had it): keep the latest version.
            await receive_post(
                delivery.session,
                delivery.signer,
                post,
                detect_in=delivery.federation.site.detection_languages,
                site=delivery.federation.site,
            )
            return
        if status.account_id != delivery.signer.id:
            raise Refused("only a note's author may change it")
        if note.type == "Question" and _only_counts_changed(status, note):
            await polls.store_remote(delivery.session, status, question_to_poll(note))
            return
        await receive_edit(
            delivery.session,
            delivery.signer,
            status,
            post,
            detect_in=delivery.federation.site.detection_languages,
            site=delivery.federation.site,
        )
        await groups.author_changed(delivery, status, "Update")


class DeleteHandler:
    async def verify(self, delivery: Delivery) -> None:
        target = delivery.activity.object_id
        if target is None:
            raise Refused("no object")
        # A server may only delete what lives on it: otherwise anyone could tombstone a
        # post from elsewhere before it arrives.
        if host_of(target) != host_of(delivery.signer.uri):
            raise Refused("a server deletes only its own objects")

    async def receive(self, delivery: Delivery) -> None:
        target = delivery.activity.object_id
        assert target is not None
        if target == delivery.signer.uri:
            await remove_account(delivery, delivery.signer)
            return
        status = await delivery.status_by_uri(target)
        if status is not None and status.account_id == delivery.signer.id:
            await groups.author_changed(delivery, status, "Delete")
        await receive_delete(delivery.session, delivery.signer, target)


async def remove_account(delivery: Delivery, account: Account) -> None:
    """A remote account deleted at its origin: its posts and relations go, counters follow."""
    session = delivery.session
    followed = list(
        await session.scalars(
            select(Follow.target_account_id).where(Follow.account_id == account.id)
        )
    )
    followers = list(
        await session.scalars(
            select(Follow.account_id).where(Follow.target_account_id == account.id)
        )
    )
    if followed:
        await session.execute(
            update(Account)
            .where(Account.id.in_(followed))
            .values(followers_count=Account.followers_count - 1)
        )
    if followers:
        await session.execute(
            update(Account)
            .where(Account.id.in_(followers))
            .values(following_count=Account.following_count - 1)
        )
    await insert_ignore(
        session, Tombstone, [{"uri": account.uri, "account_id": None, "deleted_at": utcnow()}]
    )
    await session.execute(delete(Account).where(Account.id == account.id))
