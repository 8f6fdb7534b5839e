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

from fedi.db.models import Account, Status
from fedi.domain import communities, community_posts, community_relay
from fedi.domain.communities import CommunityView
from fedi.domain.received import receive_delete, receive_edit
from fedi.federation.convert.incoming import ensure_note, note_to_incoming, parse_note
from fedi.federation.fetcher import FetchError, RemoteError
from fedi.federation.inbox.base import Delivery, Refused
from fedi.federation.wire import Note

GONE = frozenset({404, 410})


def named_uris(note: Note) -> list[str]:
    """Every actor a Note is addressed or tagged to, the audience first."""
    mentions = [t.href for t in note.tag if t.type == "Mention" and t.href]
    head = [note.audience] if note.audience else []
    return [*head, *note.to, *note.cc, *mentions]


async def addressed_community(delivery: Delivery, note: Note) -> CommunityView | None:
    """The community of ours this Note is sent to, by its addressing alone."""
    # Our communities' ids are under our base URL: most Notes name none of ours (Public and
    # their author's followers), and need no query.
    ours = delivery.site.base_url + "/"
    named = [uri for uri in named_uris(note) if uri.startswith(ours)]
    if not named:
        return None
    views = await community_posts.local_groups(delivery.session, named)
    return views[0] if views else None


async def thread_community(delivery: Delivery, parent: Status | None) -> CommunityView | None:
    """A reply joins the community of the thread it answers (when that is one of ours)."""
    if parent is None:
        return None
    group = await community_relay.community_of(delivery.session, parent.id)
    if group is None or not group.is_local:
        return None
    return await communities.find(delivery.session, group)


async def refused(delivery: Delivery, view: CommunityView, parent: Status | None = None) -> bool:
    """Check the signer against the community's rules (and the thread's lock, for a reply
    to ``parent``); a refusal is answered with Reject."""
    reason = await community_posts.refusal(delivery.session, view, delivery.signer, parent)
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


async def relay_change(delivery: Delivery, kind: str, uri: str) -> Status | None:
    """Apply an edit or deletion a Group relays, checked at the post's origin — never taken
    from the relayed copy: an edit is the origin's current version, a deletion holds only
    if the origin answers that the post is gone."""
    session = delivery.session
    status = await delivery.status_by_uri(uri)
    if status is None:
        if kind == "Update":
            return await ensure_note(delivery.federation, session, uri, delivery.budget)
        return None
    author = await session.get(Account, status.account_id)
    if author is None or author.is_local:
        return None  # our own posts change only here
    try:
        ident, document = await delivery.federation.fetch(uri, delivery.budget)
    except RemoteError as exc:
        if kind == "Delete" and exc.remote_status in GONE:
            await receive_delete(session, author, uri)
        return None
    except FetchError:
        return None
    note = parse_note(document)
    if kind != "Update" or note is None or note.id != ident or note.attributed_to != author.uri:
        return None
    post = await note_to_incoming(delivery.federation, session, note, author, delivery.budget)
    return await receive_edit(session, author, status, post)


async def author_changed(delivery: Delivery, status: Status, kind: str) -> None:
    """The author edited or deleted a post filed under one of our communities: relay it."""
    await community_posts.changed(delivery.session, status, kind, activity=delivery.raw)
