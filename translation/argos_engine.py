"""Argos Translate in-process: argostranslate's packages, sentence splitter and tokenizer,
CTranslate2 models, run in a thread pool with batches across requests.

Jamii uses argostranslate's pieces rather than its ``translate()``: that function translates
one text at a time (one CTranslate2 call per paragraph, beam 4), keeps global caches that
installs do not clear, and stops working altogether when one package folder is broken. Here
each language pair is a route of one or two *legs* (a package each; two when pivoting through
English), every leg translates a whole batch of texts in one ``translate_batch`` call, and a
package that fails its warm-up is reported and left out while the others keep working.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from translation.argos_env import Argos, ArgosPaths, load_argos
from translation.batching import Batcher
from translation.engine import EngineReport
from translation.errors import EngineUnavailable, Pair, UnsupportedPair
from translation.packages import PackageInfo, find_routes, scan_packages, splitter_model

log = logging.getLogger(__name__)

WARM_UP_TEXT = "Hello. How are you?"
# CTranslate2 stops at 256 tokens unless told otherwise; a long sentence gets room to finish.
_MAX_DECODING_LENGTH = 1024


@dataclass(frozen=True)
class ArgosOptions:
    """Knobs of the in-process engine (measured defaults: see docs/translation.md)."""

    workers: int = 1  # batches translated at once (threads)
    intra_threads: int = 1  # CTranslate2 threads per batch
    beam_size: int = 1  # greedy; Argos's default of 4 costs more for a small gain
    compute_type: str = "auto"  # the model's own type where the CPU supports it (int8)
    max_batch_texts: int = 64  # fragments per batch
    max_queued_texts: int = 5000  # beyond this, callers get EngineUnavailable (busy)
    timeout: float = 60.0  # seconds a caller waits, queueing included
    max_loaded_models: int = 4  # ~150 MB each for real models
    warm_up: bool = True
    pivots: tuple[str, ...] = ("en",)


class _Models:
    """CTranslate2 translators, loaded on first use, least recently used unloaded first."""

    def __init__(self, options: ArgosOptions) -> None:
        self._options = options
        self._loaded: OrderedDict[Path, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, model_dir: Path) -> Any:
        import ctranslate2

        with self._lock:
            translator = self._loaded.get(model_dir)
            if translator is not None:
                self._loaded.move_to_end(model_dir)
                return translator
            translator = ctranslate2.Translator(
                str(model_dir),
                device="cpu",
                compute_type=self._options.compute_type,
                inter_threads=1,
                intra_threads=self._options.intra_threads,
            )
            self._loaded[model_dir] = translator
            while len(self._loaded) > max(1, self._options.max_loaded_models):
                self._loaded.popitem(last=False)
            return translator

    def unload_all(self) -> None:
        with self._lock:
            self._loaded.clear()


class _Leg:
    """One installed package, ready to translate batches of plain-text fragments."""

    def __init__(self, argos: Argos, info: PackageInfo, models: _Models, beam: int) -> None:
        self.info = info
        self._models = models
        self._beam = beam
        self.package = argos.package.Package(info.path)
        if getattr(self.package, "tokenizer", None) is None:
            raise ValueError("package has no tokenizer")
        self.sentencizer = argos.sbd.MiniSBDSentencizer(self.package)
        self.target_prefix: str = getattr(self.package, "target_prefix", "") or ""

    def translate(self, texts: Sequence[str]) -> list[str]:
        tokenizer = self.package.tokenizer
        sentences: list[list[str]] = []
        owners: list[tuple[int, int]] = []  # (text, paragraph) of each sentence
        layouts: list[list[str]] = []
        for text_index, text in enumerate(texts):
            paragraphs = text.split("\n")
            layouts.append(paragraphs)
            for paragraph_index, paragraph in enumerate(paragraphs):
                if not paragraph.strip():
                    continue
                for sentence in self.sentencizer.split_sentences(paragraph):
                    tokens = tokenizer.encode(sentence)
                    if tokens:
                        sentences.append(tokens)
                        owners.append((text_index, paragraph_index))
        if not sentences:
            return list(texts)
        prefix = [[self.target_prefix]] * len(sentences) if self.target_prefix else None
        longest = max(len(tokens) for tokens in sentences)
        results = self._models.get(self.info.path / "model").translate_batch(
            sentences,
            target_prefix=prefix,
            beam_size=self._beam,
            max_batch_size=64,
            replace_unknowns=True,
            max_decoding_length=min(_MAX_DECODING_LENGTH, 2 * longest + 16),
        )
        pieces: dict[tuple[int, int], list[str]] = {}
        for owner, result in zip(owners, results, strict=True):
            hypothesis = list(result.hypotheses[0])
            if self.target_prefix and hypothesis[:1] == [self.target_prefix]:
                hypothesis = hypothesis[1:]
            pieces.setdefault(owner, []).extend(hypothesis)
        translated: list[str] = []
        for text_index, paragraphs in enumerate(layouts):
            out = []
            for paragraph_index, paragraph in enumerate(paragraphs):
                tokens = pieces.get((text_index, paragraph_index))
                out.append(paragraph if tokens is None else tokenizer.decode(tokens).strip())
            translated.append("\n".join(out))
        return translated


class ArgosEngine:
    """The in-process engine. ``start()`` must run before ``translate_texts``."""

    name = "argos"

    def __init__(
        self,
        paths: ArgosPaths,
        options: ArgosOptions | None = None,
        *,
        packages_dir: Path | None = None,
    ) -> None:
        self.paths = paths
        self.options = options or ArgosOptions()
        # Tests and tools may read another folder; the server reads the instance's.
        self.packages_dir = packages_dir or paths.packages
        self._models = _Models(self.options)
        self._legs: dict[Pair, _Leg] = {}
        self._routes: dict[Pair, tuple[Pair, ...]] = {}
        self._report = EngineReport(self.name, frozenset(), ("not started",))
        self._executor: ThreadPoolExecutor | None = None
        self._batcher: Batcher[Pair] | None = None

    @property
    def report(self) -> EngineReport:
        return self._report

    async def start(self) -> EngineReport:
        """Load argostranslate, check every package (warm-up), and open the worker pool."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=max(1, self.options.workers), thread_name_prefix="jamii-translate"
            )
        self._batcher = Batcher(
            self.name,
            self._run,
            self._executor,
            slots=self.options.workers,
            max_batch=self.options.max_batch_texts,
            max_queued=self.options.max_queued_texts,
            timeout=self.options.timeout,
        )
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._load)

    async def reload(self) -> EngineReport:
        """Read the packages folder again (after ``jamii translation install``)."""
        self._models.unload_all()
        return await self.start()

    async def close(self) -> None:
        if self._executor is not None:
            executor, self._executor = self._executor, None
            await asyncio.get_running_loop().run_in_executor(None, executor.shutdown)
        self._models.unload_all()

    def _load(self) -> EngineReport:
        argos = load_argos(self.paths)
        legs: dict[Pair, _Leg] = {}
        problems: list[str] = []
        splitters = Path(argos.sbd.minisbd_models.cache_dir)
        for info in scan_packages(self.packages_dir):
            if not info.ok:
                problems.append(info.describe())
                continue
            splitter = splitter_model(info.source)
            if (
                not any((info.path / "minisbd").glob("*.onnx"))
                and not (splitters / f"{splitter}.onnx").is_file()
            ):
                # MiniSBD would download it on first use: never from a starting server.
                problems.append(
                    info.broken(
                        f"sentence splitter for {splitter} not downloaded "
                        "(run `jamii translation install` with network access)"
                    ).describe()
                )
                continue
            try:
                leg = _Leg(argos, info, self._models, self.options.beam_size)
                if self.options.warm_up:
                    leg.translate([WARM_UP_TEXT])
            except Exception as exc:  # any failure costs this package only
                problems.append(info.broken(_explain(exc)).describe())
                continue
            legs[info.pair] = leg
        self._legs = legs
        self._routes = find_routes(set(legs), self.options.pivots)
        self._report = EngineReport(self.name, frozenset(self._routes), tuple(problems))
        for problem in problems:
            log.warning("translation package unusable: %s", problem)
        return self._report

    async def available_pairs(self) -> frozenset[Pair]:
        return frozenset(self._routes)

    def route(self, source: str, target: str) -> tuple[Pair, ...]:
        try:
            return self._routes[(source, target)]
        except KeyError:
            raise UnsupportedPair(source, target, self._routes) from None

    def model_version(self, source: str, target: str) -> str:
        legs = [self._legs[pair].info for pair in self.route(source, target)]
        return "+".join(f"{info.source}-{info.target}@{info.version or '0'}" for info in legs)

    async def translate_texts(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        self.route(source, target)
        if self._batcher is None or self._executor is None:
            raise EngineUnavailable(self.name, "engine not started or closed")
        return await self._batcher.submit((source, target), texts)

    def _run(self, pair: Pair, texts: list[str]) -> list[str]:
        current = texts
        for leg_pair in self.route(*pair):
            current = self._legs[leg_pair].translate(current)
        return current

    @property
    def batches_run(self) -> int:
        return self._batcher.batches_run if self._batcher else 0


def _explain(exc: Exception) -> str:
    # Library messages may quote text; these are our own warm-up text or file names, but
    # keep them short and typed.
    message = str(exc).splitlines()[0] if str(exc) else ""
    return f"failed to load or translate ({type(exc).__name__}: {message[:200]})"
