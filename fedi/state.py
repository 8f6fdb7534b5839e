"""What a running web process holds, reachable from every request as ``app.state.jamii``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from fedi.api.presenters import Presenter
from fedi.config import InstanceConfig
from fedi.db.listen import is_postgresql, start_listening
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

# Sent by migration 0014's trigger when the admins' overrides change.
SETTINGS_CHANNEL = "jamii_settings"


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

    async def reload_overrides(self) -> None:
        """Apply the overrides as stored now (another process's admin saved some)."""
        loaded = await load_overrides(self.sessions, self.file_config or self.config)
        if loaded is not None:
            self.reconfigure(loaded)

    @asynccontextmanager
    async def following_settings(self, database_url: str) -> AsyncIterator[None]:
        """On PostgreSQL, for as long as the block runs: apply the overrides an admin saved
        through another process (``jamii serve`` processes side by side) as soon as that
        commits (a trigger sends ``jamii_settings``, migration 0014), not at the next
        restart. Each notification reloads them; the work is one small read."""
        if not is_postgresql(database_url):
            yield
            return
        reloads: set[asyncio.Task[None]] = set()

        def changed(_payload: str) -> None:
            task = asyncio.get_running_loop().create_task(self.reload_overrides())
            reloads.add(task)  # held until done: the loop keeps only weak references
            task.add_done_callback(reloads.discard)

        listener = await start_listening(database_url, SETTINGS_CHANNEL, changed)
        try:
            yield
        finally:
            listener.cancel()
            for task in (listener, *reloads):
                with suppress(asyncio.CancelledError):
                    await task

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
