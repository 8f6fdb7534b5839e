"""What every translation engine offers, and what it reports about itself at start-up."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from translation.errors import Pair


@dataclass(frozen=True)
class EngineReport:
    """An engine's state after start-up: what works and what does not, and why.

    A broken model package or an unreachable server shows up here as a problem; the rest of
    the engine keeps working.
    """

    engine: str
    pairs: frozenset[Pair]
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return bool(self.pairs) and not self.problems


class Engine(Protocol):
    """A translation engine: Argos in-process, or a LibreTranslate server over HTTP.

    ``translate_texts`` takes plain-text fragments (no HTML) and returns them translated,
    in order. It raises ``UnsupportedPair`` for a pair it does not offer and
    ``EngineUnavailable`` (or ``TranslationTimeout``) when it cannot answer now.
    """

    @property
    def name(self) -> str: ...

    async def start(self) -> EngineReport: ...

    async def close(self) -> None: ...

    async def available_pairs(self) -> frozenset[Pair]: ...

    def model_version(self, source: str, target: str) -> str: ...

    async def translate_texts(
        self, texts: Sequence[str], source: str, target: str
    ) -> list[str]: ...
