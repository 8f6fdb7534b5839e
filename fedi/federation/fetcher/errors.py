"""Why an outbound request failed, in words safe to show a teacher or log.

Messages never carry response bodies, and never echo the remote-controlled URL (it may hold
control characters or tokens); at most the normalised host, which has passed the URL rules.
``status`` is what *we* answer when the failure reaches an API caller (``JamiiError``); a
remote server's own status is ``RemoteError.remote_status``.
"""

from __future__ import annotations

from fedi.errors import JamiiError


class FetchError(JamiiError):
    """Base of every outbound-request failure."""

    status = 502


class UrlRefused(FetchError):
    """The URL breaks a rule (scheme, characters, userinfo, port, host); nothing was sent."""

    status = 422


class AddressRefused(FetchError):
    """The host is, or resolves to, an address we never contact (loopback, private, …)."""

    status = 422


class RedirectRefused(FetchError):
    """A redirect without a usable Location, or one from https down to http."""


class TooManyRedirects(FetchError):
    """More redirects than ``FetchLimits.max_redirects``."""


class TooLarge(FetchError):
    """The body (after decompression) is larger than the cap."""


class BadContentType(FetchError):
    """The answer is not an ActivityPub document (``application/activity+json``/``ld+json``)."""


class BadDocument(FetchError):
    """Not JSON, nested too deep, not an object, or without a string ``id``."""


class IdMismatch(FetchError):
    """The document's ``id`` is not the URL it was fetched from: it has no authority there."""


class BudgetExhausted(FetchError):
    """The per-activity fetch budget (reply chains, collections) is spent."""

    status = 429


class FetchTimeout(FetchError):
    """Connecting, reading or the whole exchange took longer than ``FetchLimits`` allow."""

    status = 504


class ConnectionFailed(FetchError):
    """DNS failure, refused connection, TLS failure or a broken response."""


class RemoteError(FetchError):
    """The remote server answered with a status the caller did not accept."""

    def __init__(self, remote_status: int) -> None:
        super().__init__(f"remote server answered {remote_status}")
        self.remote_status = remote_status
