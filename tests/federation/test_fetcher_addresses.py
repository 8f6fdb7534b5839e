"""The fetcher's gates on their own: URL rules, address rules, the vetting resolver, documents.

The same rules are exercised end to end (with a listening server that must see nothing) in
test_fetcher.py; here each rule is spelled out case by case.
"""

from __future__ import annotations

import ipaddress
import socket

import pytest
from aiohttp.resolver import ThreadedResolver

from fedi.federation.fetcher import (
    AddressRefused,
    BadContentType,
    BadDocument,
    BudgetExhausted,
    FetchBudget,
    UrlRefused,
    check_url,
    normalise_host,
)
from fedi.federation.fetcher.addresses import refusal
from fedi.federation.fetcher.documents import depth, parse_document, require_activity_type
from fedi.federation.fetcher.resolver import VettingResolver

REFUSED_ADDRESSES = [
    "127.0.0.1",  # loopback
    "127.255.255.254",
    "::1",
    "10.0.0.5",  # RFC 1918
    "172.16.0.1",
    "192.168.1.1",
    "fc00::1",  # unique local
    "fd12:3456::1",
    "169.254.169.254",  # link-local: cloud metadata
    "fe80::1",
    "100.64.0.1",  # CGNAT
    "224.0.0.1",  # multicast
    "ff02::1",
    "0.0.0.0",  # noqa: S104 - unspecified (a refusal case, not a bind)
    "::",
    "255.255.255.255",  # broadcast
    "240.0.0.1",  # reserved
    "192.0.2.1",  # documentation
    "2001:db8::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.5",
    "::ffff:169.254.169.254",
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b:1::1",  # local-use NAT64
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a00:5::1",  # 6to4 of 10.0.0.5
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "::127.0.0.1",  # IPv4-compatible (deprecated)
]
PUBLIC_ADDRESSES = ["93.184.216.34", "2606:4700:4700::1111", "::ffff:93.184.216.34"]


@pytest.mark.parametrize("text", REFUSED_ADDRESSES)
def test_non_public_addresses_are_refused(text: str) -> None:
    assert refusal(ipaddress.ip_address(text)) is not None


@pytest.mark.parametrize("text", PUBLIC_ADDRESSES)
def test_public_addresses_pass(text: str) -> None:
    assert refusal(ipaddress.ip_address(text)) is None


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("10.0.0.5", True),
        ("100.64.0.1", True),
        ("::ffff:127.0.0.1", True),
        ("169.254.169.254", False),  # metadata stays off limits even in development
        ("0.0.0.0", False),  # noqa: S104 - a refusal case, not a bind
        ("224.0.0.1", False),
    ],
)
def test_dev_insecure_admits_loopback_and_private_only(text: str, allowed: bool) -> None:
    assert (refusal(ipaddress.ip_address(text), allow_private=True) is None) is allowed


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://ExAmple.COM.:443/a/b?x=1#frag", "https://example.com/a/b?x=1"),
        ("https://bücher.de/x", "https://xn--bcher-kva.de/x"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://[2606:4700:4700:0::1111]/", "https://[2606:4700:4700::1111]/"),
    ],
)
def test_urls_are_normalised(url: str, expected: str) -> None:
    assert str(check_url(url)) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/",  # http unless allowed
        "ftp://example.com/",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "//example.com/x",
        "https:///path",
        "https://example.com/a\r\nInjected: 1",
        "https://example.com/a\nb",
        "https://example.com/\x00",
        "https://example.com/a b",
        "https://example.com/\ta",
        "https://example.com/\u00a0",
        "https://example.com\\@evil.test/",
        "https://user:pass@example.com/",
        "https://user@example.com/",
        "https://@example.com/",
        "https://example.com:0/",
        "https://example.com:65536/",
        "https://example.com:port/",
        "https://exa%6dple.com/",
        "https://a..b/",
        "https://-bad.example/",
        "https://" + "a" * 64 + ".example/",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(UrlRefused):
        check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[::ffff:7f00:1]/",
        "https://[64:ff9b::a9fe:a9fe]/",
        "https://169.254.169.254/latest/meta-data/",
        "https://2130706433/",  # decimal 127.0.0.1
        "https://0x7f000001/",  # hex
        "https://0x7f.1/",
        "https://017700000001/",  # octal
        "https://0177.0.0.1/",
        "https://127.1/",
        "https://1.2.3.4.5/",  # ends in a number, so an IPv4 address, and a broken one
        "https://[fe80::1%25eth0]/",
    ],
)
def test_literal_addresses_are_vetted(url: str) -> None:
    with pytest.raises(AddressRefused):
        check_url(url)


def test_non_canonical_ipv4_is_refused_even_in_development() -> None:
    with pytest.raises(AddressRefused, match="non-canonical"):
        check_url("http://2130706433/", allow_http=True, allow_private=True)
    assert str(check_url("http://127.0.0.1:8/", allow_http=True, allow_private=True))


def test_hosts_compare_as_exact_strings_after_normalising() -> None:
    assert normalise_host("Social.Example.") == "social.example"
    assert normalise_host("ÉCOLE.example") == "xn--cole-9oa.example"
    assert normalise_host("[::FFFF:7F00:1]") == "::ffff:7f00:1"


async def test_the_resolver_vets_what_getaddrinfo_makes_of_numeric_names() -> None:
    """Names Python's ipaddress will not parse still resolve: the resolved answer is vetted."""
    resolver = VettingResolver(ThreadedResolver())
    for name in ("0x7f.1", "2130706433", "localhost"):
        with pytest.raises(AddressRefused):
            await resolver.resolve(name, 443, socket.AF_UNSPEC)
    answers = await VettingResolver(ThreadedResolver(), allow_private=True).resolve(
        "0x7f.1", 443, socket.AF_INET
    )
    assert [answer["host"] for answer in answers] == ["127.0.0.1"]


def test_the_budget_refuses_once_spent() -> None:
    budget = FetchBudget(remaining=2)
    budget.spend()
    budget.spend()
    with pytest.raises(BudgetExhausted):
        budget.spend()
    assert budget.remaining == 0


@pytest.mark.parametrize(
    ("content_type", "ok"),
    [
        ("application/activity+json", True),
        ("application/activity+json; charset=utf-8", True),
        ("Application/Activity+JSON", True),
        ("application/ld+json", True),
        ('application/ld+json; profile="https://www.w3.org/ns/activitystreams"', True),
        ("application/ld+json;profile=https://www.w3.org/ns/activitystreams", True),
        ('application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"', False),
        ("application/json", False),
        ("text/html", False),
        ("text/plain", False),
        ("", False),
    ],
)
def test_only_activitypub_content_types_pass(content_type: str, ok: bool) -> None:
    if ok:
        require_activity_type(content_type)
    else:
        with pytest.raises(BadContentType):
            require_activity_type(content_type)


@pytest.mark.parametrize(
    "body",
    [
        b"<html>not json</html>",
        b'["https://example.com/a"]',
        b'{"type": "Note"}',
        b'{"id": 7}',
        b'{"id": "https://example.com/a", "x": ' + b"[" * 40 + b"]" * 40 + b"}",
        b"[" * 5000 + b"]" * 5000,
    ],
)
def test_documents_must_be_shallow_objects_with_an_id(body: bytes) -> None:
    with pytest.raises(BadDocument):
        parse_document(body)


def test_depth_counts_containers() -> None:
    assert depth("x") == 0
    assert depth({"a": [1, {"b": []}]}) == 4
    assert parse_document(b'{"id": "https://example.com/a", "tag": [{"x": [1]}]}')["id"]
