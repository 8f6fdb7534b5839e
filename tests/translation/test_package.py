"""The translation package stands alone: no fedi, and no argostranslate until asked."""

from __future__ import annotations

import subprocess
import sys


def test_importing_translation_loads_neither_fedi_nor_argostranslate() -> None:
    code = (
        "import sys, pkgutil, importlib, translation\n"
        "for m in pkgutil.iter_modules(translation.__path__):\n"
        "    importlib.import_module('translation.' + m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in"
        " ('fedi', 'argostranslate', 'ctranslate2', 'minisbd'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
