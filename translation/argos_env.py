"""Where argostranslate keeps its files, decided before it is first imported.

``argostranslate.settings`` reads ``XDG_DATA_HOME``, ``XDG_CONFIG_HOME``, ``XDG_CACHE_HOME``,
``ARGOS_PACKAGES_DIR`` and ``ARGOS_PACKAGE_INDEX`` once, at import, and creates directories
there. Nothing in this package imports it at module level: ``load_argos(paths)`` sets those
variables, imports it, and puts the process environment back as it was, so the rest of the
process (and its children) never sees them. A second call with other directories is an error
rather than a silent mix of two model folders.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from translation.errors import ArgosConfigurationError

DEFAULT_INDEX_URL = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/"

# Variables that change what argostranslate does in ways Jamii does not support: chunk type
# NONE disables every package, STANZA/SPACY need torch/spacy, another provider bypasses the
# local models. They are removed for the duration of the import.
_IGNORED = (
    "ARGOS_CHUNK_TYPE",
    "ARGOS_MODEL_PROVIDER",
    "ARGOS_DEV_MODE",
    "ARGOS_TRANSLATE_PACKAGE_DIR",
    "SNAP",
)
_lock = threading.Lock()


@dataclass(frozen=True)
class ArgosPaths:
    """The folders of one instance's models, all under ``root``."""

    root: Path
    index_url: str = DEFAULT_INDEX_URL

    @classmethod
    def for_data_dir(cls, data_dir: Path, index_url: str | None = None) -> ArgosPaths:
        """An instance keeps its models in ``<data_dir>/translation``."""
        return cls(Path(data_dir) / "translation", index_url or DEFAULT_INDEX_URL)

    @property
    def packages(self) -> Path:
        return self.root / "packages"

    @property
    def data_home(self) -> Path:
        return self.root / "data"

    @property
    def config_home(self) -> Path:
        return self.root / "config"

    @property
    def cache_home(self) -> Path:
        return self.root / "cache"

    @property
    def minisbd_cache(self) -> Path:
        """Where argostranslate points MiniSBD's downloads (``<data>/argos-translate/minisbd``)."""
        return self.data_home / "argos-translate" / "minisbd"

    @property
    def local_index(self) -> Path:
        return self.data_home / "argos-translate" / "index.json"

    def environment(self) -> dict[str, str]:
        index = self.index_url if self.index_url.endswith("/") else self.index_url + "/"
        return {
            "XDG_DATA_HOME": str(self.data_home),
            "XDG_CONFIG_HOME": str(self.config_home),
            "XDG_CACHE_HOME": str(self.cache_home),
            "ARGOS_PACKAGES_DIR": str(self.packages),
            "ARGOS_PACKAGE_INDEX": index,
            "ARGOS_DEVICE_TYPE": "cpu",
        }


@dataclass(frozen=True)
class Argos:
    """The argostranslate modules Jamii uses, imported for one set of folders."""

    paths: ArgosPaths
    settings: ModuleType
    package: ModuleType
    translate: ModuleType
    sbd: ModuleType

    def clear_caches(self) -> None:
        """Forget installed packages argostranslate remembers (it does not after installs)."""
        self.translate.installed_translates.clear()
        self.translate.get_installed_languages.cache_clear()


_loaded: Argos | None = None


def quiet_argos_logs() -> None:
    """argostranslate logs every sentence at INFO; teachers' posts must not reach logs."""
    logging.getLogger("argostranslate").setLevel(logging.WARNING)
    logging.getLogger("argostranslate.utils").setLevel(logging.WARNING)


def load_argos(paths: ArgosPaths) -> Argos:
    """Import argostranslate configured for ``paths`` (once per process)."""
    global _loaded
    with _lock:
        if _loaded is not None:
            _check_same(_loaded.paths, paths)
            return _loaded
        if "argostranslate.settings" in sys.modules:
            settings = sys.modules["argostranslate.settings"]
            raise ArgosConfigurationError(
                "argostranslate was imported before Jamii configured it "
                f"(its packages are in {settings.package_data_dir}, not {paths.packages})"
            )
        for folder in (paths.packages, paths.data_home, paths.config_home, paths.cache_home):
            folder.mkdir(parents=True, exist_ok=True)
        saved = {name: os.environ.get(name) for name in (*paths.environment(), *_IGNORED)}
        try:
            for name in _IGNORED:
                os.environ.pop(name, None)
            os.environ.update(paths.environment())
            settings = importlib.import_module("argostranslate.settings")
            package = importlib.import_module("argostranslate.package")
            translate = importlib.import_module("argostranslate.translate")
            sbd = importlib.import_module("argostranslate.sbd")
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        quiet_argos_logs()
        _loaded = Argos(paths, settings, package, translate, sbd)
        return _loaded


def _check_same(loaded: ArgosPaths, wanted: ArgosPaths) -> None:
    if loaded.root.resolve() != wanted.root.resolve() or loaded.index_url.rstrip(
        "/"
    ) != wanted.index_url.rstrip("/"):
        raise ArgosConfigurationError(
            f"argostranslate is already configured for {loaded.root} "
            f"(index {loaded.index_url}); one process serves one model folder, "
            f"not also {wanted.root} (index {wanted.index_url})"
        )
