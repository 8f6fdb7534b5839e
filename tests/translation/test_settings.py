"""Building an instance's service from its settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.translation.fixtures import TinyPackages
from translation import (
    ArgosEngine,
    LibreTranslateEngine,
    TextBundle,
    TranslationSettings,
    build_service,
)
from translation.argos_env import ArgosPaths
from translation.models import import_file


def test_bad_settings_are_listed_together() -> None:
    settings = TranslationSettings(
        engines=("argos", "deepl", "libretranslate"), workers=0, timeout=0
    )
    assert settings.problems() == [
        "engines: unknown engine 'deepl' (known: argos, libretranslate)",
        "libretranslate_url: an http(s) URL is needed for libretranslate",
        "workers: must be at least 1",
        "timeout: must be more than 0 seconds",
    ]
    with pytest.raises(ValueError, match="unknown engine 'deepl'"):
        build_service(settings, Path("/nonexistent"))


async def test_the_instance_s_service_reads_its_data_dir(
    paths: ArgosPaths, tiny: TinyPackages
) -> None:
    # The test process's argostranslate lives in paths.root = <data_dir>/translation.
    import_file(paths, tiny.archive("en", "fr"))
    data_dir = paths.root.parent
    assert paths.root == data_dir / "translation"
    service = build_service(
        TranslationSettings(
            engines=("argos", "libretranslate"),
            index_url=paths.index_url,
            libretranslate_url="http://127.0.0.1:9",
        ),
        data_dir,
    )
    engines = service.chain.engines
    assert [type(e) for e in engines] == [ArgosEngine, LibreTranslateEngine]
    reports = await service.start()
    try:
        assert ("en", "fr") in reports[0].pairs
        assert reports[1].pairs == frozenset()
        assert "cannot reach" in reports[1].problems[0]
        out = await service.translate(TextBundle("<p>Welcome!</p>"), "en", "fr")
        assert (out.content_html, out.engine) == ("<p>WELCOME!</p>", "argos")
    finally:
        await service.close()
