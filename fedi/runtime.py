"""What one process of an instance holds while it runs: database, queue, HTTP client, keys.

Shared by the web server (``jamii serve``) and the worker (``jamii worker``) so both build
federation the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

import structlog
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from fedi import __version__
from fedi.config import InstanceConfig
from fedi.db.engine import (
    create_engine,
    create_read_engine,
    read_session_factory,
    session_factory,
)
from fedi.domain import overrides
from fedi.domain.site import Site
from fedi.domain.translator import StatusTranslator, start_translator
from fedi.federation.context import Federation
from fedi.federation.fetcher import Fetcher
from fedi.jobs import JobQueue
from fedi.streaming.commits import Relay, attach
from translation.detect import preload as preload_language_detection

log = structlog.get_logger(__name__)


@dataclass
class Runtime:
    config: InstanceConfig
    site: Site
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    readers: async_sessionmaker[AsyncSession]  # for requests that only read
    queue: JobQueue
    federation: Federation
    relay: Relay  # where committed stream signals go (``fedi.streaming``)
    # The machine-translation engines and rendition store; None when translation is off or
    # failed to start (the reason is logged; posts stay readable untranslated).
    translator: StatusTranslator | None = None
    # instance.toml as written; ``config`` is it with the admins' runtime overrides applied
    # (``overrides_loaded`` False: the database was down at start, the file's settings serve).
    file_config: InstanceConfig | None = None
    overrides_loaded: bool = True


def user_agent(config: InstanceConfig) -> str:
    return f"Jamii/{__version__} (+{config.base_url}/)"


async def load_overrides(
    sessions: async_sessionmaker[AsyncSession], config: InstanceConfig
) -> InstanceConfig | None:
    """``config`` with what admins changed on /admin/settings (``fedi.domain.overrides``);
    None while the database cannot be reached."""
    try:
        async with sessions() as session:
            return await overrides.effective(session, config)
    except (DBAPIError, OSError) as exc:
        log.warning("instance_overrides_unavailable", error=type(exc).__name__)
        return None


@asynccontextmanager
async def open_runtime(config: InstanceConfig) -> AsyncIterator[Runtime]:
    engine = create_engine(config.database_url)
    read_engine = create_read_engine(engine)
    sessions = session_factory(engine)
    relay = Relay()
    attach(sessions, relay)
    file_config = config
    # A database that is down must not stop the server starting (its requests answer 503
    # until it is back): the file's settings serve meanwhile (see AppState.overrides_later).
    loaded = await load_overrides(sessions, file_config)
    config = loaded or file_config
    site = Site.from_config(config)
    preload_language_detection()  # in a thread: serving starts meanwhile
    try:
        translator = await start_translator(config, sessions)
        if translator is not None and translator.pairs and config.translation.eager:
            # Posts are translated ahead of readers, and wait briefly for it before
            # federating, only when an engine can translate.
            site = replace(
                site,
                eager_translation=True,
                translation_hold=config.translation.federation_wait,
            )
        try:
            # JAMII_DEV_INSECURE is the only way plain http and loopback peers are allowed.
            async with Fetcher(
                allow_private=config.dev_insecure, user_agent=user_agent(config)
            ) as fetcher:
                queue = JobQueue(sessions)
                federation = Federation(config, site, sessions, fetcher)
                federation.inbox_writer.writing = queue.writing
                yield Runtime(
                    config=config,
                    site=site,
                    engine=engine,
                    sessions=sessions,
                    readers=read_session_factory(read_engine),
                    queue=queue,
                    federation=federation,
                    relay=relay,
                    translator=translator,
                    file_config=file_config,
                    overrides_loaded=loaded is not None,
                )
        finally:
            if translator is not None:
                await translator.close()
    finally:
        if read_engine.pool is not engine.pool:
            await read_engine.dispose()
        await engine.dispose()
