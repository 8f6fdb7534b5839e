"""The Argos engine on real argostranslate packages: direct and pivot pairs, batching,
timeouts, broken packages, and logs that never hold a teacher's text."""

from __future__ import annotations

import asyncio
import logging
import shutil
import threading
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests.translation.fixtures import TinyPackages
from tests.translation.tinymodels import build_argosmodel
from translation import models
from translation.argos_engine import ArgosEngine, ArgosOptions
from translation.argos_env import Argos, ArgosPaths, load_argos
from translation.errors import (
    ArgosConfigurationError,
    EngineUnavailable,
    TranslationTimeout,
    UnsupportedPair,
)

EngineFactory = Callable[..., Awaitable[ArgosEngine]]


@pytest.fixture
async def make_engine(
    paths: ArgosPaths, tiny: TinyPackages, tmp_path: Path
) -> AsyncIterator[EngineFactory]:
    engines: list[ArgosEngine] = []

    async def make(*pairs: tuple[str, str], **options: object) -> ArgosEngine:
        folder = tiny.unpack(tmp_path / f"packages-{len(engines)}", *pairs)
        engine = ArgosEngine(paths, ArgosOptions(**options), packages_dir=folder)  # type: ignore[arg-type]
        engines.append(engine)
        await engine.start()
        return engine

    yield make
    for engine in engines:
        await engine.close()


async def test_direct_pair_translates_every_sentence_and_paragraph(
    make_engine: EngineFactory,
) -> None:
    engine = await make_engine(("fr", "en"))
    out = await engine.translate_texts(
        ["Bonjour à tous. Ça va? Oui!", "Première ligne.\n\nTroisième ligne."], "fr", "en"
    )
    assert out == ["BONJOUR À TOUS. ÇA VA? OUI!", "PREMIÈRE LIGNE.\n\nTROISIÈME LIGNE."]
    assert engine.model_version("fr", "en") == "fr-en@1.0"


async def test_pivot_through_english_runs_both_legs(make_engine: EngineFactory) -> None:
    engine = await make_engine(("fr", "en"), ("en", "sw"))
    assert await engine.available_pairs() == {("fr", "en"), ("en", "sw"), ("fr", "sw")}
    assert engine.route("fr", "sw") == (("fr", "en"), ("en", "sw"))
    # fr→en upper-cases; en→sw also writes A, E, O as 4, 3, 0.
    assert await engine.translate_texts(["Bonjour le monde."], "fr", "sw") == ["B0NJ0UR L3 M0ND3."]
    assert engine.model_version("fr", "sw") == "fr-en@1.0+en-sw@1.0"


async def test_an_unsupported_pair_names_the_available_ones(make_engine: EngineFactory) -> None:
    engine = await make_engine(("fr", "en"), ("en", "sw"))
    with pytest.raises(UnsupportedPair) as caught:
        await engine.translate_texts(["Hello."], "sw", "fr")
    assert caught.value.available == {("fr", "en"), ("en", "sw"), ("fr", "sw")}
    assert "en→sw, fr→en, fr→sw" in str(caught.value)


async def test_concurrent_requests_share_batches(make_engine: EngineFactory) -> None:
    engine = await make_engine(("en", "fr"), workers=1, max_batch_texts=64)
    sentences = [f"Lesson {n} is about fractions." for n in range(40)]
    results = await asyncio.gather(
        *(engine.translate_texts([sentence], "en", "fr") for sentence in sentences)
    )
    assert [result[0] for result in results] == [s.upper() for s in sentences]
    # The first request ran alone; the 39 that queued meanwhile went in one batch.
    assert engine.batches_run == 2


async def test_batches_are_capped_and_keep_each_caller_s_order(
    make_engine: EngineFactory,
) -> None:
    engine = await make_engine(("en", "fr"), workers=1, max_batch_texts=5)
    requests = [[f"Post {n} line {i}." for i in range(3)] for n in range(6)]
    results = await asyncio.gather(*(engine.translate_texts(r, "en", "fr") for r in requests))
    assert results == [[text.upper() for text in r] for r in requests]
    # 3 texts per request, at most 5 per batch (a request is never split): 6 batches.
    assert engine.batches_run == 6


async def test_a_slow_engine_times_out_and_then_recovers(make_engine: EngineFactory) -> None:
    engine = await make_engine(("en", "fr"), workers=1, timeout=1.0)
    assert engine._executor is not None
    release = threading.Event()
    # Occupy the only worker thread, as a long translation would.
    blocker = asyncio.get_running_loop().run_in_executor(engine._executor, release.wait, 10)
    with pytest.raises(TranslationTimeout) as caught:
        await engine.translate_texts(["Hello."], "en", "fr")
    assert isinstance(caught.value, EngineUnavailable)
    assert caught.value.retry_after >= 1
    release.set()
    await blocker
    assert await engine.translate_texts(["Hello."], "en", "fr") == ["HELLO."]


async def test_a_full_queue_answers_busy(make_engine: EngineFactory) -> None:
    engine = await make_engine(("en", "fr"), workers=1, max_queued_texts=3)
    with pytest.raises(EngineUnavailable, match="too many translations waiting"):
        await engine.translate_texts(["One.", "Two.", "Three.", "Four."], "en", "fr")


async def test_broken_packages_are_reported_and_the_rest_keeps_working(
    make_engine: EngineFactory, paths: ArgosPaths, tiny: TinyPackages, tmp_path: Path
) -> None:
    folder = tiny.unpack(tmp_path / "mixed", ("fr", "en"), ("en", "pt"), ("pt", "en"))
    (folder / "stray-folder").mkdir()  # no metadata.json: breaks argostranslate itself
    (folder / "translate-en_pt-1_0" / "model" / "model.bin").write_bytes(b"not a model")
    shutil.rmtree(folder / "translate-pt_en-1_0" / "minisbd")  # would download, offline
    (folder / "translate-pt_en-1_0" / "sentencepiece.model").unlink()
    engine = ArgosEngine(paths, packages_dir=folder)
    try:
        report = await engine.start()
        assert report.pairs == {("fr", "en")}
        assert len(report.problems) == 3
        problems = "\n".join(report.problems)
        assert "stray-folder): BROKEN: no metadata.json" in problems
        assert "en→pt 1.0 (translate-en_pt-1_0): BROKEN: failed to load" in problems
        assert "pt→en 1.0 (translate-pt_en-1_0): BROKEN: no sentencepiece.model" in problems
        assert await engine.translate_texts(["Merci."], "fr", "en") == ["MERCI."]
    finally:
        await engine.close()


async def test_no_translated_text_reaches_the_logs(
    make_engine: EngineFactory, argos: Argos, caplog: pytest.LogCaptureFixture, tiny: TinyPackages
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "Mwanafunzi wangu ana shida nyumbani."
    engine = await make_engine(("sw", "en"))
    assert await engine.translate_texts([secret], "sw", "en") == [secret.upper()]
    # argostranslate's own translate() logs every sentence at INFO unless silenced.
    models.import_file(argos.paths, tiny.archive("sw", "en"))
    assert argos.translate.translate(secret, "sw", "en") == secret.upper()
    assert logging.getLogger("argostranslate.utils").getEffectiveLevel() >= logging.WARNING
    for text in (secret, secret.upper(), "Mwanafunzi", "MWANAFUNZI"):
        assert text not in caplog.text


async def test_our_pipeline_agrees_with_argostranslate_s_own(
    make_engine: EngineFactory, argos: Argos, tiny: TinyPackages
) -> None:
    for pair in (("fr", "en"), ("en", "sw")):
        models.import_file(argos.paths, tiny.archive(*pair))
    text = "Le cours commence à huit heures. Apportez vos cahiers!"
    ours = await (await make_engine(("fr", "en"), ("en", "sw"))).translate_texts([text], "fr", "sw")
    # argostranslate's get_installed_languages() builds the same fr→en→sw composite.
    assert ours == [argos.translate.translate(text, "fr", "sw")]


def test_argos_is_configured_once_per_process(argos: Argos, tmp_path: Path) -> None:
    assert load_argos(argos.paths) is argos
    assert Path(argos.settings.package_data_dir) == argos.paths.packages
    with pytest.raises(ArgosConfigurationError, match="already configured"):
        load_argos(ArgosPaths(tmp_path / "elsewhere", argos.paths.index_url))


async def test_a_missing_sentence_splitter_is_reported_not_downloaded_at_start(
    paths: ArgosPaths, tiny: TinyPackages, tmp_path: Path
) -> None:
    folder = tiny.unpack(tmp_path / "packages", ("en", "fr"))
    archive = build_argosmodel(tmp_path / "built", "de", "en", with_minisbd=False)
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(folder)
    assert not (paths.minisbd_cache / "de.onnx").exists()
    engine = ArgosEngine(paths, packages_dir=folder)
    try:
        report = await engine.start()
        assert report.pairs == {("en", "fr")}
        assert report.problems == (
            "de→en 1.0 (translate-de_en-1_0): BROKEN: sentence splitter for de not downloaded "
            "(run `jamii translation install` with network access)",
        )
    finally:
        await engine.close()


async def test_reload_picks_up_new_packages_and_a_closed_engine_says_so(
    paths: ArgosPaths, tiny: TinyPackages, tmp_path: Path
) -> None:
    folder = tiny.unpack(tmp_path / "packages", ("en", "fr"))
    engine = ArgosEngine(paths, packages_dir=folder)
    await engine.start()
    assert await engine.available_pairs() == {("en", "fr")}
    tiny.unpack(folder, ("fr", "en"))
    report = await engine.reload()
    assert report.pairs == {("en", "fr"), ("fr", "en")}
    assert await engine.translate_texts(["Salut."], "fr", "en") == ["SALUT."]
    await engine.close()
    with pytest.raises(EngineUnavailable, match="not started or closed"):
        await engine.translate_texts(["Salut."], "fr", "en")


async def test_a_library_error_quoting_the_text_stays_out_of_logs_and_errors(
    make_engine: EngineFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "Mtoto huyu anahitaji msaada."
    engine = await make_engine(("sw", "en"))

    def split_sentences(text: str) -> list[str]:
        # MiniSBD's own errors quote the surrounding text, like this one.
        raise ValueError(f"Could not find |{text}|")

    engine._legs[("sw", "en")].sentencizer.split_sentences = split_sentences
    with pytest.raises(EngineUnavailable, match=r"translation failed \(ValueError\)") as caught:
        await engine.translate_texts([secret], "sw", "en")
    assert secret not in str(caught.value)
    assert "translation batch failed: ValueError" in caplog.text
    assert secret not in caplog.text
