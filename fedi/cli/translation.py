"""``jamii translation …``: the machine-translation models of an instance, and the keys of
its LibreTranslate-compatible API.

Models live in ``<data_dir>/translation`` (packages, argostranslate's index and caches,
MiniSBD sentence splitters). The ``translation`` package is imported here only, inside the
commands, and it imports argostranslate only once that folder is known.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from fedi.cli.common import fail, instance_option, load_or_exit
from fedi.config import InstanceConfig

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from translation.argos_env import ArgosPaths

T = TypeVar("T")

INDEX_ENV = "JAMII_TRANSLATION_INDEX_URL"


def _paths(instance_dir: str, index_url: str | None = None) -> ArgosPaths:
    from translation.argos_env import DEFAULT_INDEX_URL, ArgosPaths

    config = load_or_exit(instance_dir)
    # JAMII_TRANSLATION_INDEX_URL is also the environment override of [translation] index_url.
    chosen = index_url or os.environ.get(INDEX_ENV) or config.translation.index_url
    return ArgosPaths(config.translation_models_dir, chosen or DEFAULT_INDEX_URL)


def _say(message: str) -> None:
    click.echo(message, err=True)


@click.group()
def translation() -> None:
    """Machine-translation models: list, install from the Argos index, import, remove."""


@translation.command("list")
@instance_option
@click.option(
    "--check", is_flag=True, help="Load every model and translate a test sentence with it."
)
def list_models(instance_dir: str, check: bool) -> None:
    """Installed packages, broken ones with the reason, and the pairs they make available."""
    from translation.errors import TranslationError, format_pairs
    from translation.models import installed_routes, list_installed

    paths = _paths(instance_dir)
    packages = list_installed(paths)
    click.echo(f"models in {paths.packages}")
    if not packages:
        click.echo("no packages installed (jamii translation install en fr pt)")
    for info in packages:
        click.echo(f"  {info.describe()}")
    routes = installed_routes(paths)
    if check:
        from translation.argos_engine import ArgosEngine

        engine = ArgosEngine(paths)

        async def _check() -> frozenset[tuple[str, str]]:
            try:
                report = await engine.start()
            finally:
                await engine.close()
            for problem in report.problems:
                click.echo(f"  BROKEN at load: {problem}")
            return report.pairs

        try:
            pairs = asyncio.run(_check())
        except TranslationError as exc:
            fail(str(exc))
        routes = {pair: routes.get(pair, (pair,)) for pair in pairs}
    direct = {pair for pair, legs in routes.items() if len(legs) == 1}
    pivoted = {pair for pair, legs in routes.items() if len(legs) > 1}
    click.echo(f"direct pairs: {format_pairs(direct)}")
    click.echo(f"through a pivot: {format_pairs(pivoted)}")


@translation.command()
@instance_option
@click.argument("languages", nargs=-1, required=True)
@click.option(
    "--index-url",
    default=None,
    metavar="URL",
    help=f"Argos package index (env {INDEX_ENV}; default: argospm-index on GitHub).",
)
def install(instance_dir: str, languages: tuple[str, ...], index_url: str | None) -> None:
    """Install the packages that translate between LANGUAGES (e.g. ``en fr pt``).

    Pairs without a package of their own go through English. The sentence splitter of each
    package's source language is downloaded too, so the server then works offline.
    """
    from translation.errors import TranslationError
    from translation.models import install as install_packages

    paths = _paths(instance_dir, index_url)
    try:
        done = install_packages(paths, languages, _say)
    except TranslationError as exc:
        fail(str(exc))
    click.echo(f"installed {len(done)} package(s); restart the server to use them")


@translation.command("import")
@instance_option
@click.argument("source_path", metavar="PATH", type=click.Path(exists=True, path_type=Path))
@click.option("--from", "source", metavar="CODE", help="OPUS-MT only: source language.")
@click.option("--to", "target", metavar="CODE", help="OPUS-MT only: target language.")
@click.option("--version", "version", default="1.0", show_default=True, help="OPUS-MT only.")
@click.option("--target-prefix", default="", help="OPUS-MT only: token multilingual models need.")
@click.option(
    "--quantization", default="int8", show_default=True, help="OPUS-MT only: weight type."
)
@click.option(
    "--keep-archive",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="OPUS-MT only: also write the .argosmodel here, to install on other servers.",
)
@click.option(
    "--sentence-splitter",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="OPUS-MT only: a MiniSBD .onnx to ship in the package (default: this server's).",
)
def import_model(
    instance_dir: str,
    source_path: Path,
    source: str | None,
    target: str | None,
    version: str,
    target_prefix: str,
    quantization: str,
    keep_archive: Path | None,
    sentence_splitter: Path | None,
) -> None:
    """Install PATH: an .argosmodel file, or an OPUS-MT model folder (with --from, --to).

    An OPUS-MT (Helsinki-NLP Marian) folder holds decoder.yml, the .npz weights, the
    vocabulary and source.spm/target.spm; it is converted to CTranslate2 and packaged.
    This is how an instance adds Kiswahili, which the Argos index does not offer.
    """
    from translation.errors import TranslationError
    from translation.models import import_file, import_opus_mt

    paths = _paths(instance_dir)
    try:
        if source_path.is_dir():
            if not source or not target:
                fail("an OPUS-MT folder needs --from and --to (e.g. --from en --to sw)")
                return
            info = import_opus_mt(
                paths,
                source_path,
                source=source,
                target=target,
                version=version,
                quantization=quantization,
                target_prefix=target_prefix,
                keep_archive_in=keep_archive,
                sentence_splitter=sentence_splitter,
                report=_say,
            )
        else:
            info = import_file(paths, source_path, _say)
    except TranslationError as exc:
        fail(str(exc))
        return
    click.echo(f"installed {info.source}→{info.target} {info.version}")


@translation.command()
@instance_option
@click.argument("source")
@click.argument("target")
def remove(instance_dir: str, source: str, target: str) -> None:
    """Delete the package translating SOURCE to TARGET (e.g. ``remove fr en``)."""
    from translation.errors import TranslationError
    from translation.models import remove as remove_package

    try:
        info = remove_package(_paths(instance_dir), source, target)
    except TranslationError as exc:
        fail(str(exc))
        return
    click.echo(f"removed {info.source}→{info.target} {info.version}; restart the server")


@translation.group()
def keys() -> None:
    """API keys of the LibreTranslate-compatible API ([translation] libretranslate_api).

    A neighbouring server (a Mastodon's LIBRE_TRANSLATE_API_KEY, a Jamii's
    libretranslate_api_key) sends its key as api_key. Keys listed in instance.toml's
    [translation] api_keys work too; keys made here are stored as SHA-256 only.
    """


async def _with_session(config: InstanceConfig, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from fedi.db.engine import create_engine, session_factory

    engine = create_engine(config.database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


@keys.command("add")
@instance_option
@click.argument("name")
def keys_add(instance_dir: str, name: str) -> None:
    """Make a key for NAME (e.g. a neighbour's domain) and print it once."""
    from fedi.cli.database import check_database
    from fedi.domain.translation_keys import add_key
    from fedi.errors import JamiiError

    config = load_or_exit(instance_dir)
    check_database(config, require_migrated=True)
    try:
        key = asyncio.run(_with_session(config, lambda session: add_key(session, name)))
    except JamiiError as exc:
        fail(exc.message)
        return
    click.echo(key)
    if not config.translation.libretranslate_api:
        _say("note: the API is off; set [translation] libretranslate_api = true and restart")


@keys.command("list")
@instance_option
def keys_list(instance_dir: str) -> None:
    """The keys made here (names and dates; the keys themselves are not kept)."""
    from fedi.cli.database import check_database
    from fedi.domain.translation_keys import list_keys

    config = load_or_exit(instance_dir)
    check_database(config, require_migrated=True)
    found = asyncio.run(_with_session(config, list_keys))
    for name, created in found:
        click.echo(f"{name}\t{created}")
    configured = len(config.translation.api_keys)
    if configured:
        click.echo(f"(and {configured} in instance.toml)")
    if not found and not configured:
        click.echo("no keys (jamii translation keys add NAME)")


@keys.command("remove")
@instance_option
@click.argument("name")
def keys_remove(instance_dir: str, name: str) -> None:
    """Revoke NAME's key (at once: keys are checked on every request)."""
    from fedi.cli.database import check_database
    from fedi.domain.translation_keys import remove_key

    config = load_or_exit(instance_dir)
    check_database(config, require_migrated=True)
    if not asyncio.run(_with_session(config, lambda session: remove_key(session, name))):
        fail(f"no key named {name}")
    click.echo(f"removed the key of {name}")
