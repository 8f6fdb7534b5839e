"""Installing models: from a package index over HTTP (argostranslate's real download path),
from a file, with MiniSBD's sentence splitters fetched ahead, and clear failures offline."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from tests.translation.fixtures import IndexServer, TinyPackages
from tests.translation.tinymodels import build_argosmodel, build_opus_mt_folder, minisbd_model
from translation import models
from translation.argos_engine import ArgosEngine
from translation.argos_env import ArgosPaths
from translation.errors import ModelError


def test_install_from_the_index_adds_pivots_through_english(
    paths: ArgosPaths, tiny: TinyPackages, index_server: IndexServer
) -> None:
    index_server.publish_index(
        [tiny.archive(*pair) for pair in [("fr", "en"), ("en", "fr"), ("en", "pt"), ("pt", "en")]]
    )
    index_server.requests.clear()
    progress: list[str] = []
    done = models.install(paths, ["fr", "pt"], progress.append)
    assert sorted(done) == [("en", "fr"), ("en", "pt"), ("fr", "en"), ("pt", "en")]
    assert sorted(index_server.requests) == [
        "/index.json",
        "/translate-en_fr-1_0.argosmodel",
        "/translate-en_pt-1_0.argosmodel",
        "/translate-fr_en-1_0.argosmodel",
        "/translate-pt_en-1_0.argosmodel",
    ]
    assert any("downloading fr→en 1.0" in line for line in progress)
    routes = models.installed_routes(paths)
    assert routes[("fr", "pt")] == (("fr", "en"), ("en", "pt"))
    assert routes[("pt", "fr")] == (("pt", "en"), ("en", "fr"))

    # Again: nothing new to download.
    index_server.requests.clear()
    assert models.install(paths, ["pt", "fr"]) == []
    assert index_server.requests == ["/index.json"]


def test_a_language_the_index_lacks_points_to_opus_mt(
    paths: ArgosPaths, tiny: TinyPackages, index_server: IndexServer
) -> None:
    index_server.publish_index([tiny.archive("fr", "en"), tiny.archive("en", "fr")])
    with pytest.raises(ModelError, match=r"has a package for en→sw, sw→en.*OPUS-MT"):
        models.install(paths, ["en", "sw"])
    assert list(paths.packages.iterdir()) == []  # nothing half-installed

    # Once Kiswahili is imported (from OPUS-MT, say), the index completes the rest.
    models.import_file(paths, tiny.archive("en", "sw"))
    models.import_file(paths, tiny.archive("sw", "en"))
    assert sorted(models.install(paths, ["sw", "fr", "en"])) == [("en", "fr"), ("fr", "en")]
    routes = models.installed_routes(paths)
    assert routes[("fr", "sw")] == (("fr", "en"), ("en", "sw"))
    assert routes[("sw", "fr")] == (("sw", "en"), ("en", "fr"))


def test_offline_install_fails_clearly_instead_of_recursing(
    paths: ArgosPaths, index_server: IndexServer
) -> None:
    index_server.offline = True
    with pytest.raises(ModelError, match="could not download the package index"):
        models.install(paths, ["en", "fr"])
    assert not paths.local_index.exists()


def test_import_refuses_what_is_not_a_package(paths: ArgosPaths, tmp_path: Path) -> None:
    not_zip = tmp_path / "x.argosmodel"
    not_zip.write_text("hello", encoding="utf-8")
    with pytest.raises(ModelError, match="not a zip archive"):
        models.import_file(paths, not_zip)
    no_model = tmp_path / "y.argosmodel"
    with zipfile.ZipFile(no_model, "w") as zipped:
        zipped.writestr("translate-x_y/metadata.json", '{"from_code": "x", "to_code": "y"}')
    with pytest.raises(ModelError, match=r"model/model\.bin missing"):
        models.import_file(paths, no_model)
    escaping = tmp_path / "z.argosmodel"
    with zipfile.ZipFile(escaping, "w") as zipped:
        zipped.writestr("../evil/metadata.json", "{}")
    with pytest.raises(ModelError):
        models.import_file(paths, escaping)
    with pytest.raises(ModelError, match="no such file"):
        models.import_file(paths, tmp_path / "missing.argosmodel")
    assert not (paths.root / "evil").exists()


async def test_sentence_splitters_are_fetched_at_install_not_on_first_use(
    paths: ArgosPaths,
    index_server: IndexServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from minisbd import models as minisbd_models

    # A package like the real ones: no minisbd/ inside, so MiniSBD must download its model.
    archive = build_argosmodel(tmp_path / "built", "it", "en", with_minisbd=False)
    (index_server.root / "it.onnx").write_bytes(minisbd_model("it"))
    monkeypatch.setattr(minisbd_models, "REPO_URL", index_server.url)
    cached = Path(minisbd_models.cache_dir) / "it.onnx"
    assert cached.parent == paths.minisbd_cache
    cached.unlink(missing_ok=True)
    try:
        index_server.offline = True
        with pytest.raises(ModelError, match="sentence splitter for it"):
            models.import_file(paths, archive)
        assert not cached.exists()

        index_server.offline = False
        index_server.requests.clear()
        models.prefetch_sentence_splitters(paths)
        assert index_server.requests == ["/it.onnx"]
        assert cached.is_file()

        # Offline again: the server translates from Italian all the same.
        index_server.offline = True
        engine = ArgosEngine(paths)
        try:
            report = await engine.start()
            assert ("it", "en") in report.pairs
            assert await engine.translate_texts(["Ciao a tutti."], "it", "en") == ["CIAO A TUTTI."]
        finally:
            await engine.close()
    finally:
        shutil.rmtree(paths.packages / "translate-it_en-1_0", ignore_errors=True)


def test_remove_deletes_one_pair(paths: ArgosPaths, tiny: TinyPackages) -> None:
    models.import_file(paths, tiny.archive("sw", "en"))
    assert ("sw", "en") in models.installed_routes(paths)
    removed = models.remove(paths, "sw", "en")
    assert not removed.path.exists()
    assert ("sw", "en") not in models.installed_routes(paths)
    with pytest.raises(ModelError, match="no package installed for sw→en"):
        models.remove(paths, "sw", "en")


async def test_an_opus_mt_model_becomes_a_kiswahili_package(
    paths: ArgosPaths, tmp_path: Path, tiny: TinyPackages
) -> None:
    # What a ministry downloads from Helsinki-NLP: a Marian model, converted on import.
    opus = build_opus_mt_folder(tmp_path / "opus-mt-sw-en")
    splitter = tmp_path / "sw.onnx"
    splitter.write_bytes(minisbd_model("sw"))
    kept = tmp_path / "kept"
    progress: list[str] = []
    info = models.import_opus_mt(
        paths, opus, source="sw", target="en", version="2.0", keep_archive_in=kept,
        sentence_splitter=splitter, report=progress.append,
    )  # fmt: skip
    try:
        assert (info.pair, info.version, info.ok) == (("sw", "en"), "2.0", True)
        assert info.path.parent == paths.packages
        assert any("converting opus-mt-sw-en to CTranslate2 (int8)" in line for line in progress)
        archive = kept / "translate-sw_en-2_0.argosmodel"
        assert archive.is_file()
        # The kept archive installs elsewhere; beside en→fr it also gives sw→fr.
        folder = tiny.unpack(tmp_path / "other-server", ("en", "fr"))
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(folder)
        engine = ArgosEngine(paths, packages_dir=folder)
        try:
            report = await engine.start()
            assert report.pairs == {("sw", "en"), ("en", "fr"), ("sw", "fr")}
            out = await engine.translate_texts(["Habari za asubuhi, walimu!"], "sw", "en")
            assert out == ["HABARI ZA ASUBUHI, WALIMU!"]
            assert engine.model_version("sw", "fr") == "sw-en@2.0+en-fr@1.0"
        finally:
            await engine.close()
    finally:
        shutil.rmtree(info.path, ignore_errors=True)


def test_an_opus_mt_folder_that_does_not_convert_is_a_clear_error(
    paths: ArgosPaths, tmp_path: Path
) -> None:
    opus = build_opus_mt_folder(tmp_path / "opus")
    (opus / "opus.npz").write_bytes(b"truncated download")
    with pytest.raises(ModelError, match="conversion failed"):
        models.import_opus_mt(paths, opus, source="sw", target="en")
    assert not any(path.name.startswith("translate-sw_en") for path in paths.packages.iterdir())


def test_install_needs_two_languages_before_going_online(
    paths: ArgosPaths, index_server: IndexServer
) -> None:
    index_server.requests.clear()
    with pytest.raises(ModelError, match="name at least two languages"):
        models.install(paths, ["en", " EN "])
    assert index_server.requests == []
