"""Shared reporting: time callables, summarise, and print each figure beside its baseline.

Measured and baseline callables are timed in interleaved rounds (A, B, C, A, B, C, ...) so a
noisy neighbour slows both alike and the ratio stays stable even when absolute times do not.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

Call = Callable[[int], Awaitable[object]]  # called with the request's index


@dataclass(frozen=True)
class Stats:
    label: str
    samples: tuple[float, ...]  # seconds

    def _cut(self, percent: int) -> float:
        if len(self.samples) == 1:
            return self.samples[0]
        return statistics.quantiles(self.samples, n=100, method="inclusive")[percent - 1]

    @property
    def p50(self) -> float:
        return self._cut(50)

    @property
    def p90(self) -> float:
        return self._cut(90)

    @property
    def p99(self) -> float:
        return self._cut(99)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples)

    @property
    def ops(self) -> float:
        return 1 / self.mean

    def figures(self) -> dict[str, float]:
        ms = {k: round(getattr(self, k) * 1000, 4) for k in ("p50", "p90", "p99", "mean")}
        return {f"{k}_ms": v for k, v in ms.items()} | {"ops_per_s": round(self.ops, 1)}


async def measure(calls: Mapping[str, Call], n: int, warmup: int, rounds: int = 4) -> list[Stats]:
    """Time each call ``n`` times after ``warmup`` untimed calls, interleaved in rounds.

    Every call sees the same indices 0..n-1, so measured and baseline serve the same requests.
    """
    for call in calls.values():
        for i in range(warmup):
            await call(n + i)
    samples: dict[str, list[float]] = {label: [] for label in calls}
    bounds = [n * r // rounds for r in range(rounds + 1)]
    clock = time.perf_counter
    for r in range(rounds):
        for label, call in calls.items():
            out = samples[label]
            for i in range(bounds[r], bounds[r + 1]):
                started = clock()
                await call(i)
                out.append(clock() - started)
    return [Stats(label, tuple(values)) for label, values in samples.items()]


def ms(seconds: float) -> str:
    value = seconds * 1000
    digits = 3 if value < 1 else 2 if value < 10 else 1
    return f"{value:.{digits}f} ms"


def verdict(ok: bool) -> str:
    return "meets target" if ok else "misses target"


@dataclass
class Section:
    title: str
    rows: list[Stats] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)

    def compare(self, measured: Stats, baseline: Stats, target: float | None = None) -> None:
        """One line: the measured figure, its baseline and their p50 ratio (against a target)."""
        ratio = measured.p50 / baseline.p50
        goal = f" (target ≤ {target:g}×) {verdict(ratio <= target)}" if target else ""
        self.lines.append(
            f"{measured.label}  p50 {ms(measured.p50)}  p99 {ms(measured.p99)} | "
            f"{baseline.label} p50 {ms(baseline.p50)} | ratio {ratio:.2f}×{goal}"
        )
        self.checks.append(
            {"measured": measured.label, "baseline": baseline.label, "ratio": round(ratio, 3)}
            | ({"target_ratio": target, "meets": ratio <= target} if target else {})
        )

    def under(self, measured: Stats, limit_ms: float) -> None:
        ok = measured.p50 * 1000 < limit_ms
        self.lines.append(
            f"{measured.label}  p50 {ms(measured.p50)} (target < {limit_ms:g} ms) {verdict(ok)}"
        )
        self.checks.append({"measured": measured.label, "target_p50_ms": limit_ms, "meets": ok})

    def print(self) -> None:
        width = max((len(s.label) for s in self.rows), default=0)
        print(f"\n== {self.title} ==")
        for s in self.rows:
            print(
                f"  {s.label:<{width}}  p50 {ms(s.p50):>9}  p90 {ms(s.p90):>9}  "
                f"p99 {ms(s.p99):>9}  mean {ms(s.mean):>9}  {s.ops:>8,.0f} ops/s"
            )
        for line in self.lines:
            print(f"  → {line}")
        sys.stdout.flush()


class Report:
    """Machine facts, then sections printed as they finish; ``write`` saves it all as JSON."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.facts: dict[str, str] = {}
        self.sections: list[Section] = []

    def machine(self, **extra: str) -> None:
        cpu = platform.processor() or platform.machine()
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        versions = {p: _version(p) for p in ("sqlalchemy", "aiosqlite", "asyncpg", "uvloop")}
        self.facts |= {
            "cpus": f"{os.cpu_count()} × {cpu}",
            "python": f"{platform.python_implementation()} {platform.python_version()}",
            "sqlite": sqlite3.sqlite_version,
            "libraries": ", ".join(f"{k} {v}" for k, v in versions.items()),
        } | extra
        print(f"# {self.title}")
        for key, value in self.facts.items():
            print(f"#   {key}: {value}")

    def fact(self, key: str, value: str) -> None:
        self.facts[key] = value
        print(f"#   {key}: {value}")

    def section(self, title: str) -> Section:
        section = Section(title)
        self.sections.append(section)
        return section

    def write(self, path: Path) -> None:
        data = {
            "title": self.title,
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": self.facts,
            "sections": [
                {
                    "title": s.title,
                    "rows": {row.label: row.figures() for row in s.rows},
                    "checks": s.checks,
                }
                for s in self.sections
            ],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        print(f"\nfigures written to {path}")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
