"""Moderation of communities in the inbox (FEP-1b12, as Lemmy federates it).

Two ways a decision arrives, read by one parser (``read``):

- **at our Group**: a moderator on another server sends their ``Block``, ``Add``/``Remove``
  (the moderators or featured collection, or — FEP-1b12's form of a removal — the outbox),
  ``Delete`` of a post they did not write, ``Lock``, or an ``Undo`` of one, to our Group.
  It is applied by the same domain functions as a local moderator's, with the same rank
  rule (``fedi.domain.community_rank``), and our Group announces it unchanged. Anyone
  else's attempt is refused and changes nothing. Activities that are not a community's
  moderation fall through to the ordinary handler (a teacher's Block, an author's Delete).
- **from a remote Group** (its ``Announce``): a decision about that Group only, taken by
  one of its moderators as we know them (its moderators collection is fetched when the
  actor is not one yet) or by the Group itself; anything else changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from fedi.db.models import Account, Community, Status
from fedi.domain import (
    communities,
    community_moderation,
    community_posts,
    community_relay,
    community_threads,
)
from fedi.domain.communities import CommunityView
from fedi.domain.community_rank import Acting
from fedi.errors import JamiiError
from fedi.federation.actors import host_of, resolve_account
from fedi.federation.convert.incoming import ensure_note
from fedi.federation.fetcher import FetchError
from fedi.federation.inbox import communities as groups
from fedi.federation.inbox.base import Delivery, Handler, Refused

KINDS = frozenset({"Block", "Add", "Remove", "Delete", "Lock"})


def ref(value: Any) -> str | None:
    found = value.get("id") if isinstance(value, dict) else value
    return found if isinstance(found, str) else None


@dataclass(frozen=True)
class Decision:
    """A moderation decision read from an activity; ``account``/``status`` None when we
    do not know its subject (then there is nothing to apply)."""

    action: str
    view: CommunityView
    actor_uri: str
    account: Account | None = None
    status: Status | None = None
    reason: str = ""


async def _local_group(delivery: Delivery, uri: str | None) -> CommunityView | None:
    views = await community_posts.local_groups(delivery.session, [uri] if uri else [])
    return views[0] if views else None


async def _collection_owner(delivery: Delivery, target: str) -> tuple[CommunityView, str] | None:
    """Our community whose moderators, featured or outbox collection ``target`` is."""
    account = await delivery.session.scalar(
        select(Account)
        .outerjoin(Community, Community.account_id == Account.id)
        .where(
            Account.domain.is_(None),
            Account.actor_type == "Group",
            or_(
                Community.moderators_url == target,
                Account.featured_url == target,
                Account.outbox_url == target,
            ),
        )
    )
    view = await communities.find(delivery.session, account) if account is not None else None
    return (view, _which(view, target)) if view is not None else None


def _which(view: CommunityView, target: str | None) -> str:
    group = view.account
    if target in (view.community.moderators_url, f"{group.uri}/moderators"):
        return "moderators"
    if target is not None and target == group.featured_url:
        return "featured"
    if target is not None and target == group.outbox_url:
        return "outbox"
    return ""


async def _post(
    delivery: Delivery, uri: str | None, announcing: CommunityView | None
) -> Status | None:
    """The post a decision names. A remote Group's decision may overtake its Announce of
    the post: the post is then fetched from its origin and filed under that Group, as
    its Announce would have done."""
    status = await delivery.status_by_uri(uri)
    if announcing is None or uri is None:
        return status
    if status is None:
        status = await ensure_note(delivery.federation, delivery.session, uri, delivery.budget)
    if status is not None:
        await groups.file_relayed(delivery, announcing, status, None)
    return status


async def read(
    delivery: Delivery, raw: dict[str, Any], announcing: CommunityView | None
) -> Decision | None:
    """The decision ``raw`` takes, or None when it is no community's moderation.

    ``announcing`` is the remote Group that relays it (its targets must be its own, or it
    is refused); None for an activity sent to us directly (the community is ours, found
    from the target or the post)."""
    undo = raw.get("type") == "Undo"
    inner = raw.get("object") if undo else raw
    if not isinstance(inner, dict) or inner.get("type") not in KINDS:
        return None
    kind = str(inner["type"])
    actor_uri = ref(raw.get("actor"))
    if actor_uri is None or (undo and ref(inner.get("actor")) != actor_uri):
        return None
    target, subject = ref(inner.get("target")), ref(inner.get("object"))
    summary = inner.get("summary")
    reason = summary if isinstance(summary, str) else ""
    session = delivery.session
    if kind == "Block":
        view = announcing or await _local_group(delivery, target)
        if view is None:
            if target is not None:
                # A ban from someone else's community reaches us only announced by its
                # Group; it is never a teacher's own block.
                raise Refused("a community's ban comes announced by its Group")
            return None
        if target != view.account.uri:
            raise Refused("a Group moderates only itself")
        account = await session.scalar(select(Account).where(Account.uri == subject))
        action = "unban" if undo else "ban"
        return Decision(action, view, actor_uri, account=account, reason=reason)
    if kind in ("Add", "Remove"):
        if target is None:
            return None
        if announcing is not None:
            found: tuple[CommunityView, str] | None = (announcing, _which(announcing, target))
        else:
            found = await _collection_owner(delivery, target)
        if found is None:
            return None
        view, which = found
        if which == "moderators" and not undo:
            account = await session.scalar(select(Account).where(Account.uri == subject))
            action = "add_moderator" if kind == "Add" else "remove_moderator"
            return Decision(action, view, actor_uri, account=account)
        if which == "featured" and not undo:
            status = await _post(delivery, subject, announcing)
            action = "pin" if kind == "Add" else "unpin"
            return Decision(action, view, actor_uri, status=status)
        if which == "outbox" and kind == "Remove":
            status = await _post(delivery, subject, announcing)
            action = "restore_post" if undo else "remove_post"
            return Decision(action, view, actor_uri, status=status, reason=reason)
        if undo:
            return None  # an Undo of an Add or Remove means nothing to Lemmy either
        raise Refused("a Group moderates only its own collections")
    # Delete (a removal when its actor is not the author) and Lock name a post.
    status = await delivery.status_by_uri(subject)
    if status is not None:
        author = await session.get(Account, status.account_id)
        if kind == "Delete" and author is not None and author.uri == actor_uri:
            return None  # the author's own deletion
    elif kind == "Delete":
        return None  # nothing here to remove (or an author's deletion of what we never had)
    status = await _post(delivery, subject, announcing)
    if status is None:
        return None
    group = await community_relay.community_of(session, status.id)
    if group is None:
        return None
    if announcing is not None:
        if group.id != announcing.account.id:
            raise Refused("a Group moderates only its own posts")
        home: CommunityView | None = announcing
    else:
        home = await communities.find(session, group) if group.is_local else None
    if home is None:
        return None
    if kind == "Delete":
        action = "restore_post" if undo else "remove_post"
    else:
        action = "unlock" if undo else "lock"
    return Decision(action, home, actor_uri, status=status, reason=reason)


async def apply(delivery: Delivery, decision: Decision, acting: Acting) -> None:
    """Apply a decision with the domain's functions (their refusal is a Refused)."""
    session, group = delivery.session, decision.view.account
    account, status = decision.account, decision.status
    action = decision.action
    try:
        if account is not None and action == "ban":
            await community_moderation.ban(session, group, account, decision.reason, acting=acting)
        elif account is not None and action == "unban":
            await community_moderation.unban(session, group, account, acting=acting)
        elif account is not None and action == "add_moderator":
            await community_moderation.add_moderator(session, group, account, acting=acting)
        elif account is not None and action == "remove_moderator":
            await community_moderation.remove_moderator(session, group, account, acting=acting)
        elif status is not None and action == "remove_post":
            await community_threads.remove(
                session, group, status.id, decision.reason, acting=acting
            )
        elif status is not None and action == "restore_post":
            await community_threads.restore(session, delivery.site, group, status.id, acting=acting)
        elif status is not None and action in ("lock", "unlock"):
            locking = action == "lock"
            await community_threads.lock(
                session, group, status.id, locking, decision.reason, acting=acting
            )
        elif status is not None and action in ("pin", "unpin"):
            await community_threads.pin(session, group, status.id, action == "pin", acting=acting)
    except JamiiError as refusal:
        raise Refused(refusal.message) from None


# At our Group ----------------------------------------------------------------------------


async def _at_our_group(delivery: Delivery) -> Decision | None:
    if delivery.raw.get("type") not in KINDS | {"Undo"}:
        return None
    decision = await read(delivery, delivery.raw, None)
    if decision is None:
        return None
    if decision.actor_uri != delivery.signer.uri:
        raise Refused("a moderator acts only in their own name")
    return decision


class ModerationFirst:
    """A community's moderation sent to our Group; anything else goes to ``otherwise``."""

    def __init__(self, otherwise: Handler | None = None) -> None:
        self.otherwise = otherwise

    async def verify(self, delivery: Delivery) -> None:
        if await _at_our_group(delivery) is not None:
            return
        if self.otherwise is None:
            raise Refused("not a moderation of one of our communities")
        await self.otherwise.verify(delivery)

    async def receive(self, delivery: Delivery) -> None:
        decision = await _at_our_group(delivery)
        if decision is not None:
            acting = Acting(by=delivery.signer, activity=delivery.raw)
            await apply(delivery, decision, acting)
            return
        if self.otherwise is None:
            raise Refused("not a moderation of one of our communities")
        await self.otherwise.receive(delivery)


# From a remote Group ---------------------------------------------------------------------


async def _listed_moderator(delivery: Delivery, view: CommunityView, actor: Account) -> bool:
    """Whether the Group's moderators collection (fetched from the Group's server) lists
    ``actor``; if so we record it, as an Add would have told us."""
    url = view.community.moderators_url
    if url is None or host_of(url) != host_of(view.account.uri):
        return False
    try:
        _, document = await delivery.federation.fetch(url, delivery.budget)
    except FetchError:
        return False
    items = document.get("orderedItems") or document.get("items") or []
    listed = {ref(item) for item in items} if isinstance(items, list) else set()
    if actor.uri not in listed:
        return False
    await community_moderation.learn_moderator(delivery.session, view.account, actor)
    return True


async def relayed(delivery: Delivery, view: CommunityView, wrapped: dict[str, Any]) -> bool:
    """A remote Group's announced decision: applied if its actor moderates that Group (or
    is the Group). False if ``wrapped`` is no moderation (an author's Delete, say)."""
    decision = await read(delivery, wrapped, view)
    if decision is None:
        return False
    group = view.account
    if decision.actor_uri == group.uri:
        actor = group
    else:
        try:
            actor = await resolve_account(
                delivery.federation, delivery.session, decision.actor_uri, budget=delivery.budget
            )
        except (FetchError, JamiiError):
            raise Refused("the moderator could not be found") from None
        role = await communities.role_of(delivery.session, group.id, actor.id)
        if role != "moderator" and not await _listed_moderator(delivery, view, actor):
            raise Refused("not a moderator of that Group")
    await apply(delivery, decision, Acting(by=actor, announced=True))
    return True
