"""Timelines in the reader's language: statuses with a stored rendition in one of the
reader's languages are shown translated, the original kept in ``jamii_original``.

Asked with ``translate=true`` (``false`` turns it off); without the parameter, a teacher who
chose reading languages (``source[reading_languages]``) gets them. Only stored renditions
are used: a timeline never waits for an engine (the translate job fills the store ahead).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.api import entities
from fedi.api.auth import Reader
from fedi.api.params import Params
from fedi.db.models import Account, Rendition, User
from fedi.db.repositories.views import StatusView
from fedi.domain import renditions
from fedi.domain.preferences import reads_as_written, shown_languages
from fedi.domain.translator import provider_name
from fedi.state import AppState


async def reader_languages(
    session: AsyncSession,
    params: Params,
    account: Account | None,
    state: AppState,
    user: User | None = None,
) -> list[str]:
    """The languages to show statuses in, most preferred first; [] for as written.

    ``user``: the reader's log-in when the caller has it already (no query then)."""
    if not state.config.features.translation or account is None:
        return []
    if params.boolean("translate") is False:
        return []
    if user is None or user.account_id != account.id:
        user = await session.scalar(select(User).where(User.account_id == account.id))
    if user is None:
        return []
    return await shown_languages(
        session,
        user,
        asked=params.boolean("translate"),
        unless_chosen=True,
        fallback=state.site.primary_language,
    )


def may_translate(params: Params, state: AppState, reader: Reader) -> bool:
    """False when ``reader_languages`` is sure to give [] for this reader (translation off,
    or ``reads_as_written``, the rule ``shown_languages`` applies first). Spares the
    log-in's query, and the session, on the home timeline's usual path."""
    if not state.config.features.translation:
        return False
    asked = params.boolean("translate")
    return not reads_as_written(reader.reading_languages, asked=asked, unless_chosen=True)


async def present(
    session: AsyncSession, state: AppState, views: Sequence[StatusView], languages: list[str]
) -> Sequence[Any]:
    """The statuses, translated where a rendition is stored; as written, the timeline's
    fast path (plain JSON values, no models: benchmarks/home_http.py)."""
    if not languages:
        return state.presenter.statuses(views)
    inner = [v.reblog if v.reblog is not None else v for v in views]
    found = await renditions.stored_for_statuses(session, inner, languages)
    # The same as the pages: what is missing is translated for the next read.
    await state.ask_translation(renditions.unrendered(inner, languages, found), languages)
    return [_status(state, view, found) for view in views]


def _translated(entity: entities.Status, row: Rendition) -> entities.TranslatedStatus:
    descriptions = {int(ident): text for ident, text in row.media_descriptions}
    media = [
        m.model_copy(update={"description": descriptions.get(int(m.id), m.description)})
        for m in entity.media_attachments
    ]
    poll = entity.poll
    if poll is not None and len(row.poll_options) == len(poll.options):
        # The answers read in the reader's language; votes are cast by index, so unchanged.
        poll = poll.model_copy(
            update={
                "options": [
                    option.model_copy(update={"title": title})
                    for option, title in zip(poll.options, row.poll_options, strict=True)
                ]
            }
        )
    return entities.TranslatedStatus(
        **{
            **entity.__dict__,
            "content": row.content,
            "spoiler_text": row.spoiler_text or entity.spoiler_text,
            "language": row.language,
            "media_attachments": media,
            "poll": poll,
        },
        jamii_original=entities.OriginalText(
            content=entity.content,
            spoiler_text=entity.spoiler_text,
            language=entity.language,
            provider=provider_name(row.engine),
        ),
    )


def _status(state: AppState, view: StatusView, found: dict[int, Rendition]) -> entities.Status:
    entity = state.presenter.status(view)
    if view.reblog is not None and entity.reblog is not None and view.reblog.id in found:
        return entity.model_copy(
            update={"reblog": _translated(entity.reblog, found[view.reblog.id])}
        )
    if view.id in found:
        return _translated(entity, found[view.id])
    return entity
