"""The one error the signatures package raises when it refuses a request."""

from __future__ import annotations

import re

from fedi.errors import JamiiError

_TOKEN = re.compile(r"[A-Za-z0-9()@._-]{1,40}\Z")


class SignatureError(JamiiError):
    """A signature we will not accept; the inbox answers 401.

    401 (not 400 or 403) matters: fedify signs with RFC 9421 first and falls back to
    draft-cavage only after a 401. The message is a short reason such as
    ``"digest mismatch"``: safe to log and to send back to the peer.
    """

    status = 401


def shown(value: str) -> str:
    """``value`` if it is a short plain token (an algorithm or header name), else a stand-in.

    Refusal reasons may name what was refused, but must never echo arbitrary text from the
    peer into our logs or responses.
    """
    return value if _TOKEN.match(value) else "(unprintable)"
