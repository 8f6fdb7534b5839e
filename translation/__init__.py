"""Machine translation for Jamii (usable on its own: never imports ``fedi``).

The pieces, from the top: ``TranslationService.translate(TextBundle, source, target)`` cuts
a status into text fragments and markup (``markup``), sends every fragment of the status in
one call to an ``EngineChain`` of engines (``ArgosEngine`` in-process with batching across
requests, ``LibreTranslateEngine`` over HTTP), and puts the status back together, sanitised.
``models`` lists, installs and imports model packages. argostranslate is imported lazily, with
its folders set first (``argos_env``). See docs/translation.md.
"""

from translation.argos_engine import ArgosEngine, ArgosOptions
from translation.argos_env import ArgosPaths
from translation.bundle import TextBundle, TranslatedBundle
from translation.chain import EngineChain
from translation.engine import Engine, EngineReport
from translation.errors import (
    EngineUnavailable,
    ModelError,
    TranslationError,
    TranslationTimeout,
    UnsupportedPair,
)
from translation.libretranslate import LibreTranslateEngine, LibreTranslateOptions
from translation.service import TranslationService, default_sanitise
from translation.settings import TranslationSettings, build_service

__all__ = [
    "ArgosEngine",
    "ArgosOptions",
    "ArgosPaths",
    "Engine",
    "EngineChain",
    "EngineReport",
    "EngineUnavailable",
    "LibreTranslateEngine",
    "LibreTranslateOptions",
    "ModelError",
    "TextBundle",
    "TranslatedBundle",
    "TranslationError",
    "TranslationService",
    "TranslationSettings",
    "TranslationTimeout",
    "UnsupportedPair",
    "build_service",
    "default_sanitise",
]
