"""Served instances whose translation runs the real Argos path on the tiny test packages.

The process has one argostranslate (its folders are set once, see ``conftest.argos``), so
every instance of a test reads its models from that folder (``[translation] models_dir``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fedi.domain.translator import StatusTranslator
from tests.servers import Instance, free_port, serve, write_instance
from tests.translation.fixtures import TinyPackages
from translation import ArgosEngine, ArgosPaths


def translation_table(paths: ArgosPaths, extra: str = "") -> str:
    return f'[translation]\nmodels_dir = "{paths.root}"\nindex_url = "{paths.index_url}"\n' + extra


@asynccontextmanager
async def translating_instance(
    tmp_path: Path,
    database_url: str,
    paths: ArgosPaths,
    tiny: TinyPackages,
    *pairs: tuple[str, str],
    code: str = "ke",
    extra: str = "",
) -> AsyncIterator[Instance]:
    """ke (English, bridged to Kiswahili) with ``pairs`` installed."""
    tiny.unpack(paths.packages, *pairs)
    config = write_instance(
        tmp_path,
        code=code,
        port=free_port(),
        database_url=database_url,
        # The translate job runs in the served process on PostgreSQL too.
        extra="[jobs]\nin_process_worker = true\n" + translation_table(paths, extra),
    )
    async with serve(config) as instance:
        yield instance


def translator_of(instance: Instance) -> StatusTranslator:
    translator = instance.state.translator
    assert isinstance(translator, StatusTranslator)
    return translator


def argos_batches(instance: Instance) -> int:
    """How many batches the instance's Argos engine has run (each one a model call)."""
    engine = translator_of(instance).service.chain.engines[0]
    assert isinstance(engine, ArgosEngine)
    return engine.batches_run
