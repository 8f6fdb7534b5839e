"""What a running instance holds: its configuration, database and job machinery."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from fedi.api.presenters import Presenter
from fedi.config import InstanceConfig
from fedi.db.engine import create_engine, session_factory
from fedi.domain.site import Site
from fedi.jobs import JobQueue, Worker
from fedi.jobs.registry import job_handlers


@dataclass
class AppState:
    config: InstanceConfig
    site: Site
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    queue: JobQueue
    presenter: Presenter
    worker: Worker | None = field(default=None)

    @classmethod
    def build(cls, config: InstanceConfig) -> AppState:
        engine = create_engine(config.database_url)
        sessions = session_factory(engine)
        queue = JobQueue(sessions)
        site = Site.from_config(config)
        worker = (
            Worker(queue, job_handlers(config), concurrency=config.jobs.concurrency)
            if config.in_process_worker
            else None
        )
        return cls(
            config=config,
            site=site,
            engine=engine,
            sessions=sessions,
            queue=queue,
            presenter=Presenter(site),
            worker=worker,
        )
