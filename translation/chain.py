"""An instance's engines in order of preference: the first that offers a pair translates it,
and the next one that offers it takes over when it is down."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from translation.engine import Engine, EngineReport
from translation.errors import EngineUnavailable, Pair, UnsupportedPair


@dataclass(frozen=True)
class ChainResult:
    texts: list[str]
    engine: str
    model_version: str


class EngineChain:
    def __init__(self, engines: Sequence[Engine]) -> None:
        if not engines:
            raise ValueError("an engine chain needs at least one engine")
        self.engines = tuple(engines)

    async def start(self) -> list[EngineReport]:
        """Start every engine; one that fails to start reports why and the rest go on."""
        return list(await asyncio.gather(*(engine.start() for engine in self.engines)))

    async def close(self) -> None:
        await asyncio.gather(*(engine.close() for engine in self.engines))

    async def available_pairs(self) -> frozenset[Pair]:
        pairs: set[Pair] = set()
        for engine in self.engines:
            pairs |= await engine.available_pairs()
        return frozenset(pairs)

    async def translate_texts(self, texts: Sequence[str], source: str, target: str) -> ChainResult:
        unavailable: EngineUnavailable | None = None
        for engine in self.engines:
            if (source, target) not in await engine.available_pairs():
                continue
            try:
                translated = await engine.translate_texts(texts, source, target)
            except EngineUnavailable as exc:
                unavailable = exc
                continue
            return ChainResult(translated, engine.name, engine.model_version(source, target))
        if unavailable is not None:
            raise unavailable
        raise UnsupportedPair(source, target, await self.available_pairs())
