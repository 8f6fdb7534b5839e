"""OAuth scopes as Mastodon defines them, and which granted scope covers which required one.

https://docs.joinmastodon.org/api/oauth-scopes/ — ``read`` covers every ``read:*``, ``write``
every ``write:*``, ``admin:read``/``admin:write`` their children, and the legacy ``follow``
covers the relationship scopes. ``profile`` (Mastodon 4.3) covers nothing by itself: only
``verify_credentials`` lists it as an alternative to ``read:accounts``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from fedi.errors import ValidationFailed

READ_SCOPES = (
    "read:accounts",
    "read:blocks",
    "read:bookmarks",
    "read:favourites",
    "read:filters",
    "read:follows",
    "read:lists",
    "read:mutes",
    "read:notifications",
    "read:search",
    "read:statuses",
)
WRITE_SCOPES = (
    "write:accounts",
    "write:blocks",
    "write:bookmarks",
    "write:conversations",
    "write:favourites",
    "write:filters",
    "write:follows",
    "write:lists",
    "write:media",
    "write:mutes",
    "write:notifications",
    "write:reports",
    "write:statuses",
)
_ADMIN_SUBJECTS = (
    "accounts",
    "reports",
    "domain_allows",
    "domain_blocks",
    "ip_blocks",
    "email_domain_blocks",
    "canonical_email_blocks",
)
ADMIN_SCOPES = (
    "admin:read",
    *(f"admin:read:{subject}" for subject in _ADMIN_SUBJECTS),
    "admin:write",
    *(f"admin:write:{subject}" for subject in _ADMIN_SUBJECTS),
)

# Every scope a client may ask for, in the order ``scopes_supported`` lists them.
SCOPES: tuple[str, ...] = (
    "read",
    *READ_SCOPES,
    "write",
    *WRITE_SCOPES,
    "follow",
    "push",
    "profile",
    *ADMIN_SCOPES,
)
_KNOWN = frozenset(SCOPES)
DEFAULT_SCOPES = frozenset({"read"})

# Mastodon's deprecated ``follow`` scope grants exactly these.
FOLLOW_COVERS = frozenset(
    {
        "read:blocks",
        "write:blocks",
        "read:follows",
        "write:follows",
        "read:mutes",
        "write:mutes",
    }
)
_PARENTS = ("read", "write", "admin:read", "admin:write")
_SEPARATORS = re.compile(r"[\s+]+")


def parse_scopes(text: str | None) -> frozenset[str]:
    """Scopes from a space- (or, in query strings, plus-) separated list; ``read`` if empty.

    An unknown scope is refused by name, so a typo never silently narrows a token.
    """
    names = [name for name in _SEPARATORS.split(text or "") if name]
    unknown = [name for name in names if name not in _KNOWN]
    if unknown:
        raise ValidationFailed(f"Unknown scope: {', '.join(unknown)}", field="scopes")
    return frozenset(names) if names else DEFAULT_SCOPES


def scope_string(scopes: Iterable[str]) -> str:
    """The canonical, space-separated form (Mastodon's order), as stored and as answered."""
    chosen = set(scopes)
    return " ".join(name for name in SCOPES if name in chosen)


def allows(granted: Collection[str], required: str) -> bool:
    """Whether a token holding ``granted`` may do what needs ``required``."""
    if required in granted:
        return True
    if required in FOLLOW_COVERS and "follow" in granted:
        return True
    return any(required.startswith(f"{parent}:") and parent in granted for parent in _PARENTS)


def covers(granted: Collection[str], requested: Collection[str]) -> bool:
    """Whether every requested scope is within ``granted`` (an app's registered scopes)."""
    return all(allows(granted, scope) for scope in requested)
