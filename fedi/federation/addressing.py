"""Addressing: who a status is for, in ActivityPub terms, and back again.

Mastodon's conventions, which every peer understands:
- public:   to Public,        cc followers + mentions
- unlisted: to followers,     cc Public + mentions
- private:  to followers + mentions
- direct:   to mentions only
"""

from __future__ import annotations

from collections.abc import Sequence

from fedi.federation.wire.common import PUBLIC


def address(
    visibility: str, followers_url: str, mentioned_uris: Sequence[str]
) -> tuple[list[str], list[str]]:
    """(to, cc) for a status of ``visibility``."""
    mentions = list(dict.fromkeys(mentioned_uris))
    if visibility == "public":
        return [PUBLIC], [followers_url, *mentions]
    if visibility == "unlisted":
        return [followers_url], [PUBLIC, *mentions]
    if visibility == "private":
        return [followers_url, *mentions], []
    return mentions, []


def visibility_of(to: Sequence[str], cc: Sequence[str], followers_url: str | None) -> str:
    """The visibility a remote post was addressed with (the inverse of ``address``)."""
    if PUBLIC in to:
        return "public"
    if PUBLIC in cc:
        return "unlisted"
    if followers_url is not None and (followers_url in to or followers_url in cc):
        return "private"
    return "direct"
