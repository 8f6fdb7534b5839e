"""argostranslate configured once per test process, tiny packages, and a local package index.

A plugin of the whole test run (``tests/conftest.py``): the pages' browser story uses the
same argostranslate as the translation tests, and a process can configure it only once.

argostranslate reads its folders from the environment at import, once per process; the
session fixture points them at a temporary folder before anything imports it, with the
package index on a local http.server that serves the tiny packages (and can play offline).
"""

from __future__ import annotations

import json
import shutil
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.translation.tinymodels import build_argosmodel, leet, upper
from translation.argos_env import Argos, ArgosPaths, load_argos


@dataclass
class IndexServer:
    """A folder over HTTP; ``offline = True`` makes every request fail with 503."""

    root: Path
    url: str = ""
    offline: bool = False
    requests: list[str] = field(default_factory=list)

    def publish_index(self, archives: list[Path]) -> None:
        entries: list[dict[str, Any]] = []
        for archive in archives:
            with zipfile.ZipFile(archive) as zipped:
                top = zipped.namelist()[0].split("/")[0]
                metadata = json.loads(zipped.read(f"{top}/metadata.json"))
            shutil.copyfile(archive, self.root / archive.name)
            entries.append({**metadata, "links": [self.url + archive.name]})
        (self.root / "index.json").write_text(json.dumps(entries), encoding="utf-8")


def _serve(server: IndexServer) -> ThreadingHTTPServer:
    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            server.requests.append(self.path)
            if server.offline:
                self.send_error(503)
                return
            super().do_GET()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(server.root)))
    server.url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@pytest.fixture(scope="session")
def index_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    server = IndexServer(tmp_path_factory.mktemp("argos-index"))
    httpd = _serve(server)
    yield server
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def argos(tmp_path_factory: pytest.TempPathFactory, index_server: IndexServer) -> Argos:
    """argostranslate, imported with its folders where an instance's data_dir keeps them."""
    paths = ArgosPaths.for_data_dir(tmp_path_factory.mktemp("data"), index_server.url)
    return load_argos(paths)


@pytest.fixture
def paths(argos: Argos, index_server: IndexServer) -> Iterator[ArgosPaths]:
    """The process's argostranslate folders, with no package installed yet."""
    shutil.rmtree(argos.paths.packages)
    argos.paths.packages.mkdir()
    argos.clear_caches()
    index_server.offline = False
    yield argos.paths
    index_server.offline = False


@dataclass(frozen=True)
class TinyPackages:
    folder: Path

    def archive(self, source: str, target: str) -> Path:
        return self.folder / f"translate-{source}_{target}-1_0.argosmodel"

    def unpack(self, destination: Path, *pairs: tuple[str, str]) -> Path:
        """A packages folder holding these pairs (for an engine of its own)."""
        destination.mkdir(parents=True, exist_ok=True)
        for source, target in pairs:
            with zipfile.ZipFile(self.archive(source, target)) as zipped:
                zipped.extractall(destination)
        return destination


# Every test package "translates" to upper case, except into Kiswahili (upper case and
# leetspeak), so a pivot through English shows both legs ran.
PAIRS = {
    ("fr", "en"): upper,
    ("en", "fr"): upper,
    ("en", "pt"): upper,
    ("pt", "en"): upper,
    ("en", "sw"): leet,
    ("sw", "en"): upper,
}


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyPackages:
    folder = tmp_path_factory.mktemp("tiny-packages")
    for (source, target), transform in PAIRS.items():
        build_argosmodel(folder, source, target, transform)
    return TinyPackages(folder)
