"""Processing a stored delivery (the ``inbox.process`` job): one handler per activity type."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account
from fedi.domain import content, received
from fedi.domain.html import html_to_text, sanitize_html
from fedi.federation.actors import host_of
from fedi.federation.context import Federation
from fedi.federation.convert.incoming import content_of, parse_note
from fedi.federation.delivery import peers
from fedi.federation.delivery.peers import PeerState
from fedi.federation.fetcher import FetchBudget
from fedi.federation.inbox.base import Delivery, Handler, Refused
from fedi.federation.inbox.batch import SAVEPOINTS, Attempt, InboxBatcher
from fedi.federation.inbox.community_moderation import ModerationFirst
from fedi.federation.inbox.featured import AddHandler, RemoveHandler
from fedi.federation.inbox.follows import AcceptHandler, FollowHandler, RejectHandler
from fedi.federation.inbox.interactions import AnnounceHandler, LikeHandler, UndoHandler
from fedi.federation.inbox.moderation import BlockHandler, FlagHandler, MoveHandler
from fedi.federation.inbox.notes import CreateHandler, DeleteHandler, UpdateHandler
from fedi.federation.wire import Activity, Note
from fedi.jobs import JobContext

HANDLERS: dict[str, Handler] = {
    "Follow": FollowHandler(),
    "Accept": AcceptHandler(),
    "Reject": RejectHandler(),
    "Undo": ModerationFirst(UndoHandler()),
    "Create": CreateHandler(),
    "Update": UpdateHandler(),
    "Delete": ModerationFirst(DeleteHandler()),
    "Like": LikeHandler(),
    "Announce": AnnounceHandler(),
    "Block": ModerationFirst(BlockHandler()),
    "Flag": FlagHandler(),
    "Move": MoveHandler(),
    "Add": ModerationFirst(AddHandler()),
    "Remove": ModerationFirst(RemoveHandler()),
    # Lemmy's lock of a thread: only a community's moderation.
    "Lock": ModerationFirst(),
}
# Per activity: a reply chain, a boosted post and its author together stay within this.
FETCH_BUDGET = 12
# session.info key: the batch's signers, loaded together by ``prepare_batch``.
SIGNERS = "jamii.inbox.signers"


def processor(federation: Federation) -> Any:
    """The ``inbox.process`` job handler bound to this process's federation context.

    The jobs a worker runs at once are applied together, one transaction for many
    activities (``fedi.federation.inbox.batch``); each job still succeeds, fails or is
    refused on its own.
    """
    batcher = InboxBatcher(
        federation,
        partial(apply, federation),
        partial(prepare_batch, ours=federation.site.base_url + "/"),
        finish_batch,
        parse=parse,
    )

    async def process(payload: Mapping[str, Any], context: JobContext) -> None:
        await batcher.submit(payload, context)

    return process


async def prepare_batch(
    session: AsyncSession, payloads: list[Mapping[str, Any]], *, ours: str | None = None
) -> None:
    """What the batch's activities would each look up, in one query each: their signers
    (then found in the session) and, for a batch of Creates only, their Notes' tombstones
    (no activity of such a batch deletes anything, so none can appear meanwhile); such a
    batch also inserts its posts' hashtag links together, when it ends
    (``finish_batch``)."""
    # Authors' post counts are written once each, at the end (``finish_batch``).
    received.hold_post_counts(session)
    ids = {p["signer_id"] for p in payloads if isinstance(p.get("signer_id"), int)}
    if len(ids) > 1:
        # Held by the session's info: its identity map keeps only weak references.
        found = await session.scalars(select(Account).where(Account.id.in_(ids)))
        session.info[SIGNERS] = list(found)
    notes: list[str] = []
    replies_to: set[str] = set()
    # A post sent to one of our communities (or naming anyone of ours) is filed there after
    # it is stored: a row pointing at it, so its own INSERT must come first.
    names_ours = ours is None
    for payload in payloads:
        activity = payload.get("activity")
        if not isinstance(activity, dict) or activity.get("type") != "Create":
            return
        note = activity.get("object")
        if not isinstance(note, dict):
            return
        if isinstance(note.get("id"), str):
            notes.append(note["id"])
        if isinstance(note.get("inReplyTo"), str):
            replies_to.add(note["inReplyTo"])
        names_ours = names_ours or (ours is not None and _names_under(note, ours))
    if len(notes) > 1:
        await received.check_tombstones(session, notes)
        # Nor does any read a post's hashtag links: they can all be inserted at the end.
        content.hold_status_tags(session)
        # Nor, when none replies to another of the batch and none comes twice, does any
        # look up another's post: the plain new ones are inserted together at the end.
        # Not when applied one savepoint each (after a failure): the usual way, then.
        distinct = len(set(notes)) == len(notes)
        if (
            distinct
            and not names_ours
            and not replies_to & set(notes)
            and not session.info.get(SAVEPOINTS)
        ):
            await received.hold_status_inserts(session, notes)


def _names_under(note: Mapping[str, Any], base: str) -> bool:
    """Whether a raw Note addresses, or tags, anything whose id starts with ``base``."""
    named: list[object] = []
    for key in ("audience", "to", "cc", "bto", "bcc", "tag"):
        value = note.get(key)
        named.extend(value if isinstance(value, list) else [value])
    for item in named:
        uri = (item.get("href") or item.get("id")) if isinstance(item, dict) else item
        if isinstance(uri, str) and uri.startswith(base):
            return True
    return False


async def finish_batch(session: AsyncSession) -> None:
    """What the batch's activities held back, written just before its commit."""
    # The posts first: the hashtag links point at them.
    await received.insert_held_statuses(session)
    await content.insert_held_status_tags(session)
    # Last, in id order, so two workers lock authors' rows briefly and in the same order.
    await received.count_held_posts(session)


@dataclass(frozen=True)
class Parsed:
    """An activity read before the batch's transaction (``parse``); nothing checked yet."""

    activity: Activity
    # Its embedded object as a Note, for a Create or Update carrying one; trusted only once
    # the handler's checks pass (``notes._authored_note``).
    note: Note | None


def parse(payload: Mapping[str, Any]) -> Parsed | None:
    """The CPU-only part of applying a delivery: its JSON into wire models and, for a
    post, its HTML sanitised and its text extracted (kept by ``fedi.domain.html``'s memo
    for the call ``receive_post`` makes). None if it does not parse: ``apply`` then fails
    on it as it would have."""
    try:
        activity = Activity.model_validate(payload["activity"])
    except (KeyError, ValidationError):
        return None
    note = None
    if activity.type in ("Create", "Update") and isinstance(activity.object, dict):
        note = parse_note(activity.object)
        if note is not None:
            html, _ = content_of(note)
            html_to_text(sanitize_html(html))
    return Parsed(activity, note)


async def apply(
    federation: Federation,
    session: AsyncSession,
    payload: Mapping[str, Any],
    hosts: Mapping[str, PeerState],
    attempt: Attempt,
) -> str | None:
    """Apply one stored delivery in ``session`` (not committed; the batcher marks the job
    done in the same transaction).

    Raises ``Refused`` when the activity breaks a rule. Returns the signer's host when it
    was marked unavailable and must be forgotten by the peer book once this commits.
    """
    raw = payload["activity"]
    parsed = attempt.parsed if isinstance(attempt.parsed, Parsed) else None
    if parsed is not None:
        activity = parsed.activity
    else:
        try:
            activity = Activity.model_validate(raw)
        except ValidationError:
            # The inbox checked only its envelope (``wire.Envelope``): the rest of it is
            # malformed, and will be on every attempt.
            raise Refused("not an activity we can read") from None
    handler = HANDLERS.get(activity.type)
    signer = await session.get(Account, payload["signer_id"]) if handler is not None else None
    if handler is None or signer is None:
        # Not a type we act on, or the account was deleted since: nothing left to apply.
        return None
    delivery = Delivery(
        federation=federation,
        session=session,
        signer=signer,
        activity=activity,
        budget=FetchBudget(remaining=FETCH_BUDGET),
        raw=raw,
        embedded=parsed.note if parsed is not None else None,
    )
    host = host_of(signer.uri)
    # Read before the batch's transaction began: the peer book may write on its own
    # connection, which SQLite would make wait for this transaction's lock.
    peer = hosts.get(host)
    await handler.verify(delivery)
    # Checks only read; from here on a failure must undo what was written.
    attempt.writing = True
    await handler.receive(delivery)
    if peer is None or peer.unavailable_since is None:
        return None
    # A server that talks to us is up: resume deliveries parked for it.
    await peers.heard_from(session, host)
    return host
