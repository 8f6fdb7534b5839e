"""The instance's translator: the engine service, the rendition store, and the translate job.

``StatusTranslator`` is what ``AppState.translator`` holds (see ``fedi.api.translate``): the
client API reads stored renditions through it and asks the engine only when none fits; the
``translate`` job fills the store ahead of readers. Rules are in ``fedi.domain.renditions``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from structlog.typing import FilteringBoundLogger

from fedi.config import InstanceConfig
from fedi.db.models import Rendition, Status
from fedi.domain import renditions
from fedi.domain.html import sanitize_html
from fedi.domain.renditions import REMOTE_PREFIX, Source
from fedi.errors import ValidationFailed
from fedi.jobs import enqueue
from fedi.jobs.worker import JobContext, RetryLater
from translation import (
    EngineUnavailable,
    TranslatedBundle,
    TranslationError,
    TranslationService,
    TranslationSettings,
    UnsupportedPair,
    build_service,
)
from translation.argos_env import DEFAULT_INDEX_URL
from translation.errors import Pair, format_pairs
from translation.service import normalise_language

log: FilteringBoundLogger = structlog.get_logger(__name__)

PROVIDERS = {"argos": "Argos Translate", "libretranslate": "LibreTranslate"}
# A reader's request is asked again only after this long (the job may have failed), and
# the memory of requests is pruned past this many entries.
ASK_AGAIN_AFTER = 600.0
ASKED_REMEMBERED = 10_000
# A reader's request is not worth a day of retries: the next reader asks again.
READER_ATTEMPTS = 3


@dataclass(frozen=True)
class Translation:
    """Mastodon's Translation entity."""

    content: str
    spoiler_text: str
    language: str
    detected_source_language: str
    provider: str
    media_attachments: Sequence[tuple[int, str]] = ()  # (attachment id, description)
    # The poll's id and its answers translated, in order; None when the post has no poll or
    # the rendition (another server's) came without them.
    poll: tuple[int, Sequence[str]] | None = None


def provider_name(engine: str) -> str:
    if engine.startswith(REMOTE_PREFIX):
        return f"{engine.removeprefix(REMOTE_PREFIX)} (machine translation)"
    return PROVIDERS.get(engine, engine or "Jamii")


def from_rendition(row: Rendition) -> Translation:
    return Translation(
        content=row.content,
        spoiler_text=row.spoiler_text,
        language=row.language,
        detected_source_language=row.source_language,
        provider=provider_name(row.engine),
        media_attachments=[(int(ident), str(text)) for ident, text in row.media_descriptions],
        poll=(row.status_id, list(row.poll_options)) if row.poll_options else None,
    )


def from_bundle(source: Source, translated: TranslatedBundle) -> Translation:
    return Translation(
        content=translated.content_html,
        spoiler_text=translated.spoiler_text,
        language=translated.target,
        detected_source_language=source.language,
        provider=provider_name(translated.engine),
        media_attachments=list(zip(source.media_ids, translated.media_descriptions, strict=True)),
        poll=(source.poll_id, translated.poll_options) if source.poll_id is not None else None,
    )


class StatusTranslator:
    """One per process: started at start-up, closed at shutdown."""

    def __init__(
        self,
        service: TranslationService,
        sessions: async_sessionmaker[AsyncSession],
        languages: Sequence[str],
    ) -> None:
        self.service = service
        self.sessions = sessions
        self.instance_languages = tuple(languages)
        self.pairs: frozenset[Pair] = frozenset()
        self.current: dict[Pair, tuple[str, str]] = {}
        # (status, version, language) -> when a reader's request for it was queued.
        self._asked: dict[tuple[int, int, str], float] = {}

    async def refresh(self) -> None:
        """Read which pairs the engines offer now (and which model makes each)."""
        self.pairs = await self.service.available_pairs()
        self.current = await renditions.current_engines(self.service)

    def languages(self) -> Mapping[str, Sequence[str]]:
        offered: dict[str, list[str]] = {}
        for source, target in sorted(self.pairs):
            offered.setdefault(source, []).append(target)
        return offered

    async def prepare(
        self, session: AsyncSession, status: Status, target: str
    ) -> Translation | Source:
        """A stored rendition of ``status`` in ``target``, else what the engine must translate.

        The store is read first, with what the status row already says (one query on a
        hit); the media descriptions are read only when the engine is needed.
        """
        if not status.language:
            raise ValidationFailed(
                "This post's language is not known, so it cannot be translated", field="lang"
            )
        target = normalise_language(target)
        found = await renditions.stored(
            session, status.id, renditions.edit_version(status), [target], self.current
        )
        if target in found:
            return from_rendition(found[target])
        source = await renditions.source_of(session, status)
        assert source is not None  # the language was checked above
        return source

    async def translate_source(self, source: Source, target: str) -> Translation:
        """Translate now (no session held meanwhile) and store the rendition."""
        translated = await renditions.translate(self.service, source, target)
        async with self.sessions() as session, session.begin():
            await renditions.save(session, source, translated)
        return from_bundle(source, translated)

    async def translate(self, session: AsyncSession, status: Status, target: str) -> Translation:
        prepared = await self.prepare(session, status, target)
        if isinstance(prepared, Translation):
            return prepared
        return await self.translate_source(prepared, target)

    async def run_job(self, payload: Mapping[str, Any], context: JobContext) -> None:
        """The ``translate`` job: the status into each instance language it lacks, or (a
        reader's request, ``status_ids`` and ``targets``) those statuses into those languages.

        An engine that is down makes the job retry with backoff (``RetryLater`` with the
        engine's own Retry-After); after the last attempt it is marked dead and nothing else
        happens: the original is readable, and readers can still ask later. Either way the
        post's held federation is released after the first attempt.
        """
        try:
            if "status_ids" in payload:
                targets = [str(t) for t in payload.get("targets", [])]
                for status_id in payload["status_ids"]:
                    await self._translate(int(status_id), targets)
            else:
                await self._translate(int(payload["status_id"]), None)
        finally:
            async with self.sessions() as session, session.begin():
                await renditions.release_federation(session, payload)

    async def _translate(self, status_id: int, wanted: Sequence[str] | None) -> None:
        """``status_id`` into ``wanted`` (None: the instance's languages), skipping the
        languages already stored and the pairs no engine offers."""
        async with self.sessions() as session:
            status = await session.get(Status, status_id)
            if status is None:
                return  # deleted meanwhile
            source = await renditions.source_of(session, status)
            if source is None:
                return
            candidates = (
                renditions.bridged_targets(source.language, self.instance_languages)
                if wanted is None
                else [t for t in wanted if t != source.language]
            )
            targets = [t for t in candidates if (source.language, t) in self.pairs]
            have = await renditions.stored(
                session, source.status_id, source.version, targets, self.current
            )
        for target in targets:
            if target in have:
                continue
            try:
                translated = await self.service.translate(source.bundle, source.language, target)
            except UnsupportedPair:
                continue  # removed since the last refresh
            except EngineUnavailable as exc:
                raise RetryLater(exc.reason, after=exc.retry_after) from None
            async with self.sessions() as session, session.begin():
                await renditions.save(session, source, translated)
        log.debug("translated", status_id=source.status_id, targets=len(targets))

    async def ask(self, statuses: Sequence[renditions.Versioned], target: str) -> bool:
        """A reader reads ``target`` and these posts have no rendition in it: translate them
        later (a job), so the next read finds them. Posts in a language no engine pairs
        with ``target``, and posts asked for recently, are left out; True when a job was
        queued (the caller wakes the worker)."""
        now = time.monotonic()
        if len(self._asked) > ASKED_REMEMBERED:
            self._asked = {k: t for k, t in self._asked.items() if now - t < ASK_AGAIN_AFTER}
        wanted: list[int] = []
        for status in statuses:
            if not status.language:
                continue
            pair = (normalise_language(status.language), target)
            key = (status.id, renditions.edit_version(status), target)
            if pair not in self.pairs or now - self._asked.get(key, -ASK_AGAIN_AFTER) < (
                ASK_AGAIN_AFTER
            ):
                continue
            self._asked[key] = now
            wanted.append(status.id)
        if not wanted:
            return False
        async with self.sessions() as session, session.begin():
            await enqueue(
                session,
                renditions.TRANSLATE,
                {"status_ids": wanted, "targets": [target]},
                max_attempts=READER_ATTEMPTS,
            )
        return True

    async def close(self) -> None:
        await self.service.close()


MODELS_MISSING = "translation models not installed: run jamii translation install en fr pt"


def models_installed(config: InstanceConfig) -> bool:
    """Whether any Argos package is in the instance's models folder (nothing imported)."""
    packages = config.translation_models_dir / "packages"
    return packages.is_dir() and any(packages.iterdir())


def service_settings(config: InstanceConfig) -> TranslationSettings:
    """``[translation]`` of instance.toml as the translation package's settings."""
    table = config.translation
    return TranslationSettings(
        engines=tuple(table.engines),
        index_url=table.index_url or DEFAULT_INDEX_URL,
        workers=table.workers,
        intra_threads=table.intra_threads,
        beam_size=table.beam_size,
        max_batch=table.max_batch,
        max_queued=table.max_queued,
        timeout=table.timeout,
        max_loaded_models=table.max_loaded_models,
        libretranslate_url=table.libretranslate_url,
        libretranslate_api_key=table.libretranslate_api_key,
        libretranslate_timeout=table.libretranslate_timeout,
    )


async def start_translator(
    config: InstanceConfig, sessions: async_sessionmaker[AsyncSession]
) -> StatusTranslator | None:
    """Start the engines and log what works; None when translation is off or cannot start.

    A broken model package is an error in the log naming the package and why, and the other
    pairs keep working; the instance serves either way (posts stay readable untranslated).
    """
    if not config.features.translation:
        return None
    settings = service_settings(config)
    if "argos" in settings.engines and not models_installed(config):
        # Not even imported: argostranslate and its libraries cost memory for nothing.
        log.warning("translation_unavailable", engine="argos", hint=MODELS_MISSING)
        settings = replace(settings, engines=tuple(e for e in settings.engines if e != "argos"))
        if not settings.engines:
            return None
    try:
        service = build_service(
            settings,
            config.data_dir,
            sanitise=sanitize_html,
            models_dir=config.translation_models_dir,
        )
        reports = await service.start()
    except (TranslationError, ValueError, OSError) as exc:
        log.error("translation_not_started", error_type=type(exc).__name__, reason=str(exc))
        return None
    for report in reports:
        for problem in report.problems:
            log.error("translation_problem", engine=report.engine, problem=problem)
        log.info(
            "translation_engine",
            engine=report.engine,
            pairs=format_pairs(report.pairs),
        )
    translator = StatusTranslator(service, sessions, config.languages.supported)
    await translator.refresh()
    if not translator.pairs:
        log.warning("translation_unavailable", hint=MODELS_MISSING)
    return translator
