"""The model folder, read without argostranslate: which packages look usable, and why not.

argostranslate stops translating altogether when one folder in its packages directory lacks
``metadata.json``; Jamii checks every folder itself and hands argostranslate only the good
ones, so one corrupt package costs its own pair and nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from translation.errors import Pair


@dataclass(frozen=True)
class PackageInfo:
    """One folder of the packages directory and what its ``metadata.json`` says."""

    path: Path
    source: str = ""
    target: str = ""
    source_name: str = ""
    target_name: str = ""
    version: str = ""
    problem: str | None = None

    @property
    def pair(self) -> Pair:
        return (self.source, self.target)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def broken(self, problem: str) -> PackageInfo:
        return PackageInfo(
            self.path,
            self.source,
            self.target,
            self.source_name,
            self.target_name,
            self.version,
            problem,
        )

    def describe(self) -> str:
        label = f"{self.source or '?'}→{self.target or '?'}"
        version = f" {self.version}" if self.version else ""
        state = "ok" if self.ok else f"BROKEN: {self.problem}"
        return f"{label}{version} ({self.path.name}): {state}"


def read_package(path: Path) -> PackageInfo:
    """Check one package folder's files (cheap: no model is loaded)."""
    info = PackageInfo(path)
    metadata_path = path / "metadata.json"
    if not metadata_path.is_file():
        return info.broken("no metadata.json")
    try:
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return info.broken(f"metadata.json unreadable ({type(exc).__name__})")
    if not isinstance(metadata, dict):
        return info.broken("metadata.json is not an object")
    source, target = metadata.get("from_code"), metadata.get("to_code")
    info = PackageInfo(
        path,
        source if isinstance(source, str) else "",
        target if isinstance(target, str) else "",
        str(metadata.get("from_name", "")),
        str(metadata.get("to_name", "")),
        str(metadata.get("package_version", "")),
    )
    if metadata.get("type", "translate") != "translate":
        return info.broken(f"not a translation package (type {metadata.get('type')!r})")
    if not info.source or not info.target:
        return info.broken("metadata.json lacks from_code or to_code")
    if not (path / "model" / "model.bin").is_file():
        return info.broken("no model/model.bin")
    if not (path / "sentencepiece.model").is_file() and not (path / "bpe.model").is_file():
        return info.broken("no sentencepiece.model or bpe.model")
    return info


def scan_packages(packages_dir: Path) -> list[PackageInfo]:
    """Every package folder, good or broken, sorted by pair; a pair installed twice keeps
    the newest version and reports the other as shadowed."""
    if not packages_dir.is_dir():
        return []
    found = [
        read_package(path)
        for path in sorted(packages_dir.iterdir())
        if path.is_dir() and not path.name.startswith(".")
    ]
    newest: dict[Pair, PackageInfo] = {}
    for info in found:
        if info.ok and (info.pair not in newest or _newer(info, newest[info.pair])):
            newest[info.pair] = info
    result = [
        info
        if not info.ok or newest[info.pair] is info
        else info.broken(f"shadowed by {newest[info.pair].path.name}")
        for info in found
    ]
    return sorted(result, key=lambda info: (info.pair, info.path.name))


def version_key(version: str) -> tuple[int, ...]:
    """``"1.10"`` after ``"1.9"``; anything unparsable counts as 0."""
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


def _newer(a: PackageInfo, b: PackageInfo) -> bool:
    return version_key(a.version) > version_key(b.version)


def find_routes(
    pairs: set[Pair], pivots: tuple[str, ...] = ("en",)
) -> dict[Pair, tuple[Pair, ...]]:
    """Every pair reachable directly or through one intermediate language.

    A direct package wins; otherwise the first of ``pivots`` that links the two, then any
    other language (alphabetically) that does.
    """
    routes: dict[Pair, tuple[Pair, ...]] = {pair: (pair,) for pair in pairs}
    languages = sorted({code for pair in pairs for code in pair})
    order = [code for code in pivots if code in languages] + [
        code for code in languages if code not in pivots
    ]
    for source in languages:
        for target in languages:
            if source == target or (source, target) in routes:
                continue
            for middle in order:
                if (source, middle) in pairs and (middle, target) in pairs:
                    routes[(source, target)] = ((source, middle), (middle, target))
                    break
    return routes


# MiniSBD names these models differently; argostranslate maps them the same way.
_SPLITTER_NAMES = {"pb": "pt", "zt": "zh-hant", "zh": "zh-hans"}


def splitter_model(code: str) -> str:
    """The MiniSBD model argostranslate uses to split a source language's sentences
    (English for a language MiniSBD has no model for, Kiswahili among them)."""
    from minisbd import models as minisbd_models

    name = _SPLITTER_NAMES.get(code, code)
    return name if name in minisbd_models.list_models() else "en"
