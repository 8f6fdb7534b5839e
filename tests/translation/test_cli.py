"""``jamii translation list|install|import`` as an operator runs them: real processes, the
instance's data folder, a local package index."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.servers import write_instance
from tests.translation.fixtures import IndexServer, TinyPackages
from tests.translation.tinymodels import build_opus_mt_folder, leet, minisbd_model


def jamii(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("JAMII_", "ARGOS_"))}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "fedi", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=environ,
        check=False,
    )


def instance(tmp_path: Path) -> tuple[str, Path]:
    config = write_instance(
        tmp_path, code="ke", port=8101, database_url=f"sqlite:///{tmp_path / 'db.sqlite'}"
    )
    return str(config.instance_dir), config.data_dir / "translation" / "packages"


def test_every_translation_command_has_help() -> None:
    for command in ([], ["list"], ["install"], ["import"], ["remove"]):
        result = jamii("translation", *command, "--help")
        assert result.returncode == 0, result.stderr
        assert "Usage:" in result.stdout


def test_import_list_and_a_broken_package(tmp_path: Path, tiny: TinyPackages) -> None:
    folder, packages = instance(tmp_path)
    for pair in (("fr", "en"), ("en", "sw")):
        result = jamii("translation", "import", str(tiny.archive(*pair)), "--instance", folder)
        assert result.returncode == 0, result.stderr
        assert f"installed {pair[0]}→{pair[1]} 1.0" in result.stdout
    assert (packages / "translate-fr_en-1_0" / "metadata.json").is_file()

    (packages / "leftover").mkdir()
    result = jamii("translation", "list", "--check", "--instance", folder)
    assert result.returncode == 0, result.stderr
    assert "leftover): BROKEN: no metadata.json" in result.stdout
    assert "direct pairs: en→sw, fr→en" in result.stdout
    assert "through a pivot: fr→sw" in result.stdout

    result = jamii("translation", "remove", "en", "sw", "--instance", folder)
    assert result.returncode == 0, result.stderr
    assert "removed en→sw 1.0" in result.stdout
    assert not (packages / "translate-en_sw-1_0").exists()
    result = jamii("translation", "remove", "en", "sw", "--instance", folder)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: no package installed for en→sw"


def test_install_from_an_index(
    tmp_path: Path, tiny: TinyPackages, index_server: IndexServer
) -> None:
    folder, packages = instance(tmp_path)
    index_server.publish_index([tiny.archive("en", "pt"), tiny.archive("pt", "en")])
    result = jamii(
        "translation", "install", "en", "pt", "--instance", folder,
        env={"JAMII_TRANSLATION_INDEX_URL": index_server.url},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "installed 2 package(s)" in result.stdout
    assert "downloading en→pt 1.0" in result.stderr
    assert sorted(path.name for path in packages.iterdir()) == [
        "translate-en_pt-1_0",
        "translate-pt_en-1_0",
    ]

    result = jamii("translation", "install", "en", "sw", "--instance", folder,
                   "--index-url", index_server.url)  # fmt: skip
    assert result.returncode == 1
    assert "error: neither the index nor this server has a package for en→sw, sw→en" in (
        result.stderr
    )


def test_import_failures_are_one_line(tmp_path: Path) -> None:
    folder, _ = instance(tmp_path)
    opus = tmp_path / "opus-mt-en-sw"
    opus.mkdir()
    result = jamii("translation", "import", str(opus), "--instance", folder)
    assert result.returncode == 1
    assert "needs --from and --to" in result.stderr
    result = jamii(
        "translation", "import", str(opus), "--from", "en", "--to", "sw", "--instance", folder
    )
    assert result.returncode == 1
    assert "not an OPUS-MT model folder (no decoder.yml)" in result.stderr
    junk = tmp_path / "junk.argosmodel"
    junk.write_text("junk", encoding="utf-8")
    result = jamii("translation", "import", str(junk), "--instance", folder)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: junk.argosmodel is not a zip archive (.argosmodel)"


def test_import_an_opus_mt_folder_for_kiswahili(tmp_path: Path) -> None:
    folder, packages = instance(tmp_path)
    opus = build_opus_mt_folder(tmp_path / "opus-mt-en-sw", leet)
    splitter = tmp_path / "en.onnx"
    splitter.write_bytes(minisbd_model("en"))
    result = jamii(
        "translation", "import", str(opus), "--from", "en", "--to", "sw",
        "--sentence-splitter", str(splitter), "--keep-archive", str(tmp_path / "out"),
        "--instance", folder,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "installed en→sw 1.0" in result.stdout
    assert (tmp_path / "out" / "translate-en_sw-1_0.argosmodel").is_file()
    assert (packages / "translate-en_sw-1_0" / "minisbd" / "en.onnx").is_file()
