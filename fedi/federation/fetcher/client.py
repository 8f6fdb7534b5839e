"""The one outbound HTTP client: every remote-controlled URL is fetched or posted through it.

keyIds, actors, inboxes, objects, attachments, avatars, link previews, NodeInfo and WebFinger
all go through ``Fetcher``; nothing else in Jamii opens an outbound connection. The rules
(SECURITY.md, "Outbound requests" and "Origin and authority") and why they hold are in
docs/fetching.md.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import structlog
from aiohttp.abc import AbstractResolver
from aiohttp.resolver import DefaultResolver
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from fedi import __version__
from fedi.federation.fetcher.addresses import check_url, redirect_target
from fedi.federation.fetcher.documents import (
    ACTIVITY_ACCEPT,
    names,
    parse_document,
    require_activity_type,
    same_server,
)
from fedi.federation.fetcher.errors import (
    ConnectionFailed,
    FetchError,
    FetchTimeout,
    IdMismatch,
    RemoteError,
    TooManyRedirects,
)
from fedi.federation.fetcher.limits import FetchBudget, FetchLimits, read_capped
from fedi.federation.fetcher.resolver import VettingResolver

DEFAULT_USER_AGENT = f"Jamii/{__version__}"
# post() keeps only the start of an answer: a delivery needs the status, not a page of HTML.
POST_ANSWER_BYTES = 64 * 1024
ANY_STATUS = range(100, 1000)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

log = structlog.get_logger(__name__)


class Signer(Protocol):
    """Signs one request (the instance actor for GETs, a local actor for deliveries)."""

    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> Mapping[str, str]:
        """The headers to add (Host, Date, Digest, Signature, …) for this exact URL.

        ``headers`` are the request's own (Accept, Content-Type): not User-Agent, nor any
        header a previous hop's signature added. Called again for each redirect hop.
        """
        ...


@dataclass(frozen=True)
class Response:
    url: str  # the final URL, after redirects, normalised, without a fragment
    status: int
    headers: Mapping[str, str]  # case-insensitive
    body: bytes


class Fetcher:
    """One aiohttp session behind the SSRF rules; share one per process (it pools connections).

    ``allow_private`` is JAMII_DEV_INSECURE (loopback demo, tests); ``allow_http`` follows it
    unless given. ``resolver`` replaces the system resolver *under* the vetting (tests map
    names to addresses with it); ``ssl_context`` replaces the system trust store.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        allow_http: bool | None = None,
        limits: FetchLimits = FetchLimits(),  # noqa: B008 - frozen, so sharing it is safe
        user_agent: str = DEFAULT_USER_AGENT,
        resolver: AbstractResolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.allow_http = allow_private if allow_http is None else allow_http
        self.limits = limits
        self._user_agent = user_agent
        self._base_resolver = resolver
        self._ssl: ssl.SSLContext | bool = True if ssl_context is None else ssl_context
        self._session: aiohttp.ClientSession | None = None
        self._resolver: VettingResolver | None = None

    async def __aenter__(self) -> Fetcher:
        self._open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
            if self._resolver is not None:
                await self._resolver.close()  # passed in, so the connector does not own it

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._resolver = VettingResolver(
                self._base_resolver or DefaultResolver(),
                allow_private=self.allow_private,
                owns_base=self._base_resolver is None,
            )
            # No DNS cache: every new connection is resolved, vetted, and connected as vetted.
            connector = aiohttp.TCPConnector(
                resolver=self._resolver, use_dns_cache=False, limit_per_host=8, ssl=self._ssl
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,  # no proxies or .netrc from the environment
                headers={"User-Agent": self._user_agent},
                timeout=aiohttp.ClientTimeout(
                    total=self.limits.total_seconds,
                    sock_connect=self.limits.connect_seconds,
                    sock_read=self.limits.read_seconds,
                ),
            )
        return self._session

    def check(self, url: str) -> URL:
        """``url`` normalised, or ``UrlRefused``/``AddressRefused`` if no request may go there."""
        return check_url(url, allow_http=self.allow_http, allow_private=self.allow_private)

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        signer: Signer | None = None,
        budget: FetchBudget | None = None,
        max_bytes: int | None = None,
        accept_statuses: Container[int] = range(200, 300),
    ) -> Response:
        """One request; GET and HEAD follow redirects (each hop re-vetted and re-signed).

        Raises ``RemoteError`` for a status outside ``accept_statuses``, and another
        ``FetchError`` for anything the rules refuse. Other methods return a 3xx unfollowed.
        """
        if budget is not None:
            budget.spend()
        method = method.upper()
        cap = self.limits.max_bytes if max_bytes is None else max_bytes
        follow = method in ("GET", "HEAD")
        return await self._exchange(
            method, url, headers, body, signer, cap, accept_statuses, follow
        )

    async def get_activity_json(
        self, url: str, *, signer: Signer | None = None, budget: FetchBudget | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Fetch an ActivityPub document whose ``id`` is where it was fetched from.

        Returns ``(id, document)``: ``id`` is the document's own string, which names the
        final URL (after normalisation). After a redirect that may differ from ``url``: only
        the returned id carries authority, never ``url`` nor the document's ``url``. An id
        elsewhere on the same server (scheme and host:port) as ``url`` is fetched once more by
        that id, within the same budget unit.
        """
        if budget is not None:
            budget.spend()
        asked = self.check(url)
        final, ident, document = await self._get_document(url, signer)
        if names(ident, final):
            return ident, document
        if not same_server(ident, asked):
            raise IdMismatch("refused: the document's id is not where it was fetched from")
        final, again, document = await self._get_document(ident, signer)
        if again == ident and names(ident, final):
            return ident, document
        raise IdMismatch("refused: the document's id is not where it was fetched from")

    async def post(
        self,
        url: str,
        body: bytes,
        *,
        signer: Signer,
        content_type: str = "application/activity+json",
    ) -> Response:
        """Deliver ``body``. Every status comes back (a 3xx unfollowed) for the caller to judge.

        Only the first ``POST_ANSWER_BYTES`` of the answer are kept; network failures and
        refusals still raise ``FetchError``.
        """
        headers = {"Content-Type": content_type, "Accept": ACTIVITY_ACCEPT}
        return await self._exchange(
            "POST", url, headers, body, signer, POST_ANSWER_BYTES, ANY_STATUS, False, truncate=True
        )

    async def _get_document(
        self, url: str, signer: Signer | None
    ) -> tuple[str, str, dict[str, Any]]:
        """(final URL, id, document) of one ActivityPub GET, redirects followed."""
        headers = {"Accept": ACTIVITY_ACCEPT}
        cap = self.limits.max_bytes
        response = await self._exchange("GET", url, headers, None, signer, cap, range(200, 300))
        require_activity_type(response.headers.get("Content-Type", ""))
        document = parse_document(response.body)
        return response.url, document["id"], document

    async def _exchange(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        body: bytes | None,
        signer: Signer | None,
        cap: int,
        accept: Container[int],
        follow: bool = True,
        *,
        truncate: bool = False,
    ) -> Response:
        host: str | None = None
        try:
            target = self.check(url)
            host = target.raw_host
            session = self._open()
            redirects = 0
            async with asyncio.timeout(self.limits.total_seconds):
                while True:
                    sent = CIMultiDict(headers or {})
                    if signer is not None:
                        sent.update(signer(method, str(target), CIMultiDictProxy(sent), body))
                    async with session.request(
                        method, target, headers=sent, data=body, allow_redirects=False
                    ) as answer:
                        if follow and answer.status in _REDIRECTS:
                            if redirects >= self.limits.max_redirects:
                                raise TooManyRedirects("refused: too many redirects")
                            redirects += 1
                            target = redirect_target(
                                target,
                                answer.headers.get("Location"),
                                allow_http=self.allow_http,
                                allow_private=self.allow_private,
                            )
                            host = target.raw_host
                            continue
                        if answer.status not in accept:
                            raise RemoteError(answer.status)
                        content = await read_capped(answer, cap, truncate=truncate)
                        log.debug("fetch.answered", host=host, status=answer.status)
                        return Response(
                            url=str(target),
                            status=answer.status,
                            headers=CIMultiDictProxy(CIMultiDict(answer.headers)),
                            body=content,
                        )
        except FetchError as error:
            status = {"status": error.remote_status} if isinstance(error, RemoteError) else {}
            log.info("fetch.refused", host=host, error=type(error).__name__, **status)
            raise
        except TimeoutError:  # before OSError, its base class; aiohttp's timeouts included
            log.info("fetch.refused", host=host, error="FetchTimeout")
            raise FetchTimeout("refused: the remote server took too long") from None
        except (aiohttp.ClientError, OSError) as error:
            log.info("fetch.refused", host=host, error=type(error).__name__)
            raise ConnectionFailed("could not reach the remote server") from None
