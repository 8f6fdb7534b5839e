"""Communities in the inbox (FEP-1b12): posts sent to our Groups, and Groups' relays.

A Create whose Note names one of our communities — as ``audience``, in ``to``/``cc``, by a
Mention, or by replying in one of its threads — is checked by the community's rules
(``fedi.domain.community_posts.refusal``) before anything is stored: a refused post is
answered with a Reject and neither stored nor relayed. An accepted one is stored, filed
under the community and announced to its members.

An Announce wrapping a Create/Update is a relay only from a Group: anyone else's is
refused, so a forged "the community said so" never files a post under a community.
"""

from __future__ import annotations

from typing import Any

from fedi.db.models import Status
from fedi.domain import communities, community_posts
from fedi.domain.communities import CommunityView
from fedi.federation.inbox.base import Delivery, Refused
from fedi.federation.wire import Note


def named_uris(note: Note) -> list[str]:
    """Every actor a Note is addressed or tagged to, the audience first."""
    mentions = [t.href for t in note.tag if t.type == "Mention" and t.href]
    head = [note.audience] if note.audience else []
    return [*head, *note.to, *note.cc, *mentions]


async def addressed_community(delivery: Delivery, note: Note) -> CommunityView | None:
    """The community of ours this Note is sent to, by its addressing alone."""
    views = await community_posts.local_groups(delivery.session, named_uris(note))
    return views[0] if views else None


async def thread_community(delivery: Delivery, parent: Status | None) -> CommunityView | None:
    """A reply joins the community of the thread it answers (when that is one of ours)."""
    if parent is None:
        return None
    group = await community_posts.community_of(delivery.session, parent.id)
    if group is None or not group.is_local:
        return None
    return await communities.find(delivery.session, group)


async def refused(delivery: Delivery, view: CommunityView) -> bool:
    """Check the signer against the community's rules; a refusal is answered with Reject."""
    reason = await community_posts.refusal(delivery.session, view, delivery.signer)
    if reason is None:
        return False
    await community_posts.refuse_remote(delivery.session, view, delivery.signer, delivery.raw)
    return True


async def file_received(
    delivery: Delivery, view: CommunityView, status: Status, note: Note
) -> None:
    await community_posts.file(
        delivery.session,
        delivery.site,
        view,
        status,
        title=(note.name or "")[: community_posts.MAX_TITLE],
        activity=delivery.raw,
    )


async def relaying_group(delivery: Delivery) -> CommunityView:
    """The Group relaying an activity: only a Group's own Announce is a relay."""
    view = await communities.find(delivery.session, delivery.signer)
    if view is None:
        raise Refused("only a Group relays its members' activities")
    return view


async def file_relayed(
    delivery: Delivery, view: CommunityView, status: Status, inner: dict[str, Any] | None
) -> None:
    """Record a relayed post as the Group's (a remote Group: nothing more to do here)."""
    if view.account.is_local:
        return  # our own Groups file posts when they accept them, never from a relay
    title = inner.get("name") if isinstance(inner, dict) else None
    await community_posts.file(
        delivery.session,
        delivery.site,
        view,
        status,
        title=title[: community_posts.MAX_TITLE] if isinstance(title, str) else "",
    )
