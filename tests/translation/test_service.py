"""One status, one batched call: HTML content, content warning, media descriptions and poll
options translated by the real Argos engine, with markup, mentions, hashtags, links and code
coming back untouched and the result sanitised again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fedi.domain.html import sanitize_html
from tests.translation.fixtures import TinyPackages
from translation import (
    ArgosEngine,
    EngineChain,
    TextBundle,
    TranslationService,
    UnsupportedPair,
    default_sanitise,
)
from translation.argos_env import ArgosPaths

MENTION = (
    '<span class="h-card"><a href="https://ke.example/@amina" class="u-url mention">'
    "@<span>amina</span></a></span>"
)
HASHTAG = (
    '<a href="https://ke.example/tags/hesabu_bora" class="mention hashtag" rel="tag">'
    "#<span>hesabu_bora</span></a>"
)
LINK = (
    '<a href="https://example.org/lesson_plan.pdf"><span class="invisible">https://</span>'
    "<span>example.org/lesson_plan.pdf</span></a>"
)


@pytest.fixture
async def engine(
    paths: ArgosPaths, tiny: TinyPackages, tmp_path: Path
) -> AsyncIterator[ArgosEngine]:
    folder = tiny.unpack(tmp_path / "packages", ("fr", "en"), ("en", "sw"))
    engine = ArgosEngine(paths, packages_dir=folder)
    await engine.start()
    yield engine
    await engine.close()


async def test_a_whole_status_is_one_batch_and_only_text_changes(engine: ArgosEngine) -> None:
    service = TranslationService(EngineChain([engine]), sanitise=sanitize_html)
    content = sanitize_html(
        f"<p>Bonjour {MENTION}, voici le plan: {LINK}</p>"
        f"<p>Essayez <code>total_eleves = 30</code> avec :sourire: et {HASHTAG}</p>"
    )
    bundle = TextBundle(
        content_html=content,
        spoiler_text="Devoirs de #maths",
        media_descriptions=("Une photo du tableau.", ""),
        poll_options=("Oui", "Non", "Oui"),
    )
    before = engine.batches_run
    out = await service.translate(bundle, "fr", "en")
    assert engine.batches_run == before + 1

    assert out.content_html == sanitize_html(
        f"<p>BONJOUR {MENTION}, VOICI LE PLAN: {LINK}</p>"
        f"<p>ESSAYEZ <code>total_eleves = 30</code> AVEC :sourire: ET {HASHTAG}</p>"
    )
    assert out.content_html == sanitize_html(out.content_html)
    assert out.spoiler_text == "DEVOIRS DE #maths"
    assert out.media_descriptions == ("UNE PHOTO DU TABLEAU.", "")
    assert out.poll_options == ("OUI", "NON", "OUI")
    assert (out.source, out.target, out.engine, out.model_version) == (
        "fr",
        "en",
        "argos",
        "fr-en@1.0",
    )


async def test_a_pivot_pair_translates_a_bundle_through_english(engine: ArgosEngine) -> None:
    service = TranslationService(EngineChain([engine]))
    out = await service.translate(
        TextBundle("<p>Bonne année à tous!</p>", poll_options=("Oui",)), "fr-FR", "SW"
    )
    assert out.content_html == "<p>B0NN3 4NNÉ3 À T0US!</p>"
    assert out.poll_options == ("0UI",)
    assert out.model_version == "fr-en@1.0+en-sw@1.0"


async def test_engine_output_is_sanitised_again(engine: ArgosEngine) -> None:
    # Model output is untrusted: text that reads as markup is escaped, never parsed.
    service = TranslationService(EngineChain([engine]))
    out = await service.translate(
        TextBundle('<p>x &lt;script&gt;alert(1)&lt;/script&gt; <a href="javascript:x">y</a></p>'),
        "fr",
        "en",
    )
    assert "<script>" not in out.content_html
    assert "javascript:" not in out.content_html
    assert "X &lt;SCRIPT&gt;ALERT(1)&lt;/SCRIPT&gt;" in out.content_html


async def test_unsupported_and_same_language_pairs_are_refused(engine: ArgosEngine) -> None:
    service = TranslationService(EngineChain([engine]))
    with pytest.raises(UnsupportedPair, match="available pairs: en→sw, fr→en, fr→sw"):
        await service.translate(TextBundle("<p>Hujambo</p>"), "sw", "fr")
    with pytest.raises(UnsupportedPair):
        await service.translate(TextBundle("<p>Bonjour</p>"), "fr", "fr")
    # Nothing to translate still checks the pair, and costs no batch.
    before = engine.batches_run
    out = await service.translate(TextBundle(f"<p>{MENTION} 🙂</p>"), "fr", "en")
    assert out.content_html == default_sanitise(f"<p>{MENTION} 🙂</p>")
    assert engine.batches_run == before
    with pytest.raises(UnsupportedPair):
        await service.translate(TextBundle(f"<p>{MENTION}</p>"), "pt", "en")
