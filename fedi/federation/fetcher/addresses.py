"""Which URLs and IP addresses the fetcher may contact (SECURITY.md, "Outbound requests").

Two gates, both before a byte is sent:

* ``check_url`` — the URL rules: https only (http when allowed), no whitespace or control
  characters, no userinfo, a host, a port in 1..65535; the host normalised (IDNA, lower case,
  no trailing dot). A literal IP host is vetted here, because aiohttp connects to literal IPs
  without asking the resolver. Legacy numeric IPv4 spellings (``2130706433``, ``0x7f.1``,
  ``127.1``) are refused outright: they are how SSRF filters get bypassed.
* ``refusal`` / ``vet_address`` — the address rules, applied to every address DNS returns
  (see ``resolver.py``) and to literal hosts.

``allow_private`` (JAMII_DEV_INSECURE: the loopback demo and tests) admits loopback, RFC 1918,
unique-local and CGNAT addresses; link-local (cloud metadata), multicast, unspecified and
reserved addresses stay refused even then.
"""

from __future__ import annotations

import ipaddress
import re
import socket

import idna
from yarl import URL

from fedi.federation.fetcher.errors import AddressRefused, RedirectRefused, UrlRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 8192
MAX_HOST_LENGTH = 253

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_PRIVATE = tuple(
    ipaddress.ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Whitespace (any Unicode kind), C0/C1 controls, DEL, and the backslash that WHATWG parsers
# read as "/" (a parser differential is how a filter and the connection disagree on the host).
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f-\x9f\\]|\s")
_AUTHORITY = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
# WHATWG: a host whose last label is a number is an IPv4 address, whatever else it looks like.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")


def refusal(address: IPAddress, *, allow_private: bool = False) -> str | None:
    """Why ``address`` may not be contacted, or ``None`` when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return refusal(embedded, allow_private=allow_private)
        if address in _NAT64_LOCAL or address.teredo is not None:
            return "a tunnelled address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_loopback:
        return None if allow_private else "a loopback address"
    if address in _CGNAT or any(address in net for net in _PRIVATE):
        return None if allow_private else "a private address"
    if address.is_reserved or not address.is_global:
        return "a reserved address"
    return None


def vet_address(text: str, *, allow_private: bool = False) -> IPAddress:
    """Parse one resolved or literal address and raise ``AddressRefused`` unless allowed."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise AddressRefused("refused: not an IP address") from None
    reason = refusal(address, allow_private=allow_private)
    if reason is not None:
        raise AddressRefused(f"refused: the host is {reason}")
    return address


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, NAT64 (64:ff9b::/96) or 6to4 address leads to."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def normalise_host(host: str) -> str:
    """IDNA-encoded, lower case, without a trailing dot; IPv6 literals in compressed form.

    Compare hosts (origin and authority checks) only after this, as exact strings.
    """
    host = host.strip("[]") if host.startswith("[") else host
    if ":" in host:
        try:
            return str(ipaddress.IPv6Address(host))
        except ValueError:  # includes zone ids ("fe80::1%eth0"): never ours to contact
            raise UrlRefused("refused: malformed IPv6 host") from None
    host = host.removesuffix(".")
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError:
            raise UrlRefused("refused: the host is not a valid domain name") from None
    host = host.lower()
    labels = host.split(".")
    if len(host) > MAX_HOST_LENGTH or not all(_LABEL.fullmatch(label) for label in labels):
        raise UrlRefused("refused: the host is not a valid domain name")
    return host


def check_url(url: str, *, allow_http: bool = False, allow_private: bool = False) -> URL:
    """The URL to request (normalised, fragment dropped), or ``UrlRefused``/``AddressRefused``."""
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused("refused: URL too long")
    require_clean(url)
    authority = _AUTHORITY.match(url)
    if authority is None:
        raise UrlRefused("refused: not an absolute http(s) URL")
    if "@" in authority.group(1):
        raise UrlRefused("refused: URL carries credentials")
    try:
        parsed = URL(url)
        raw_host, port = parsed.raw_host, parsed.explicit_port
    except (ValueError, TypeError):
        raise UrlRefused("refused: not a valid URL") from None
    if parsed.scheme != "https" and not (parsed.scheme == "http" and allow_http):
        raise UrlRefused("refused: only https URLs may be fetched")
    if not raw_host:
        raise UrlRefused("refused: URL has no host")
    if port is not None and not 1 <= port <= 65535:
        raise UrlRefused("refused: port out of range")
    host = normalise_host(raw_host)
    literal = _literal_address(host)
    if literal is not None:
        vet_address(str(literal), allow_private=allow_private)
        if str(literal) != host:
            raise AddressRefused("refused: IPv4 address in a non-canonical form")
    if port == _DEFAULT_PORTS[parsed.scheme]:
        port = None
    return URL.build(
        scheme=parsed.scheme,
        host=f"[{host}]" if ":" in host else host,
        port=port,
        path=parsed.raw_path or "/",
        query_string=parsed.raw_query_string,
        encoded=True,
    )


def redirect_target(
    current: URL, location: str | None, *, allow_http: bool = False, allow_private: bool = False
) -> URL:
    """Where a redirect from ``current`` leads (relative to it), vetted like any first URL."""
    if not location:
        raise RedirectRefused("refused: redirect without a Location")
    require_clean(location)
    try:
        joined = current.join(URL(location))
    except (ValueError, TypeError):
        raise RedirectRefused("refused: redirect to an invalid URL") from None
    if current.scheme == "https" and joined.scheme != "https":
        raise RedirectRefused("refused: redirect from https to http")
    return check_url(str(joined), allow_http=allow_http, allow_private=allow_private)


def require_clean(url: str) -> None:
    """Refuse whitespace and control characters anywhere (header injection, parser tricks)."""
    if _FORBIDDEN.search(url):
        raise UrlRefused("refused: URL contains whitespace or control characters")


def authority(url: URL) -> str:
    """``host[:port]`` of a URL that passed ``check_url``: what "the same server" means."""
    host = url.raw_host or ""
    host = f"[{host}]" if ":" in host else host
    return host if url.explicit_port is None else f"{host}:{url.explicit_port}"


def _literal_address(host: str) -> IPAddress | None:
    """The address a literal host denotes, in any spelling getaddrinfo would accept."""
    if ":" in host:
        return ipaddress.IPv6Address(host)
    if not _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        raise AddressRefused("refused: malformed IPv4 host") from None
