"""The safe outbound HTTP client: every remote-controlled URL is fetched or posted through it.

See docs/fetching.md. ``Fetcher`` enforces SECURITY.md's outbound rules (SSRF, redirects,
time and size caps) and, for ActivityPub documents, the origin rule (``id`` == URL fetched).
"""

from fedi.federation.fetcher.addresses import check_url, normalise_host
from fedi.federation.fetcher.client import Fetcher, Response, Signer
from fedi.federation.fetcher.documents import ACTIVITY_ACCEPT
from fedi.federation.fetcher.errors import (
    AddressRefused,
    BadContentType,
    BadDocument,
    BudgetExhausted,
    ConnectionFailed,
    FetchError,
    FetchTimeout,
    IdMismatch,
    RedirectRefused,
    RemoteError,
    TooLarge,
    TooManyRedirects,
    UrlRefused,
)
from fedi.federation.fetcher.limits import FetchBudget, FetchLimits

__all__ = [
    "ACTIVITY_ACCEPT",
    "AddressRefused",
    "BadContentType",
    "BadDocument",
    "BudgetExhausted",
    "ConnectionFailed",
    "FetchBudget",
    "FetchError",
    "FetchLimits",
    "FetchTimeout",
    "Fetcher",
    "IdMismatch",
    "RedirectRefused",
    "RemoteError",
    "Response",
    "Signer",
    "TooLarge",
    "TooManyRedirects",
    "UrlRefused",
    "check_url",
    "normalise_host",
]
