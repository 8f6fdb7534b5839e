"""Posts on the pages in the reader's language, with the way back to what was written.

Which languages a reader reads is ``fedi.domain.preferences.shown_languages`` (the rule the
client API's timelines follow too), or, for a reader who is not signed in, the page's
language. Only stored renditions are used (``fedi.domain.renditions``): a page never waits
for an engine; the translate job fills the store ahead of readers, and a post without a
rendition yet is shown as written and queued for translation, for the next read
(``AppState.ask_translation``). ``?original=<id>`` shows that one post as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from fedi.db.models import CommunityPost, Rendition, User
from fedi.db.repositories.views import StatusView
from fedi.domain import renditions
from fedi.domain.pagination import MAX_ID
from fedi.domain.preferences import shown_languages
from fedi.state import AppState
from fedi.web.rendering import Reader


@dataclass(frozen=True)
class Shown:
    """What one post looks like on a page: its text, possibly translated."""

    content: str
    spoiler_text: str
    language: str | None
    # Set when the text is a rendition: the language it was written in.
    translated_from: str | None = None
    # Set when the reader asked for this post as written although a rendition exists.
    original_shown: bool = False
    # The attachments' descriptions in the text's language, by attachment id.
    descriptions: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reading:
    """The renditions and thread titles of the posts on one page."""

    path: str
    lang: str  # the page's language, in which a post's language is named
    original: int | None = None
    renditions: dict[int, Rendition] = field(default_factory=dict)
    titles: dict[int, str] = field(default_factory=dict)

    def of(self, post: StatusView) -> Shown:
        found = self.renditions.get(post.id)
        if found is None:
            return Shown(post.content, post.spoiler_text, post.language)
        if post.id == self.original:
            return Shown(post.content, post.spoiler_text, post.language, original_shown=True)
        return Shown(
            found.content,
            found.spoiler_text or post.spoiler_text,
            found.language,
            translated_from=found.source_language,
            descriptions={int(ident): str(text) for ident, text in found.media_descriptions},
        )

    def title(self, post: StatusView) -> str:
        return self.titles.get(post.id, "")

    def original_url(self, post: StatusView) -> str:
        return f"{self.path}?{urlencode({'original': post.id})}#post-{post.id}"

    def translated_url(self, post: StatusView) -> str:
        return f"{self.path}#post-{post.id}"


def _original(request: Request) -> int | None:
    raw = request.query_params.get("original", "")
    return int(raw) if raw.isdigit() and int(raw) <= MAX_ID else None


async def reader_languages(session: AsyncSession, state: AppState, reader: Reader) -> list[str]:
    """The languages this page's reader reads, most preferred first; [] for as written."""
    if not state.config.features.translation:
        return []
    if reader.viewer is None:
        return [reader.lang]
    user = await session.get(User, reader.viewer.user.id)
    if user is None:
        return [reader.lang]
    return await shown_languages(
        session, user, asked=None, unless_chosen=False, fallback=reader.lang
    )


async def titles_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(CommunityPost.status_id, CommunityPost.title).where(
            CommunityPost.status_id.in_(list(ids)), CommunityPost.title != ""
        )
    )
    return {status_id: title for status_id, title in rows}


async def reading_of(
    request: Request,
    session: AsyncSession,
    reader: Reader,
    posts: Sequence[StatusView],
) -> Reading:
    """How the page's ``posts`` are shown to ``reader`` (one query for the renditions,
    one for the titles)."""
    state: AppState = request.app.state.jamii
    inner = [post.reblog or post for post in posts]
    languages = await reader_languages(session, state, reader)
    found = await renditions.stored_for_statuses(session, inner, languages)
    await state.ask_translation(renditions.unrendered(inner, languages, found), languages)
    return Reading(
        path=request.url.path,
        lang=reader.lang,
        original=_original(request),
        renditions=found,
        titles=await titles_of(session, [post.id for post in inner]),
    )
