"""What a running web process holds, reachable from every request as ``app.state.jamii``."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from fedi.api.presenters import Presenter
from fedi.config import InstanceConfig
from fedi.domain.renditions import Versioned
from fedi.domain.site import Site
from fedi.federation.context import Federation
from fedi.jobs import JobQueue, Worker
from fedi.jobs.registry import job_handlers
from fedi.runtime import Runtime, load_overrides
from fedi.streaming.fanout import Fanout
from fedi.streaming.hub import Hub

if TYPE_CHECKING:
    from fedi.api.translate import Translator


@dataclass
class AppState:
    config: InstanceConfig
    site: Site
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    readers: async_sessionmaker[AsyncSession]
    queue: JobQueue
    presenter: Presenter
    federation: Federation | None
    worker: Worker | None
    hub: Hub
    fanout: Fanout
    # The machine-translation engines and renditions (``fedi.domain.translator``); None when
    # translation is off or could not start.
    translator: Translator | None = None
    # instance.toml as written (``config`` adds the admins' overrides) and the site as the
    # process started: ``reconfigure`` derives the live ones from them.
    file_config: InstanceConfig | None = None
    started_site: Site | None = None
    overrides_loaded: bool = True

    @property
    def read_engine(self) -> AsyncEngine:
        """The engine behind ``readers`` (autocommit: ``fedi.db.engine.create_read_engine``),
        for a read that needs no ORM session (``fedi.db.reads``)."""
        engine = self.readers.kw["bind"]
        assert isinstance(engine, AsyncEngine)
        return engine

    async def overrides_later(self, every: float = 5.0) -> None:
        """Apply the admins' overrides once the database answers (it was down at start)."""
        while True:
            await asyncio.sleep(every)
            loaded = await load_overrides(self.sessions, self.file_config or self.config)
            if loaded is not None:
                self.reconfigure(loaded)
                return

    def reconfigure(self, config: InstanceConfig) -> None:
        """Apply settings an admin changed (``fedi.domain.overrides``) to this process.

        Translation switched off stops eager translation of new posts too; switched on, it
        works if the engines were started (translation was on when the process started).
        """
        started = self.started_site or self.site
        site = replace(started, community_creation=config.communities.creation)
        if not config.features.translation:
            site = replace(site, eager_translation=False, translation_hold=0.0)
        self.config = config
        self.site = site

    async def ask_translation(self, missing: Sequence[Versioned], languages: Sequence[str]) -> None:
        """Posts a reader was shown as written for want of a rendition in their first
        language are translated for the next read (pages and API timelines alike)."""
        translator = self.translator if self.config.features.translation else None
        if not missing or not languages or translator is None:
            return
        if await translator.ask(missing, languages[0]) and self.worker is not None:
            self.worker.wake()

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> AppState:
        config = runtime.config
        worker = (
            Worker(
                runtime.queue,
                job_handlers(runtime.federation, runtime.translator),
                concurrency=config.jobs.concurrency,
            )
            if config.in_process_worker
            else None
        )
        readers = runtime.readers
        presenter = Presenter(runtime.site)
        hub = Hub()
        fanout = Fanout(hub, readers, presenter)
        runtime.relay.target = fanout.publish
        return cls(
            config=config,
            site=runtime.site,
            engine=runtime.engine,
            sessions=runtime.sessions,
            readers=readers,
            queue=runtime.queue,
            presenter=presenter,
            federation=runtime.federation,
            worker=worker,
            hub=hub,
            fanout=fanout,
            translator=runtime.translator,
            file_config=runtime.file_config or config,
            started_site=runtime.site,
            overrides_loaded=runtime.overrides_loaded,
        )
