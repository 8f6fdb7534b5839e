"""What one process of an instance holds while it runs: database, queue, HTTP client, keys.

Shared by the web server (``jamii serve``) and the worker (``jamii worker``) so both build
federation the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from fedi import __version__
from fedi.config import InstanceConfig
from fedi.db.engine import create_engine, session_factory
from fedi.domain.site import Site
from fedi.domain.translator import StatusTranslator, start_translator
from fedi.federation.context import Federation
from fedi.federation.fetcher import Fetcher
from fedi.jobs import JobQueue
from fedi.streaming.commits import Relay, attach
from translation.detect import preload as preload_language_detection


@dataclass
class Runtime:
    config: InstanceConfig
    site: Site
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    queue: JobQueue
    federation: Federation
    relay: Relay  # where committed stream signals go (``fedi.streaming``)
    # The machine-translation engines and rendition store; None when translation is off or
    # failed to start (the reason is logged; posts stay readable untranslated).
    translator: StatusTranslator | None = None


def user_agent(config: InstanceConfig) -> str:
    return f"Jamii/{__version__} (+{config.base_url}/)"


@asynccontextmanager
async def open_runtime(config: InstanceConfig) -> AsyncIterator[Runtime]:
    engine = create_engine(config.database_url)
    sessions = session_factory(engine)
    relay = Relay()
    attach(sessions, relay)
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
                    queue=queue,
                    federation=federation,
                    relay=relay,
                    translator=translator,
                )
        finally:
            if translator is not None:
                await translator.close()
    finally:
        await engine.dispose()
