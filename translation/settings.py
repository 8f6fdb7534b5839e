"""An instance's translation set-up in one place, and the service built from it.

These are the knobs an instance's ``[translation]`` table will carry once fedi wires
translation in (names chosen to match; docs/translation.md lists them). fedi builds its
service with ``build_service(settings, config.data_dir, sanitise=sanitize_html)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from translation.argos_engine import ArgosEngine, ArgosOptions
from translation.argos_env import DEFAULT_INDEX_URL, ArgosPaths
from translation.chain import EngineChain
from translation.engine import Engine
from translation.libretranslate import LibreTranslateEngine, LibreTranslateOptions
from translation.service import Sanitiser, TranslationService, default_sanitise

ENGINES = ("argos", "libretranslate")


@dataclass(frozen=True)
class TranslationSettings:
    engines: tuple[str, ...] = ("argos",)  # in order of preference
    index_url: str = DEFAULT_INDEX_URL
    workers: int = 1
    intra_threads: int = 1
    beam_size: int = 1
    max_batch: int = 64
    max_queued: int = 5000
    timeout: float = 60.0
    max_loaded_models: int = 4
    libretranslate_url: str = ""
    libretranslate_api_key: str = ""
    libretranslate_timeout: float = 30.0

    def problems(self) -> list[str]:
        """What is wrong with these settings, one line each (empty when usable)."""
        found = []
        if not self.engines:
            found.append("engines: name at least one of argos, libretranslate")
        for name in self.engines:
            if name not in ENGINES:
                found.append(f"engines: unknown engine {name!r} (known: {', '.join(ENGINES)})")
        if len(set(self.engines)) != len(self.engines):
            found.append("engines: an engine is listed twice")
        if "libretranslate" in self.engines and not self.libretranslate_url.startswith(
            ("http://", "https://")
        ):
            found.append("libretranslate_url: an http(s) URL is needed for libretranslate")
        for name in ("workers", "intra_threads", "beam_size", "max_batch", "max_queued"):
            if getattr(self, name) < 1:
                found.append(f"{name}: must be at least 1")
        for name in ("timeout", "libretranslate_timeout"):
            if getattr(self, name) <= 0:
                found.append(f"{name}: must be more than 0 seconds")
        return found


def build_engines(
    settings: TranslationSettings, data_dir: Path, models_dir: Path | None = None
) -> list[Engine]:
    """The engines of ``settings``; Argos models in ``models_dir`` (default
    ``<data_dir>/translation``)."""
    problems = settings.problems()
    if problems:
        raise ValueError("; ".join(problems))
    engines: list[Engine] = []
    for name in settings.engines:
        if name == "argos":
            options = ArgosOptions(
                workers=settings.workers,
                intra_threads=settings.intra_threads,
                beam_size=settings.beam_size,
                max_batch_texts=settings.max_batch,
                max_queued_texts=settings.max_queued,
                timeout=settings.timeout,
                max_loaded_models=settings.max_loaded_models,
            )
            paths = (
                ArgosPaths(models_dir, settings.index_url)
                if models_dir is not None
                else ArgosPaths.for_data_dir(data_dir, settings.index_url)
            )
            engines.append(ArgosEngine(paths, options))
        else:
            engines.append(
                LibreTranslateEngine(
                    LibreTranslateOptions(
                        settings.libretranslate_url,
                        api_key=settings.libretranslate_api_key,
                        timeout=settings.libretranslate_timeout,
                    )
                )
            )
    return engines


def build_service(
    settings: TranslationSettings,
    data_dir: Path,
    sanitise: Sanitiser = default_sanitise,
    *,
    models_dir: Path | None = None,
) -> TranslationService:
    """The service for one instance; call ``await service.start()`` (it returns the
    availability report of every engine) before translating."""
    return TranslationService(EngineChain(build_engines(settings, data_dir, models_dir)), sanitise)
