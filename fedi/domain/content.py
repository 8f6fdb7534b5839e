"""A post's text made into stored HTML, with the mentions and hashtags it links."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, delete, event, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from fedi.db.models import Account, Mention, StatusTag, Tag
from fedi.db.writes import insert_ignore, insert_ignore_many
from fedi.domain.html import sanitize_html
from fedi.domain.site import Site
from fedi.domain.text import Handle, extract_hashtags, extract_mentions, render_text

TAG_IDS = "jamii.content.tag_ids"
# session.info key: hashtag links held for ``insert_held_status_tags``.
HELD_STATUS_TAGS = "jamii.content.held_status_tags"


@dataclass(frozen=True)
class Rendered:
    html: str
    mentioned: list[Account]
    tags: list[str]


async def _resolve(
    session: AsyncSession, site: Site, handles: list[Handle]
) -> dict[Handle, Account]:
    """Known accounts for the handles written in a post (local, or remote already seen).

    Unknown remote handles stay plain text; federation looks them up before posting.
    """
    if not handles:
        return {}
    conditions = [
        and_(
            Account.username_lower == h.username.lower(),
            Account.domain.is_(None)
            if h.domain in (None, site.domain)
            else Account.domain == h.domain,
        )
        for h in handles
    ]
    accounts = list(await session.scalars(select(Account).where(or_(*conditions))))
    found: dict[Handle, Account] = {}
    for handle in handles:
        domain = None if handle.domain in (None, site.domain) else handle.domain
        for account in accounts:
            if account.username_lower == handle.username.lower() and account.domain == domain:
                found[handle] = account
    return found


async def render(session: AsyncSession, site: Site, text: str) -> Rendered:
    handles = extract_mentions(text)
    accounts = await _resolve(session, site, handles)
    html = render_text(
        text,
        mention_urls={h: a.url or a.uri for h, a in accounts.items()},
        tag_url=site.tag_url,
    )
    unique = list({a.id: a for a in accounts.values()}.values())
    # render_text escapes everything it did not build; sanitising again costs little and
    # keeps the rule "all stored HTML went through nh3" true without exceptions.
    return Rendered(html=sanitize_html(html), mentioned=unique, tags=extract_hashtags(text))


async def store_links(
    session: AsyncSession, status_id: int, rendered: Rendered, *, replace: bool = False
) -> None:
    """Record who a status mentions and which hashtags it carries."""
    if replace:
        await session.execute(delete(StatusTag).where(StatusTag.status_id == status_id))
    await insert_ignore(
        session,
        Mention,
        [{"status_id": status_id, "account_id": a.id} for a in rendered.mentioned],
    )
    if not rendered.tags:
        return
    # Tags are never deleted, so a session that stores many posts (a worker applying a batch
    # of deliveries) looks each one up once. Any rollback, a savepoint's included, forgets
    # them (``_forget_tags``): a tag inserted there is gone again.
    known: dict[str, int] = session.info.setdefault(TAG_IDS, {})
    names = {name.lower(): name for name in rendered.tags}
    missing = [lower for lower in names if lower not in known]
    if missing:
        await insert_ignore(
            session, Tag, [{"name": names[lower], "name_lower": lower} for lower in missing]
        )
        rows = await session.execute(
            select(Tag.name_lower, Tag.id).where(Tag.name_lower.in_(missing))
        )
        known.update((row.name_lower, row.id) for row in rows)
    links = [{"status_id": status_id, "tag_id": known[lower]} for lower in names if lower in known]
    held = session.info.get(HELD_STATUS_TAGS)
    if held is not None and not replace:
        held.extend(links)
        return
    await insert_ignore(session, StatusTag, links)


def hold_status_tags(session: AsyncSession) -> None:
    """Insert the posts' hashtag links only at ``insert_held_status_tags``, all at once.

    For a session that stores many new posts and reads no links meanwhile (a worker's batch
    of received Creates): one statement for the batch instead of one per post.
    """
    session.info[HELD_STATUS_TAGS] = []


async def insert_held_status_tags(session: AsyncSession) -> None:
    held: list[dict[str, int]] = session.info.pop(HELD_STATUS_TAGS, None) or []
    await insert_ignore_many(session, StatusTag, held)


@event.listens_for(Session, "after_soft_rollback")
def _forget_tags(session: Session, _previous: SessionTransaction) -> None:
    session.info.pop(TAG_IDS, None)
