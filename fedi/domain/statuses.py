"""Posting, replying, editing and deleting statuses."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account, MediaAttachment, Mention, Status
from fedi.db.models.statuses import VISIBILITIES
from fedi.domain import (
    community_posts,
    community_relay,
    history,
    languages,
    notifications,
    polls,
    renditions,
    streams,
)
from fedi.domain.content import render, store_links
from fedi.domain.events import emit
from fedi.domain.polls import PollDraft
from fedi.domain.site import Site
from fedi.domain.visibility import can_see
from fedi.errors import NotFound, ValidationFailed
from fedi.ids import new_id

LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class Draft:
    """What a teacher (or a client on their behalf) submits as a new post or an edit."""

    text: str
    visibility: str = "public"
    language: str | None = None
    in_reply_to_id: int | None = None
    spoiler_text: str = ""
    sensitive: bool = False
    media_ids: Sequence[int] = field(default_factory=tuple)
    # A post in a community: named here, or by mentioning it, or inherited from the thread.
    community_id: int | None = None
    title: str = ""
    poll: PollDraft | None = None


def _check(site: Site, draft: Draft) -> str | None:
    """Validate a draft before anything is written; returns the normalised language."""
    if draft.visibility not in VISIBILITIES:
        raise ValidationFailed(
            f"Visibility must be one of {', '.join(VISIBILITIES)}", field="visibility"
        )
    if not draft.text.strip() and not draft.media_ids:
        raise ValidationFailed("Text can't be blank", field="status")
    if len(draft.text) + len(draft.spoiler_text) > site.post_length:
        raise ValidationFailed(
            f"Text is longer than the {site.post_length} characters this instance allows",
            field="status",
        )
    if len(draft.media_ids) > site.max_attachments:
        raise ValidationFailed(
            f"At most {site.max_attachments} attachments per post", field="media_ids"
        )
    if draft.poll is not None:
        if draft.media_ids:
            raise ValidationFailed("A post with a poll cannot have attachments", field="poll")
        polls.check_draft(draft.poll)
    language = draft.language.strip().lower() if draft.language else None
    if language is not None and not LANGUAGE_RE.match(language):
        raise ValidationFailed("Language must be an ISO 639 code such as en", field="language")
    return language


async def _media(session: AsyncSession, author: Account, draft: Draft) -> list[MediaAttachment]:
    if not draft.media_ids:
        return []
    found = list(
        await session.scalars(
            select(MediaAttachment).where(
                MediaAttachment.id.in_(list(draft.media_ids)),
                MediaAttachment.account_id == author.id,
            )
        )
    )
    if len(found) != len(set(draft.media_ids)):
        raise ValidationFailed("Media attachment not found", field="media_ids")
    return found


async def _parent(session: AsyncSession, author: Account, draft: Draft) -> Status | None:
    if draft.in_reply_to_id is None:
        return None
    parent = await session.get(Status, draft.in_reply_to_id)
    if (
        parent is None
        or parent.reblog_of_id is not None
        or not await can_see(session, author, parent)
    ):
        raise NotFound("The post you are replying to was not found", field="in_reply_to_id")
    return parent


async def post(
    session: AsyncSession,
    site: Site,
    author: Account,
    draft: Draft,
    *,
    default_language: str | None = None,
) -> Status:
    """Publish a post or a reply. Every rule is checked before the first write.

    ``default_language`` is the teacher's posting default (see ``fedi.domain.languages``).
    """
    language = await languages.for_local_post(
        site.detection_languages,
        draft.text,
        _check(site, draft),
        defaults={default_language, site.primary_language},
        spoiler_text=draft.spoiler_text,
        fallback=default_language,
    )
    parent = await _parent(session, author, draft)
    media = await _media(session, author, draft)
    if any(item.status_id is not None for item in media):
        raise ValidationFailed("Media attachment is already used by a post", field="media_ids")
    rendered = await render(session, site, draft.text)
    community = await community_posts.target(
        session,
        author,
        visibility=draft.visibility,
        mentioned=rendered.mentioned,
        parent=parent,
        community_id=draft.community_id,
        title=draft.title,
    )

    status_id = new_id()
    status = Status(
        id=status_id,
        uri=site.status_uri(author.username, status_id),
        url=site.status_url(author.username, status_id),
        account_id=author.id,
        in_reply_to_id=parent.id if parent else None,
        in_reply_to_account_id=parent.account_id if parent else None,
        thread_id=(parent.thread_id or parent.id) if parent else status_id,
        content=rendered.html,
        text=draft.text,
        spoiler_text=draft.spoiler_text,
        sensitive=draft.sensitive or bool(draft.spoiler_text),
        language=language,
        visibility=draft.visibility,
        local=author.is_local,
    )
    session.add(status)
    await session.flush()
    for item in media:
        item.status_id = status.id
    if draft.poll is not None:
        await polls.attach(session, status, draft.poll)
    await store_links(session, status.id, rendered)
    await session.execute(
        update(Account)
        .where(Account.id == author.id)
        .values(statuses_count=Account.statuses_count + 1, last_status_at=status.created_at)
    )
    if parent is not None:
        await session.execute(
            update(Status)
            .where(Status.id == parent.id)
            .values(replies_count=Status.replies_count + 1)
        )
    await _notify_mentions(session, status, rendered.mentioned)
    # Other servers get the post with its translations when they come within seconds.
    federate = await emit(
        session,
        author,
        "status.created",
        status_id=status.id,
        run_at=renditions.federation_hold(site, status),
    )
    await renditions.queue_translation(session, site, status, release=federate)
    if community is not None:
        await community_posts.file(session, site, community, status, title=draft.title)
    streams.status_created(session, status)
    return status


async def _notify_mentions(session: AsyncSession, status: Status, accounts: list[Account]) -> None:
    for account in accounts:
        await notifications.notify(
            session,
            recipient=account,
            sender_id=status.account_id,
            type="mention",
            status_id=status.id,
        )


async def _own_status(session: AsyncSession, actor: Account, status_id: int) -> Status:
    status = await session.get(Status, status_id)
    # Someone else's status answers like a missing one: ids must not reveal private posts.
    if status is None or status.account_id != actor.id:
        raise NotFound()
    return status


async def edit(
    session: AsyncSession, site: Site, editor: Account, status_id: int, draft: Draft
) -> Status:
    """Change a post's text, warning, language or media; the history keeps every version.

    Visibility and the reply target cannot change, as in Mastodon: followers who were sent
    the post must not find it re-addressed under them.
    """
    status = await _own_status(session, editor, status_id)
    if status.reblog_of_id is not None:
        raise NotFound()
    language = await languages.for_local_post(
        site.detection_languages,
        draft.text,
        _check(site, Draft(**{**draft.__dict__, "visibility": status.visibility})),
        defaults={site.primary_language},
        spoiler_text=draft.spoiler_text,
        fallback=status.language,
    )
    media = await _media(session, editor, draft)
    if any(item.status_id not in (None, status.id) for item in media):
        raise ValidationFailed("Media attachment is already used by a post", field="media_ids")
    rendered = await render(session, site, draft.text)

    await history.before_edit(session, status)
    before = {m.id for m in await _mentioned_accounts(session, status.id)}
    status.content = rendered.html
    status.text = draft.text
    status.spoiler_text = draft.spoiler_text
    status.sensitive = draft.sensitive or bool(draft.spoiler_text)
    status.language = language or status.language
    status.edited_at = utcnow()
    await session.execute(
        update(MediaAttachment)
        .where(
            MediaAttachment.status_id == status.id, MediaAttachment.id.not_in([m.id for m in media])
        )
        .values(status_id=None)
    )
    for item in media:
        item.status_id = status.id
    await polls.replace(session, status, draft.poll)
    await store_links(session, status.id, rendered, replace=True)
    await history.after_edit(session, status)
    await session.flush()
    await _notify_mentions(session, status, [a for a in rendered.mentioned if a.id not in before])
    await _notify_boosters(session, status)
    # The new version has no renditions yet; the old ones are no longer served.
    federate = await emit(
        session,
        editor,
        "status.updated",
        status_id=status.id,
        run_at=renditions.federation_hold(site, status),
    )
    await renditions.queue_translation(session, site, status, release=federate)
    await community_posts.changed(session, status, "Update")
    return status


async def _mentioned_accounts(session: AsyncSession, status_id: int) -> list[Account]:
    rows = await session.scalars(
        select(Account)
        .join(Mention, Mention.account_id == Account.id)
        .where(Mention.status_id == status_id)
    )
    return list(rows)


async def _notify_boosters(session: AsyncSession, status: Status) -> None:
    boosters = await session.scalars(
        select(Account)
        .join(Status, Status.account_id == Account.id)
        .where(Status.reblog_of_id == status.id)
    )
    for account in boosters:
        await notifications.notify(
            session,
            recipient=account,
            sender_id=status.account_id,
            type="update",
            status_id=status.id,
        )


async def _deletion_event(session: AsyncSession, status: Status) -> tuple[str, dict[str, Any]]:
    """What remote servers need to hear of a deletion, captured before the rows go."""
    if status.reblog_of_id is not None:
        return "reblog.deleted", {"boost_uri": status.uri, "status_id": status.reblog_of_id}
    mentioned = [a.id for a in await _mentioned_accounts(session, status.id)]
    community = await community_relay.community_of(session, status.id)
    if community is not None:
        mentioned.append(community.id)  # the community hears of it, as it heard of the post
    return "status.deleted", {
        "status_uri": status.uri,
        "visibility": status.visibility,
        "mentioned_ids": mentioned,
        "in_reply_to_account_id": status.in_reply_to_account_id,
    }


async def delete_status(session: AsyncSession, actor: Account, status_id: int) -> Status:
    """Delete one's own post. A tombstone keeps its URI so a late copy stays deleted.

    Returns the deleted status (with its source text, for Mastodon's "delete and redraft").
    """
    status = await _own_status(session, actor, status_id)
    kind, payload = await _deletion_event(session, status)
    await emit(session, actor, kind, **payload)
    if kind == "status.deleted":
        await community_posts.changed(session, status, "Delete", deletion=payload)
    await history.tombstone(session, status.uri, actor.id)
    await history.remove(session, status)
    return status
