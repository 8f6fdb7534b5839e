"""Translation throughput: the service (markup, Argos engine, worker pool, batching) beside
raw CTranslate2 ``translate_batch`` on the same model, same sentences, same run.

    python -m benchmarks.translation [--posts 60] [--rounds 3] [--layers 6] [--d-model 256]
        [--workers 1] [--max-batch 64] [--json PATH]

No real model can be downloaded here, so the model is built on the spot with
``tests/translation/tinymodels.py``: a real Argos package (character SentencePiece, MiniSBD
ONNX splitter, CTranslate2 Transformer) of a realistic shape, 6+6 layers, d_model 256, FFN
1024, int8, greedy. Its weights make it copy (upper-case) the source, but every layer
computes as a trained one would; sentences are character-level, so ~4× longer in tokens than
with a real subword model, which makes both sides slower alike.

Rounds are interleaved (raw, engine, service, raw, ...) and ratios use medians. Both wall
clock and the process's CPU time are reported; the target (the service at ≥ 80 % of raw)
is judged on CPU time, which neighbours on a shared machine do not move. See
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from benchmarks.report import Report, add_json_option
from tests.translation.tinymodels import build_argosmodel
from translation import ArgosEngine, ArgosOptions, ArgosPaths, EngineChain, TextBundle
from translation.argos_env import load_argos
from translation.models import import_file
from translation.service import TranslationService

TARGET = 0.80
_TEXT = (
    "the class learned fractions today and every pupil shared a drawing of the lesson "
    "teachers in our school plan reading groups with parents before the exam week while "
    "science projects about water and plants gave the learners new questions for tomorrow"
)
_WORDS = _TEXT.split(" ")


def make_posts(count: int, seed: int = 11) -> list[list[str]]:
    """Posts of one to three sentences of 4 to 9 words (about 40 characters: as many
    character tokens as a real subword model gives a sentence of 25 words)."""
    rng = random.Random(seed)
    posts = []
    for _ in range(count):
        sentences = []
        for _ in range(rng.randint(1, 3)):
            words = [rng.choice(_WORDS) for _ in range(rng.randint(4, 9))]
            sentences.append(" ".join(words).capitalize() + rng.choice(".!?"))
        posts.append(sentences)
    return posts


async def main(args: argparse.Namespace) -> None:
    import ctranslate2
    import sentencepiece

    report = Report("Translation: service vs raw CTranslate2")
    report.machine(ctranslate2=ctranslate2.__version__)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        started = time.perf_counter()
        archive = build_argosmodel(
            root / "built",
            "en",
            "fr",
            layers=args.layers,
            d_model=args.d_model,
            ffn=4 * args.d_model,
        )
        paths = ArgosPaths(root / "argos")
        load_argos(paths)
        info = import_file(paths, archive)
        report.fact(
            "model",
            f"{args.layers}+{args.layers} layers, d_model {args.d_model}, FFN {4 * args.d_model},"
            f" int8, greedy, built and installed in {time.perf_counter() - started:.1f} s",
        )
        options = ArgosOptions(
            workers=args.workers,
            intra_threads=1,
            compute_type="int8",
            max_batch_texts=args.max_batch,
            timeout=600,
        )
        engine = ArgosEngine(paths, options)
        await engine.start()
        service = TranslationService(EngineChain([engine]))

        posts = make_posts(args.posts)
        sentences = [s for post in posts for s in post]
        texts = [" ".join(post) for post in posts]
        bundles = [TextBundle(f"<p>{text}</p>") for text in texts]
        pieces = sentencepiece.SentencePieceProcessor(
            model_file=str(info.path / "sentencepiece.model")
        )
        tokenized = [pieces.encode(s, out_type=str) for s in sentences]
        raw = ctranslate2.Translator(
            str(info.path / "model"), device="cpu", compute_type="int8", intra_threads=1
        )
        report.fact(
            "workload",
            f"{len(posts)} posts, {len(sentences)} sentences, "
            f"{sum(map(len, tokenized)) / len(tokenized):.0f} tokens per sentence on average",
        )

        def run_raw() -> None:
            raw.translate_batch(
                tokenized, beam_size=1, max_batch_size=args.max_batch, replace_unknowns=True
            )

        async def run_engine() -> None:
            await asyncio.gather(*(engine.translate_texts([t], "en", "fr") for t in texts))

        async def run_service() -> None:
            await asyncio.gather(*(service.translate(b, "en", "fr") for b in bundles))

        # An untimed start for each: model loaded, caches warm (the engine warmed up at start).
        raw.translate_batch(tokenized[:8], beam_size=1)
        await asyncio.gather(*(service.translate(b, "en", "fr") for b in bundles[:8]))
        timings: dict[str, list[float]] = {"raw": [], "engine": [], "service": []}
        cpu: dict[str, list[float]] = {"raw": [], "engine": [], "service": []}

        async def timed(name: str, run: Callable[[], Awaitable[None]]) -> None:
            wall, used = time.perf_counter(), time.process_time()
            await run()
            timings[name].append(time.perf_counter() - wall)
            cpu[name].append(time.process_time() - used)

        async def raw_async() -> None:
            run_raw()

        for _ in range(args.rounds):
            await timed("raw", raw_async)
            await timed("engine", run_engine)
            await timed("service", run_service)

        # One post at a time: what batching across requests buys.
        one_by_one = []
        for bundle in bundles[:8]:
            clock = time.perf_counter()
            await service.translate(bundle, "en", "fr")
            one_by_one.append(time.perf_counter() - clock)
        await engine.close()

    rates = {name: len(sentences) / statistics.median(t) for name, t in timings.items()}
    cpu_rates = {name: len(sentences) / statistics.median(t) for name, t in cpu.items()}
    section = report.section("Sentences per second (median of rounds)")
    for name, label in (
        ("raw", "raw ctranslate2 translate_batch, pre-tokenized"),
        ("engine", "ArgosEngine.translate_texts, one request per post, all at once"),
        ("service", "TranslationService.translate, one HTML bundle per post, all at once"),
    ):
        section.lines.append(
            f"{label}: {rates[name]:,.0f} sentences/s "
            f"({cpu_rates[name]:,.0f} per CPU-second of the process)"
        )
    sequential_rate = sum(len(p) for p in posts[: len(one_by_one)]) / sum(one_by_one)
    section.lines.append(
        f"service, one post at a time: {sequential_rate:,.0f} sentences/s, "
        f"p50 {statistics.median(one_by_one) * 1000:.1f} ms per post"
    )
    for name in ("engine", "service"):
        ratio = rates[name] / rates["raw"]
        cpu_ratio = cpu_rates[name] / cpu_rates["raw"]
        # Neighbours on a shared machine move wall-clock ratios by ±20 %; the CPU time this
        # process spent is what the service costs, and it is stable: it decides.
        ok = cpu_ratio >= TARGET
        section.lines.append(
            f"{name} / raw = {ratio:.0%} wall clock, {cpu_ratio:.0%} CPU time "
            f"(target ≥ {TARGET:.0%}) {'meets target' if ok else 'misses target'}"
        )
        section.checks.append(
            {
                "measured": name,
                "baseline": "raw",
                "ratio": round(ratio, 3),
                "cpu_ratio": round(cpu_ratio, 3),
                "meets": ok,
            }
        )
    section.print()
    if args.json:
        report.write(args.json)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--d-model", type=int, default=256)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--max-batch", type=int, default=64)
    add_json_option(parser)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
