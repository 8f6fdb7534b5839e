"""How much one outbound request, and one incoming activity, may cost us."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from fedi.federation.fetcher.errors import BudgetExhausted, TooLarge

_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchLimits:
    """Time (seconds) and size caps; ``max_bytes`` is for JSON, media pass their own."""

    total_seconds: float = 15.0  # the whole exchange, every redirect hop included
    connect_seconds: float = 5.0  # one TCP (and TLS) connect
    read_seconds: float = 10.0  # silence between two reads
    max_bytes: int = 1_000_000  # the body after decompression
    max_redirects: int = 3


@dataclass
class FetchBudget:
    """Fetches one incoming activity may cause (reply chains, collections).

    One unit per ``Fetcher.request``/``get_activity_json`` call, whatever redirects or
    same-server refetch by id it needs (both are bounded by ``FetchLimits``).
    """

    remaining: int = 20

    def spend(self) -> None:
        if self.remaining <= 0:
            raise BudgetExhausted("refused: the fetch budget for this activity is spent")
        self.remaining -= 1


async def read_capped(answer: aiohttp.ClientResponse, cap: int, *, truncate: bool) -> bytes:
    """The body, decompressed, counted while streaming: never more than ``cap`` bytes held.

    aiohttp inflates gzip/deflate inside ``answer.content`` a bounded piece at a time, so the
    count is of inflated bytes and a small bomb stops at ``cap``. ``truncate`` keeps the first
    ``cap`` bytes instead of raising ``TooLarge``.
    """
    declared = answer.content_length
    if declared is not None and declared > cap and not truncate:
        raise TooLarge("refused: the answer is too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in answer.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > cap:
            if not truncate:
                raise TooLarge("refused: the answer is too large")
            chunks.append(chunk[: len(chunk) - (size - cap)])
            break
        chunks.append(chunk)
    return b"".join(chunks)
