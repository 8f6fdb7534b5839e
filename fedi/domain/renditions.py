"""Renditions: a status's texts in another language, stored and served again.

One rule set for the client API, timelines, federation and the translate job:

- A rendition belongs to one *version* of a status (``edit_version``): an edit starts a new
  version, and renditions of older versions are never served again.
- Ours are keyed by the engine and model version that made them: when a newer model is
  installed, renditions of the old one are not reused. A rendition another server sent in
  its ``contentMap`` (engine ``remote:<host>``) is reused as long as the version matches.
- Translating never holds a database transaction open: the status is read, the engine
  runs, and the rendition is written in its own short transaction (racing writers insert
  once; the unique key decides).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlsplit

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Job, MediaAttachment, Poll, Rendition, Status
from fedi.db.writes import insert_ignore
from fedi.domain.events import FEDERATE
from fedi.domain.html import sanitize_html
from fedi.domain.site import Site
from fedi.errors import Unavailable, ValidationFailed
from fedi.jobs import enqueue
from translation import EngineUnavailable, TextBundle, TranslatedBundle, UnsupportedPair
from translation.errors import Pair, format_pairs
from translation.service import TranslationService, normalise_language

REMOTE_PREFIX = "remote:"
TRANSLATE = "translate"
# An engine that stays down for about a day is given up on: the original stays readable and
# readers can still ask for a translation later.
TRANSLATE_ATTEMPTS = 10


class Versioned(Protocol):
    """A status or a view of one: what its version is read from."""

    @property
    def id(self) -> int: ...

    @property
    def language(self) -> str | None: ...

    @property
    def edited_at(self) -> datetime | None: ...


def edit_version(status: Versioned) -> int:
    """The version of a status's texts: 0 as posted, then the edit's time in microseconds."""
    if status.edited_at is None:
        return 0
    return int(status.edited_at.timestamp() * 1_000_000)


class Rendered(NamedTuple):
    """One language's texts of a post as federation carries them: ``contentMap``,
    ``summaryMap`` and each poll answer's ``nameMap`` (empty when not all were given)."""

    content: str
    summary: str
    poll_options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    """What is translated of one status version (read once, translated outside a session)."""

    status_id: int
    version: int
    language: str
    bundle: TextBundle
    media_ids: tuple[int, ...]

    @property
    def poll_id(self) -> int | None:
        """The poll's id (the status's) when the post has one."""
        return self.status_id if self.bundle.poll_options else None


async def source_of(session: AsyncSession, status: Status) -> Source | None:
    """The texts of ``status`` to translate, or None when its language is unknown."""
    if not status.language:
        return None
    media = (
        await session.scalars(
            select(MediaAttachment)
            .where(MediaAttachment.status_id == status.id)
            .order_by(MediaAttachment.id)
        )
    ).all()
    poll = await session.get(Poll, status.id) if status.has_poll else None
    return Source(
        status_id=status.id,
        version=edit_version(status),
        language=normalise_language(status.language),
        bundle=TextBundle(
            content_html=status.content,
            spoiler_text=status.spoiler_text,
            media_descriptions=tuple(item.description or "" for item in media),
            poll_options=tuple(poll.options) if poll is not None else (),
        ),
        media_ids=tuple(item.id for item in media),
    )


# Built once: the translate endpoint's cache hit is this one query (benchmarks/renditions.py).
_STORED = (
    select(Rendition)
    .where(
        Rendition.status_id == bindparam("status_id"),
        Rendition.edit_version == bindparam("version"),
        Rendition.language.in_(bindparam("languages", expanding=True)),
    )
    .order_by(Rendition.id.desc())
)


async def stored(
    session: AsyncSession,
    status_id: int,
    version: int,
    languages: Sequence[str],
    current: dict[Pair, tuple[str, str]] | None = None,
) -> dict[str, Rendition]:
    """The usable stored renditions of a status version, by language.

    ``current`` maps a pair to the (engine, model version) that would translate it now: our
    own renditions made by anything else (an older model) are skipped. Remote ones count.
    """
    if not languages:
        return {}
    rows = (
        await session.scalars(
            _STORED, {"status_id": status_id, "version": version, "languages": list(languages)}
        )
    ).all()
    found: dict[str, Rendition] = {}
    for row in rows:
        if row.language in found:
            continue
        if current is not None and not row.engine.startswith(REMOTE_PREFIX):
            now = current.get((row.source_language, row.language))
            if now is not None and now != (row.engine, row.model_version):
                continue
        found[row.language] = row
    return found


async def stored_for_statuses(
    session: AsyncSession, statuses: Iterable[Versioned], languages: Sequence[str]
) -> dict[int, Rendition]:
    """For a page of statuses, the first of ``languages`` each has a rendition in.

    One query for the page; a status already in one of those languages gets none.
    """
    wanted = [s for s in statuses if s.language and s.language not in languages]
    if not wanted or not languages:
        return {}
    versions = {s.id: edit_version(s) for s in wanted}
    rows = (
        await session.scalars(
            select(Rendition).where(
                Rendition.status_id.in_(list(versions)), Rendition.language.in_(list(languages))
            )
        )
    ).all()
    rank = {language: index for index, language in enumerate(languages)}
    chosen: dict[int, Rendition] = {}
    for row in rows:
        if row.edit_version != versions[row.status_id]:
            continue
        best = chosen.get(row.status_id)
        if best is None or rank[row.language] < rank[best.language]:
            chosen[row.status_id] = row
    return chosen


def unrendered(
    statuses: Iterable[Versioned], languages: Sequence[str], found: Mapping[int, Rendition]
) -> list[Versioned]:
    """The statuses a reader of ``languages`` would read translated, of which no rendition
    was found: what to ask the translate job for (``StatusTranslator.ask``)."""
    return [
        s
        for s in statuses
        if s.language and s.id not in found and normalise_language(s.language) not in languages
    ]


def _row(source: Source, translated: TranslatedBundle) -> dict[str, Any]:
    return {
        "status_id": source.status_id,
        "edit_version": source.version,
        "language": translated.target,
        "source_language": source.language,
        "engine": translated.engine,
        "model_version": translated.model_version,
        "content": translated.content_html,
        "spoiler_text": translated.spoiler_text,
        "media_descriptions": [
            [ident, text]
            for ident, text in zip(source.media_ids, translated.media_descriptions, strict=True)
        ],
        "poll_options": list(translated.poll_options),
    }


async def save(session: AsyncSession, source: Source, translated: TranslatedBundle) -> None:
    """Store a rendition (once: a concurrent writer of the same one wins quietly)."""
    await insert_ignore(session, Rendition, [_row(source, translated)])


# A peer may send every language it knows; more than this is not a translation set.
MAX_REMOTE_RENDITIONS = 8


async def save_remote(
    session: AsyncSession,
    status: Status,
    uri: str,
    renditions: Mapping[str, Rendered],
) -> int:
    """Keep the translations a peer sent (``contentMap``, ``summaryMap``, the answers'
    ``nameMap``) as renditions by ``remote:<host>``, sanitised as any remote HTML is."""
    if not status.language or not renditions:
        return 0
    host = urlsplit(uri).netloc.lower()
    original = normalise_language(status.language)
    kept: dict[str, Rendered] = {}
    for code, given in renditions.items():
        language = normalise_language(code)[:8]
        if language and language != original and language not in kept:
            kept[language] = Rendered(
                sanitize_html(given.content),
                given.summary[:1000],
                tuple(option[:500] for option in given.poll_options),
            )
        if len(kept) >= MAX_REMOTE_RENDITIONS:
            break
    rows = [
        {
            "status_id": status.id,
            "edit_version": edit_version(status),
            "language": language,
            "source_language": original,
            "engine": f"{REMOTE_PREFIX}{host}",
            "model_version": "",
            "content": given.content,
            "spoiler_text": given.summary,
            "media_descriptions": [],
            "poll_options": list(given.poll_options),
        }
        for language, given in kept.items()
    ]
    return await insert_ignore(session, Rendition, rows)


async def current_engines(service: TranslationService) -> dict[Pair, tuple[str, str]]:
    """For every pair offered, the (engine, model version) that would translate it now."""
    current: dict[Pair, tuple[str, str]] = {}
    for engine in service.chain.engines:
        for pair in await engine.available_pairs():
            current.setdefault(pair, (engine.name, engine.model_version(*pair)))
    return current


async def translate(service: TranslationService, source: Source, target: str) -> TranslatedBundle:
    """Run the engine, mapping its errors to the API's: 422 naming the pairs, or 503."""
    try:
        return await service.translate(source.bundle, source.language, target)
    except UnsupportedPair as exc:
        raise ValidationFailed(
            f"Translation from {exc.source} to {exc.target} is not available; "
            f"available pairs: {format_pairs(exc.available)}",
            field="lang",
        ) from None
    except EngineUnavailable as exc:
        raise Unavailable("Translation service unavailable", retry_after=exc.retry_after) from None


def bridged_targets(status_language: str | None, languages: Sequence[str]) -> list[str]:
    """The instance languages a status of ``status_language`` is translated into eagerly."""
    if not status_language:
        return []
    original = normalise_language(status_language)
    return [language for language in languages if language != original]


def eagerly_translated(status: Status) -> bool:
    """Public and unlisted posts are translated ahead of readers (many will read them);
    followers-only and direct ones only when someone asks."""
    return status.visibility in ("public", "unlisted") and status.reblog_of_id is None


def will_translate(site: Site, status: Status) -> bool:
    """Whether a post gets a translate job (``queue_translation``)."""
    return (
        site.eager_translation
        and eagerly_translated(status)
        and bool(bridged_targets(status.language, site.languages))
    )


def federation_hold(site: Site, status: Status) -> datetime | None:
    """When a post's federation should run at the latest if it waits for its translations
    (None: at once). The translate job releases it as soon as it has finished or failed."""
    if not will_translate(site, status) or site.translation_hold <= 0:
        return None
    return utcnow() + timedelta(seconds=site.translation_hold)


async def queue_translation(
    session: AsyncSession, site: Site, status: Status, *, release: Job | None = None
) -> None:
    """In the post's own transaction: translate it into the instance's languages later.

    Posting never waits for an engine; the job runs once the post is committed.
    ``release`` is the post's federate job, held back until the translations are stored.
    """
    if not will_translate(site, status):
        return
    payload: dict[str, Any] = {"status_id": status.id}
    if release is not None:
        payload["release"] = release.id
    await enqueue(session, TRANSLATE, payload, max_attempts=TRANSLATE_ATTEMPTS)


async def release_federation(session: AsyncSession, payload: Mapping[str, Any]) -> None:
    """Let the post's held federate job run now (its translations are stored, or the
    engine failed: either way other servers should not wait longer)."""
    job_id = payload.get("release")
    if not isinstance(job_id, int):
        return
    await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == "queued", Job.kind == FEDERATE)
        .values(run_at=utcnow())
    )


async def for_federation(
    session: AsyncSession, statuses: Sequence[Versioned]
) -> dict[int, dict[str, Rendition]]:
    """Our own renditions of each status's current version, by language, for its Note
    (``contentMap``); translations received from peers are theirs to send."""
    versions = {s.id: edit_version(s) for s in statuses if s.language}
    if not versions:
        return {}
    rows = (
        await session.scalars(
            select(Rendition)
            .where(Rendition.status_id.in_(list(versions)))
            .order_by(Rendition.id.desc())
        )
    ).all()
    found: dict[int, dict[str, Rendition]] = {}
    for row in rows:
        if row.engine.startswith(REMOTE_PREFIX) or row.edit_version != versions[row.status_id]:
            continue
        found.setdefault(row.status_id, {}).setdefault(row.language, row)
    return found


def as_content_map(found: Mapping[str, Rendition]) -> dict[str, Rendered]:
    """Each language's texts for a Note's contentMap, summaryMap and answers' nameMap."""
    return {
        language: Rendered(row.content, row.spoiler_text, tuple(row.poll_options or ()))
        for language, row in found.items()
    }
