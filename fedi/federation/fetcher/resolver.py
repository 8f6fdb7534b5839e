"""The resolver the fetcher's connector uses: DNS answers are vetted before anyone connects.

aiohttp's ``TCPConnector`` connects to exactly the addresses its resolver returns, so vetting
*inside* the resolver means the address vetted is the address connected: there is no second
lookup an attacker's DNS could answer differently (rebinding). The connector is built with
``use_dns_cache=False``, so every new connection asks (and vets) afresh; kept-alive
connections were vetted when they were opened.

One bad address refuses the whole answer, even if the others are public: a name that
resolves to both 8.8.8.8 and 127.0.0.1 is an attack, not a misconfiguration.
"""

from __future__ import annotations

import socket

from aiohttp.abc import AbstractResolver, ResolveResult

from fedi.federation.fetcher.addresses import vet_address


class VettingResolver(AbstractResolver):
    """Wraps ``base`` (the system resolver, or a static one in tests) and vets its answers."""

    def __init__(
        self, base: AbstractResolver, *, allow_private: bool = False, owns_base: bool = True
    ) -> None:
        self._base = base
        self._allow_private = allow_private
        self._owns_base = owns_base

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._base.resolve(host, port, family)
        if not answers:
            # An OSError is what aiohttp expects from a failed lookup (ClientConnectorDNSError).
            raise OSError(f"no addresses for {host}")
        for answer in answers:
            vet_address(answer["host"], allow_private=self._allow_private)
        return answers

    async def close(self) -> None:
        if self._owns_base:
            await self._base.close()
