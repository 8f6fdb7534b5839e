"""Installing models: from a package index over HTTP (argostranslate's real download path),
from a file, with MiniSBD's sentence splitters fetched ahead, and clear failures offline."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from tests.translation.conftest import IndexServer, TinyPackages
from tests.translation.tinymodels import build_argosmodel, minisbd_model
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
    with pytest.raises(ModelError, match=r"no package for en→sw, sw→en.*OPUS-MT"):
        models.install(paths, ["en", "sw"])


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
