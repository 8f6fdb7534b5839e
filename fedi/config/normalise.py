"""Checks and canonical forms for the plain values an instance file holds.

Each function takes what an operator typed and returns the one spelling the rest of Jamii
compares against (a domain in IDNA ASCII, a country code in upper case), or raises
``ValueError`` with a message meant to be read by that operator.
"""

from __future__ import annotations

import ipaddress
import re

# ISO 3166-1 alpha-2, the 249 officially assigned codes (as in tzdata's iso3166.tab). Checked
# against the list rather than a pattern so that "XX" or "UK" (Britain is GB) is caught too.
COUNTRY_CODES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
    """.split()  # noqa: SIM905 -- a 249-item literal would be one code per line once formatted
)

# One DNS label after IDNA encoding: letters, digits and inner hyphens (RFC 1123).
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+\Z")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}\Z")

SQLITE_SCHEME = "sqlite+aiosqlite"
POSTGRESQL_SCHEME = "postgresql+asyncpg"
# Schemes people copy from other tools' docs, mapped to the async drivers Jamii runs on.
_DATABASE_SCHEMES = {
    "sqlite": SQLITE_SCHEME,
    SQLITE_SCHEME: SQLITE_SCHEME,
    "postgres": POSTGRESQL_SCHEME,
    "postgresql": POSTGRESQL_SCHEME,
    POSTGRESQL_SCHEME: POSTGRESQL_SCHEME,
}


def normalise_domain(value: str) -> str:
    """Return ``host[:port]`` as Jamii compares it: IDNA ASCII, lower case, no trailing dot.

    Raises ``ValueError`` for a scheme, a path, an unencodable host or a port out of range.
    """
    text = value.strip()
    if not text:
        raise ValueError("must not be empty")
    if "://" in text:
        raise ValueError(f"must be host[:port] without a scheme such as https:// (got {text!r})")
    if any(char in text for char in "/?#@") or any(char.isspace() for char in text):
        raise ValueError(f"must be host[:port] without a path or spaces (got {text!r})")
    host, port = _split_port(text)
    return f"{host}:{port}" if port is not None else host


def _split_port(text: str) -> tuple[str, int | None]:
    if text.startswith("["):
        # An IPv6 literal keeps its brackets so that "host:port" stays unambiguous.
        literal, bracket, rest = text[1:].partition("]")
        try:
            address = ipaddress.IPv6Address(literal)
        except ValueError:
            raise ValueError(f"{text!r} is not a valid bracketed IPv6 address") from None
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"{text!r} is not a valid bracketed IPv6 address")
        return f"[{address.compressed}]", _port(rest[1:]) if rest else None
    if text.count(":") > 1:
        raise ValueError(
            f"an IPv6 address must be written in brackets, e.g. [::1]:8000 (got {text!r})"
        )
    host, colon, port = text.partition(":")
    return _host(host), _port(port) if colon else None


def _host(host: str) -> str:
    name = host.lower().rstrip(".")
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"{host!r} is not a valid host name") from None
    if not ascii_name or len(ascii_name) > 253:
        raise ValueError(f"{host!r} is not a valid host name")
    if not all(_LABEL.match(label) for label in ascii_name.split(".")):
        raise ValueError(
            f"{host!r} is not a valid host name (letters, digits and inner hyphens only)"
        )
    return ascii_name


def _port(port: str) -> int:
    if not port.isascii() or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"port must be a number between 1 and 65535 (got {port!r})")
    return int(port)


def normalise_country(value: str) -> str:
    """Return an assigned ISO 3166-1 alpha-2 code in upper case."""
    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise ValueError(
            f"must be an ISO 3166-1 alpha-2 country code such as KE or SN (got {value!r})"
        )
    return code


def check_email(value: str) -> str:
    """Accept "" (no address) or something shaped like an e-mail address."""
    if value and not _EMAIL.match(value):
        raise ValueError(f"must be an e-mail address such as admin@example.org (got {value!r})")
    return value


def normalise_color(value: str) -> str:
    """Return a ``#rrggbb`` colour in lower case."""
    if not _COLOR.match(value):
        raise ValueError(f"must be a colour written #RRGGBB, e.g. #1f6f5c (got {value!r})")
    return value.lower()


def normalise_domains(domains: list[str]) -> list[str]:
    """Normalise each domain, drop repeats, and report every bad entry at once."""
    bad: list[str] = []
    result: list[str] = []
    for number, domain in enumerate(domains, start=1):
        try:
            normal = normalise_domain(domain)
        except ValueError as error:
            bad.append(f"entry {number}: {error}")
            continue
        if normal not in result:
            result.append(normal)
    if bad:
        raise ValueError("; ".join(bad))
    return result


def normalise_database_url(url: str) -> str:
    """Rewrite the URL to an async driver; "" (use the default) passes through."""
    if not url:
        return url
    scheme, sep, rest = url.partition("://")
    driver = _DATABASE_SCHEMES.get(scheme.lower()) if sep else None
    if driver is None:
        # Name only the scheme: the rest of a database URL may hold a password.
        shown = f"scheme {scheme!r}" if sep else "no scheme"
        raise ValueError(
            f"must start with {SQLITE_SCHEME}:// or {POSTGRESQL_SCHEME}:// (got {shown})"
        )
    return f"{driver}://{rest}"
