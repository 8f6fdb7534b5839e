"""What can go wrong when translating, as exceptions a web layer can map to a status.

``UnsupportedPair`` is the caller's problem (HTTP 422): it names the pairs that do work.
``EngineUnavailable`` is ours (HTTP 503 with ``Retry-After``): the engine is down, busy or
too slow. ``ModelError`` is an operator's problem found while installing or importing models.
None of them ever carries the text being translated.
"""

from __future__ import annotations

from collections.abc import Iterable

Pair = tuple[str, str]


def format_pairs(pairs: Iterable[Pair]) -> str:
    listed = sorted(set(pairs))
    return ", ".join(f"{source}→{target}" for source, target in listed) or "none"


class TranslationError(Exception):
    """Base class of every error this package raises on purpose."""


class UnsupportedPair(TranslationError):
    """No engine translates ``source`` to ``target``, directly or through a pivot."""

    def __init__(self, source: str, target: str, available: Iterable[Pair]) -> None:
        self.source = source
        self.target = target
        self.available = frozenset(available)
        super().__init__(
            f"no translation from {source!r} to {target!r}; "
            f"available pairs: {format_pairs(self.available)}"
        )


class EngineUnavailable(TranslationError):
    """The engine cannot answer now; trying again after ``retry_after`` seconds may work."""

    def __init__(self, engine: str, reason: str, retry_after: int = 30) -> None:
        self.engine = engine
        self.reason = reason
        self.retry_after = max(1, int(retry_after))
        super().__init__(f"translation engine {engine} unavailable: {reason}")


class TranslationTimeout(EngineUnavailable):
    """The engine did not answer within the configured time."""

    def __init__(self, engine: str, seconds: float, retry_after: int = 30) -> None:
        self.seconds = seconds
        super().__init__(engine, f"no answer within {seconds:g} s", retry_after)


class ModelError(TranslationError):
    """A model package could not be listed, installed, imported or loaded."""


class ArgosConfigurationError(TranslationError):
    """argostranslate was imported with other directories than the ones Jamii chose."""
