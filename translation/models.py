"""Model packages on disk: list them, install them from the Argos index, import a file, or
convert an OPUS-MT (Marian) model into one (how a ministry adds Kiswahili).

Everything here is synchronous and meant for the command line (``jamii translation …``);
the running server picks new packages up at start-up or on ``ArgosEngine.reload()``.
Progress goes to a ``report(message)`` callable.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from translation.argos_env import Argos, ArgosPaths, load_argos
from translation.errors import ModelError, Pair, format_pairs
from translation.packages import (
    PackageInfo,
    find_routes,
    read_package,
    scan_packages,
    splitter_model,
    version_key,
)

Report = Callable[[str], None]


def _quiet(message: str) -> None:
    """The default ``report``: say nothing."""


@dataclass(frozen=True)
class IndexEntry:
    """A package the Argos index offers."""

    source: str
    target: str
    version: str
    links: tuple[str, ...]
    metadata: dict[str, Any]

    @property
    def pair(self) -> Pair:
        return (self.source, self.target)


def list_installed(paths: ArgosPaths) -> list[PackageInfo]:
    """Every package folder with its state (no argostranslate import, no model load)."""
    return scan_packages(paths.packages)


def installed_routes(paths: ArgosPaths) -> dict[Pair, tuple[Pair, ...]]:
    """Pairs the installed (good) packages make available, pivots included."""
    return find_routes({info.pair for info in list_installed(paths) if info.ok})


# --- the Argos index ---------------------------------------------------------------------


def fetch_index(paths: ArgosPaths, report: Report = _quiet) -> list[IndexEntry]:
    """Download the package index (argostranslate's ``update_package_index``) and read it.

    Offline, argostranslate logs the error and keeps going, and ``get_available_packages``
    then recurses until RecursionError; the index file is checked here instead.
    """
    argos = load_argos(paths)
    local_index = Path(argos.settings.local_package_index)
    report(f"fetching the package index from {argos.settings.remote_package_index}")
    local_index.unlink(missing_ok=True)
    # argostranslate logs the failure and carries on; the error below says it better.
    utils_log = logging.getLogger("argostranslate.utils")
    level = utils_log.level
    utils_log.setLevel(logging.CRITICAL)
    try:
        argos.package.update_package_index()
    finally:
        utils_log.setLevel(level)
    if not local_index.exists():
        raise ModelError(
            f"could not download the package index from {argos.settings.remote_package_index} "
            "(no network?); use `jamii translation import FILE.argosmodel` offline"
        )
    try:
        available = argos.package.get_available_packages()
    except (ValueError, RecursionError) as exc:
        raise ModelError(f"the package index is not valid JSON ({type(exc).__name__})") from None
    entries = []
    for package in available:
        if getattr(package, "type", "translate") != "translate":
            continue
        if not package.from_code or not package.to_code:
            continue
        entries.append(
            IndexEntry(
                package.from_code,
                package.to_code,
                str(package.package_version),
                tuple(package.links),
                {"package": package},
            )
        )
    return entries


def _language_codes(languages: Iterable[str]) -> list[str]:
    codes = list(dict.fromkeys(code.strip().lower() for code in languages if code.strip()))
    if len(codes) < 2:
        raise ModelError("name at least two languages, e.g. `install en fr pt`")
    return codes


def plan_install(
    entries: Iterable[IndexEntry], languages: Iterable[str], installed: Iterable[Pair] = ()
) -> list[IndexEntry]:
    """The packages that make every pair of ``languages`` work, pivoting through English
    where there is no direct package. Pairs already ``installed`` (an imported OPUS-MT
    ``sw→en``, say) count as available. Raises ``ModelError`` naming what is missing, before
    anything is downloaded."""
    codes = _language_codes(languages)
    by_pair: dict[Pair, IndexEntry] = {}
    for entry in entries:
        if entry.pair not in by_pair or version_key(entry.version) > version_key(
            by_pair[entry.pair].version
        ):
            by_pair[entry.pair] = entry
    have = set(installed)
    wanted: dict[Pair, IndexEntry] = {}
    missing: list[Pair] = []

    def reachable(pair: Pair) -> bool:
        return pair in have or pair in by_pair

    def want(pair: Pair) -> None:
        if pair not in have:
            wanted[pair] = by_pair[pair]

    for source in codes:
        for target in codes:
            if source == target:
                continue
            if reachable((source, target)):
                want((source, target))
            elif reachable((source, "en")) and reachable(("en", target)):
                want((source, "en"))
                want(("en", target))
            else:
                missing.append((source, target))
    if missing:
        raise ModelError(
            f"neither the index nor this server has a package for {format_pairs(missing)}, "
            f"not even through English; the index offers {format_pairs(by_pair)}. "
            "For Kiswahili, import an OPUS-MT model (see docs/translation.md)"
        )
    return sorted(wanted.values(), key=lambda entry: entry.pair)


def install(paths: ArgosPaths, languages: Iterable[str], report: Report = _quiet) -> list[Pair]:
    """Install from the index what ``languages`` need, and prefetch the sentence splitters.

    Returns the pairs installed. Pairs already installed are kept as they are (remove a
    package to replace it).
    """
    languages = _language_codes(languages)
    argos = load_argos(paths)
    installed = {info.pair: info for info in list_installed(paths) if info.ok}
    plan = plan_install(fetch_index(paths, report), languages, installed)
    done: list[Pair] = []
    for entry in plan:
        report(f"downloading {entry.source}→{entry.target} {entry.version}")
        package = entry.metadata["package"]
        try:
            download = Path(package.download())
        except Exception as exc:
            raise ModelError(
                f"download of {entry.source}→{entry.target} failed ({type(exc).__name__}); "
                "check the network, or import the file with `jamii translation import`"
            ) from None
        try:
            _install_file(argos, download, report)
        finally:
            download.unlink(missing_ok=True)
        done.append(entry.pair)
    prefetch_sentence_splitters(paths, report)
    return done


# --- package files -----------------------------------------------------------------------


def _package_folder(archive: zipfile.ZipFile) -> str:
    """The one top-level folder of an .argosmodel, checked for the files a package needs."""
    names = archive.namelist()
    tops = {PurePosixPath(name).parts[0] for name in names if name.strip("/")}
    if len(tops) != 1:
        raise ModelError(f"an .argosmodel holds one folder; this one holds {len(tops)} entries")
    top = tops.pop()
    for name in names:
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts:
            raise ModelError(f"unsafe path in archive: {name}")
    required = [f"{top}/metadata.json", f"{top}/model/model.bin"]
    for needed in required:
        if needed not in names:
            raise ModelError(f"not an Argos package: {needed.split('/', 1)[1]} missing")
    if f"{top}/sentencepiece.model" not in names and f"{top}/bpe.model" not in names:
        raise ModelError("not an Argos package: no sentencepiece.model or bpe.model")
    return top


def _install_file(argos: Argos, file: Path, report: Report) -> PackageInfo:
    try:
        with zipfile.ZipFile(file) as archive:
            top = _package_folder(archive)
    except zipfile.BadZipFile:
        raise ModelError(f"{file.name} is not a zip archive (.argosmodel)") from None
    packages_dir = Path(argos.settings.package_data_dir)
    target = packages_dir / top
    if target.exists():
        shutil.rmtree(target)
    argos.package.install_from_path(file)
    argos.clear_caches()
    info = read_package(target)
    if not info.ok:
        shutil.rmtree(target, ignore_errors=True)
        raise ModelError(f"{file.name}: {info.problem}")
    report(f"installed {info.source}→{info.target} {info.version} in {target}")
    return info


def import_file(paths: ArgosPaths, file: Path, report: Report = _quiet) -> PackageInfo:
    """Install an ``.argosmodel`` file (offline installs, or a ministry's own model)."""
    if not file.is_file():
        raise ModelError(f"no such file: {file}")
    info = _install_file(load_argos(paths), file, report)
    prefetch_sentence_splitters(paths, report)
    return info


def prefetch_sentence_splitters(paths: ArgosPaths, report: Report = _quiet) -> None:
    """Download MiniSBD's model for every installed leg's source language, now.

    Real packages ship none and MiniSBD downloads one on first use, so an offline server
    would fail on its first translation. Packages with their own ``minisbd/`` need nothing.
    """
    argos = load_argos(paths)
    from minisbd import models as minisbd_models

    wanted = sorted(
        {
            info.source
            for info in list_installed(paths)
            if info.ok and not any((info.path / "minisbd").glob("*.onnx"))
        }
    )
    for code in wanted:
        language = splitter_model(code)
        cached = Path(argos.sbd.minisbd_models.cache_dir) / f"{language}.onnx"
        if cached.is_file():
            continue
        report(f"downloading the sentence splitter for {language}")
        try:
            minisbd_models.get_model_file(language)
        except Exception as exc:
            raise ModelError(
                f"could not download the sentence splitter for {language} "
                f"({type(exc).__name__}); translations from {code} will fail until it is there"
            ) from None


def remove(paths: ArgosPaths, source: str, target: str) -> PackageInfo:
    """Delete the package for one pair."""
    for info in list_installed(paths):
        if info.pair == (source, target):
            shutil.rmtree(info.path)
            load_argos(paths).clear_caches()
            return info
    raise ModelError(f"no package installed for {source}→{target}")


# --- OPUS-MT ---------------------------------------------------------------------------


LANGUAGE_NAMES = {"en": "English", "fr": "French", "pt": "Portuguese", "sw": "Swahili"}


def build_package(
    folder: Path,
    *,
    source: str,
    target: str,
    version: str,
    model_dir: Path,
    sentencepiece: Path,
    target_prefix: str = "",
    minisbd: Path | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write an Argos package folder ``folder/<translate-src_tgt-version>`` and zip it to
    ``folder/<same>.argosmodel``; returns the archive."""
    name = f"translate-{source}_{target}-{version.replace('.', '_')}"
    root = folder / name
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    shutil.copytree(model_dir, root / "model")
    shutil.copyfile(sentencepiece, root / "sentencepiece.model")
    if minisbd is not None:
        (root / "minisbd").mkdir()
        shutil.copyfile(minisbd, root / "minisbd" / minisbd.name)
    metadata: dict[str, Any] = {
        "package_version": version,
        "argos_version": "1.9",
        "type": "translate",
        "from_code": source,
        "from_name": LANGUAGE_NAMES.get(source, source),
        "to_code": target,
        "to_name": LANGUAGE_NAMES.get(target, target),
        **(extra or {}),
    }
    if target_prefix:
        metadata["target_prefix"] = target_prefix
    (root / "metadata.json").write_text(json.dumps(metadata, indent=2), encoding="utf-8")
    archive = folder / f"{name}.argosmodel"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(root.rglob("*")):
            zipped.write(path, path.relative_to(folder).as_posix())
    shutil.rmtree(root)
    return archive


def convert_opus_mt(
    model_dir: Path,
    output: Path,
    *,
    source: str,
    target: str,
    version: str = "1.0",
    quantization: str = "int8",
    target_prefix: str = "",
    sentence_splitter: Path | None = None,
    report: Report = _quiet,
) -> Path:
    """Convert an OPUS-MT model folder (``decoder.yml``, ``*.npz``, ``*.vocab.yml``,
    ``source.spm``, ``target.spm``) into an ``.argosmodel`` in ``output``; returns its path.

    The source SentencePiece model tokenizes; decoding only joins pieces, so the target
    model is not needed at run time. Multilingual OPUS-MT models need ``target_prefix``
    (for example ``>>swh<<``). ``sentence_splitter`` is a MiniSBD ``.onnx`` to ship inside
    the package, so that it works on a server that cannot download one.
    """
    from ctranslate2.converters import OpusMTConverter

    if not (model_dir / "decoder.yml").is_file():
        raise ModelError(f"{model_dir} is not an OPUS-MT model folder (no decoder.yml)")
    spm = model_dir / "source.spm"
    if not spm.is_file():
        raise ModelError(f"{model_dir} has no source.spm")
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        converted = Path(scratch) / "model"
        report(f"converting {model_dir.name} to CTranslate2 ({quantization})")
        try:
            OpusMTConverter(str(model_dir)).convert(str(converted), quantization=quantization)
        except Exception as exc:
            raise ModelError(
                f"conversion failed ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
            ) from None
        archive = build_package(
            output,
            source=source,
            target=target,
            version=version,
            model_dir=converted,
            sentencepiece=spm,
            target_prefix=target_prefix,
            minisbd=sentence_splitter,
            extra={"source": "OPUS-MT (Helsinki-NLP), converted by jamii translation import"},
        )
    report(f"wrote {archive}")
    return archive


def import_opus_mt(
    paths: ArgosPaths,
    model_dir: Path,
    *,
    source: str,
    target: str,
    version: str = "1.0",
    quantization: str = "int8",
    target_prefix: str = "",
    keep_archive_in: Path | None = None,
    sentence_splitter: Path | None = None,
    report: Report = _quiet,
) -> PackageInfo:
    """Convert an OPUS-MT model and install it; the ``.argosmodel`` is kept in
    ``keep_archive_in`` (to copy to other servers) if given.

    Without ``sentence_splitter``, the MiniSBD model this server already has for the source
    language (or the one argostranslate falls back to) goes into the package.
    """
    if sentence_splitter is None:
        cached = load_argos(paths).sbd.minisbd_models.cache_dir
        candidate = Path(cached) / f"{splitter_model(source)}.onnx"
        sentence_splitter = candidate if candidate.is_file() else None
    with tempfile.TemporaryDirectory() as scratch:
        archive = convert_opus_mt(
            model_dir,
            keep_archive_in or Path(scratch),
            source=source,
            target=target,
            version=version,
            quantization=quantization,
            target_prefix=target_prefix,
            sentence_splitter=sentence_splitter,
            report=report,
        )
        return import_file(paths, archive, report)
